/** The rows `db clean` picks, on both backends: old finished runs minus each DAG's newest scheduled run. */
import { afterEach, expect, it } from 'vitest';
import type { DatabaseBackend } from '../src/db/backend.js';
import { cleanableRuns, cleanableTaskInstances, deleteOldCommandLog, deleteRun } from '../src/db/queries/db-clean.js';
import { describeEachBackend } from './helpers/backends.js';

describeEachBackend('db clean queries', (factory) => {
  let db: DatabaseBackend;
  afterEach(async () => db?.close());

  async function run(dagId: string, runId: string, runType: string, state: string, day: number): Promise<void> {
    const at = `2024-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    await db.run(
      `INSERT INTO dag_run (dag_id, run_id, logical_date, run_type, run_after, start_date, updated_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [dagId, runId, state === 'running' ? null : at, runType, at, at, at, state],
    );
    await db.run(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, start_date, state, updated_at) VALUES (?, ?, 't', ?, ?, 'success', ?)`,
      [`${dagId}-${runId}`, dagId, runId, at, at],
    );
  }

  it('keeps the newest scheduled run per DAG and runs not finished; respects the cutoff', async () => {
    db = await factory.create();
    await db.migrate();
    await run('a', 's1', 'scheduled', 'success', 1);
    await run('a', 's2', 'scheduled', 'failed', 2);
    await run('a', 's3', 'scheduled', 'success', 3); // newest scheduled: kept
    await run('a', 'm4', 'manual', 'success', 4); // manual runs do not count as the newest scheduled one
    await run('a', 's0', 'scheduled', 'running', 1); // not finished
    await run('b', 'm1', 'manual', 'success', 1); // no scheduled run: nothing kept
    await run('c', 's9', 'scheduled', 'success', 9); // after the cutoff
    const cutoff = '2024-01-05T00:00:00.000Z';
    expect((await cleanableRuns(db, cutoff)).map((r) => `${r.dag_id}/${r.run_id}`)).toEqual(['a/m4', 'a/s1', 'a/s2', 'b/m1']);
    expect(await deleteRun(db, { dag_id: 'a', run_id: 's1' })).toBe(1);
    // Task instances cascade with their run; those of finished runs are cleanable on their own.
    expect((await cleanableTaskInstances(db, cutoff)).map((t) => `${t.dag_id}/${t.run_id}`)).toEqual(['a/m4', 'a/s2', 'a/s3', 'b/m1']);
    await db.run(`INSERT INTO command_log (id, kind, payload, applied_at, ok) VALUES ('x', 'pause', '{}', ?, ?)`, ['2024-01-01T00:00:00.000Z', true]);
    expect(await deleteOldCommandLog(db, cutoff)).toBe(1);
  });
});
