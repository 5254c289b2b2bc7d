/**
 * Backfills as Airflow 3 makes them (airflow/models/backfill.py): which dates get a run for each reprocess
 * behaviour, the backfill_dag_run entries, sort order and max_active_runs, paused DAGs, cancel; and the
 * clear/mark commands' Airflow semantics (set_task_instance_state clears failed downstream tasks, a
 * cleared running try is cancelled before its next try is dispatched).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { insertDagRun, updateDagRun } from '../src/db/queries/dag-runs.js';
import { getBackfill, listBackfillDagRuns } from '../src/db/queries/backfills.js';
import { commandResultKey } from '../src/executor/protocol.js';
import type { CommandResult } from '../src/executor/protocol.js';
import { backfillRunInfos, noCreateReason } from '../src/scheduler/backfill.js';
import { timetableOf } from '../src/scheduler/next-dagrun.js';
import { createTaskInstances } from '../src/scheduler/task-instances.js';
import { describeEachBackend } from './helpers/backends.js';
import { daily, dag, task } from './helpers/dag-builder.js';
import { testConfig, TickHarness } from './helpers/tick-harness.js';

const day = (d: number) => `2024-01-0${d}T00:00:00.000Z`;
const backfillRunId = (d: number) => `backfill__2024-01-0${d}T00:00:00+00:00`;

describe('backfill dates', () => {
  it('are the timetable dates between from and to (both included) whose interval ended, reversed on request', () => {
    const timetable = timetableOf(dag('x', [task('t')], { schedule: daily }), testConfig());
    const now = new Date('2024-01-04T12:00:00Z');
    const dates = (reverse: boolean) =>
      backfillRunInfos(timetable, { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-06T00:00:00Z'), reverse }, now).map((i) =>
        i.logical_date.toISOString(),
      );
    expect(dates(false)).toEqual([day(1), day(2), day(3), day(4)]);
    expect(dates(true)).toEqual([day(4), day(3), day(2), day(1)]);
  });

  it('skip in-flight runs always, finished runs as the reprocess behaviour says', () => {
    expect(['none', 'failed', 'completed'].map((b) => noCreateReason('running', b as 'none'))).toEqual(['in flight', 'in flight', 'in flight']);
    expect(noCreateReason('queued', 'completed')).toBe('in flight');
    expect(noCreateReason('success', 'none')).toBe('already exists');
    expect(noCreateReason('failed', 'none')).toBe('already exists');
    expect(noCreateReason('success', 'failed')).toBe('already exists');
    expect(noCreateReason('failed', 'failed')).toBeNull();
    expect(noCreateReason('success', 'completed')).toBeNull();
    expect(noCreateReason('failed', 'completed')).toBeNull();
  });
});

describeEachBackend('backfill', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());
  const result = (id: string) => h.dict.get<CommandResult>(commandResultKey(id));

  /** A paused daily DAG (no scheduled runs get in the way) with runs on Jan 2 (success), 3 (failed), 4 (running). */
  async function setup(): Promise<void> {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('b', [task('t')], { schedule: daily }), { paused: true });
    const states = { 2: 'success', 3: 'failed', 4: 'running' } as const;
    for (const [d, state] of Object.entries(states)) {
      const runId = `scheduled__2024-01-0${d}T00:00:00+00:00`;
      await insertDagRun(h.db, {
        dag_id: 'b',
        run_id: runId,
        logical_date: day(Number(d)),
        run_type: 'scheduled',
        triggered_by: 'timetable',
        conf: {},
        data_interval_start: day(Number(d)),
        data_interval_end: day(Number(d)),
        run_after: day(Number(d)),
        now: h.clock.now().toISOString(),
      });
      await updateDagRun(h.db, { dag_id: 'b', run_id: runId }, { state, updated_at: h.clock.now().toISOString() });
      await createTaskInstances(h.db, { dag_id: 'b', run_id: runId }, [task('t')], h.clock.now().toISOString());
    }
  }

  async function backfill(id: string, reprocess: 'none' | 'failed' | 'completed', extra: { max_active_runs?: number; run_backwards?: boolean } = {}) {
    await h.command({
      id,
      kind: 'backfill_create',
      dag_id: 'b',
      from_date: '2024-01-01T00:00:00Z',
      to_date: '2024-01-05T00:00:00Z',
      reprocess_behavior: reprocess,
      max_active_runs: extra.max_active_runs ?? 10,
      run_backwards: extra.run_backwards ?? false,
      dag_run_conf: {},
    });
    await h.tick();
    const outcome = (await result(id))!;
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
    return outcome.detail!.backfill_id as number;
  }

  async function entries(backfillId: number) {
    const runs = new Map((await h.runs('b')).map((r) => [r.id, r]));
    return (await listBackfillDagRuns(h.db, backfillId)).map((e) => ({
      date: e.logical_date?.slice(0, 10),
      ordinal: e.sort_ordinal,
      run: e.dag_run_id === null ? null : runs.get(e.dag_run_id)?.run_id,
      reason: e.exception_reason,
    }));
  }

  it.each([
    ['none', [null, 'already exists', 'already exists', 'in flight', null]],
    ['failed', [null, 'already exists', null, 'in flight', null]],
    ['completed', [null, null, null, 'in flight', null]],
  ] as const)('reprocess %s creates exactly the runs Airflow would', async (behavior, reasons) => {
    await setup();
    const id = await backfill(`bf-${behavior}`, behavior);
    const made = await entries(id);
    expect(made.map((e) => e.reason)).toEqual(reasons);
    expect(made.map((e) => e.ordinal)).toEqual([1, 2, 3, 4, 5]);
    // New dates get backfill__ runs; reprocessed ones keep their run id but become the backfill's.
    expect(made[0]!.run).toBe(backfillRunId(1));
    expect(made[4]!.run).toBe(backfillRunId(5));
    const runs = await h.runs('b');
    const backfillRuns = runs.filter((r) => r.backfill_id === id).map((r) => r.run_id).sort();
    const expected = made.filter((e) => e.reason === null).map((e) => e.run!).sort();
    expect(backfillRuns).toEqual(expected);
    for (const run of runs.filter((r) => r.backfill_id === id)) expect(run).toMatchObject({ run_type: 'backfill', triggered_by: 'backfill' });
    const jan3 = runs.find((r) => r.logical_date === day(3))!;
    if (behavior === 'none') expect(jan3).toMatchObject({ state: 'failed', run_type: 'scheduled', backfill_id: null, clear_number: 0 });
    else expect(jan3).toMatchObject({ run_type: 'backfill', backfill_id: id, clear_number: 1 });
    // The running run is never touched.
    expect(runs.find((r) => r.logical_date === day(4))).toMatchObject({ state: 'running', backfill_id: null });
  });

  it('starts its runs in order, at most max_active_runs at once, though the DAG is paused, then completes', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('b', [task('t')], { schedule: daily, max_active_runs: 1 }), { paused: true });
    const id = await backfill('bf', 'none', { max_active_runs: 2, run_backwards: true });
    // Run backwards: the latest dates first; the DAG's own max_active_runs (1) does not apply.
    const running = async () => (await h.runs('b')).filter((r) => r.state === 'running').map((r) => r.logical_date).sort();
    expect(await running()).toEqual([day(4), day(5)]);
    expect(h.pending().map((p) => p.run_id).sort()).toEqual([backfillRunId(4), backfillRunId(5)]);
    // A pass records the reports and finishes the runs after it started queued ones: the next pass starts more.
    const round = async () => {
      await h.succeedAll();
      await h.tick();
      await h.tick();
    };
    await round();
    expect(await running()).toEqual([day(2), day(3)]);
    await round();
    expect(await running()).toEqual([day(1)]);
    expect((await getBackfill(h.db, id))!.completed_at).toBeNull();
    await round();
    expect((await h.runs('b')).map((r) => r.state)).toEqual(['success', 'success', 'success', 'success', 'success']);
    expect((await getBackfill(h.db, id))!.completed_at).toBe(h.clock.now().toISOString());
  });

  it('cancel fails the queued runs, lets running ones finish, and ends the backfill; one active backfill per DAG', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('b', [task('t')], { schedule: daily }), { paused: true });
    const id = await backfill('bf', 'none', { max_active_runs: 1 });
    await h.command({ id: 'again', kind: 'backfill_create', dag_id: 'b', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z', reprocess_behavior: 'completed', max_active_runs: 1, run_backwards: false, dag_run_conf: {} });
    await h.command({ id: 'stop', kind: 'backfill_cancel', dag_id: 'b', backfill_id: id });
    await h.tick();
    expect((await result('again'))).toMatchObject({ ok: false, message: expect.stringMatching(/only one running backfill/) });
    expect((await result('stop'))).toMatchObject({ ok: true });
    const states = (await h.runs('b')).map((r) => [r.logical_date, r.state]);
    expect(states).toEqual([[day(1), 'running'], [day(2), 'failed'], [day(3), 'failed'], [day(4), 'failed'], [day(5), 'failed']]);
    expect(await getBackfill(h.db, id)).toMatchObject({ is_paused: true, completed_at: h.clock.now().toISOString() });
    await h.succeedAll();
    await h.tick();
    expect((await h.run('b', backfillRunId(1)))!.state).toBe('success');
  });

  it('completes a backfill whose last runs a command marked, in a pass with no active run left', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('b', [task('t')], { schedule: daily }), { paused: true });
    const id = await backfill('bf', 'none', { max_active_runs: 10 });
    const runs = await h.runs('b');
    expect(runs.map((r) => r.state)).toEqual(['running', 'running', 'running', 'running', 'running']);
    for (const run of runs) await h.command({ id: `mark-${run.run_id}`, kind: 'set_state', dag_id: 'b', run_id: run.run_id, task_ids: null, state: 'success' });
    await h.tick();
    expect((await h.runs('b')).map((r) => r.state)).toEqual(['success', 'success', 'success', 'success', 'success']);
    expect(await getBackfill(h.db, id)).toMatchObject({ completed_at: h.clock.now().toISOString() });
  });

  it('refuses what Airflow refuses: reversed range, future dates, depends_on_past with reprocess none or backwards', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('b', [task('t')], { schedule: daily }));
    await h.addDag(dag('p', [task('t', [], { depends_on_past: true })], { schedule: daily }));
    await h.addDag(dag('m', [task('t')]));
    const base = { kind: 'backfill_create', max_active_runs: 1, run_backwards: false, dag_run_conf: {}, reprocess_behavior: 'none' } as const;
    await h.command({ ...base, id: 'reversed', dag_id: 'b', from_date: day(5), to_date: day(1) });
    await h.command({ ...base, id: 'future', dag_id: 'b', from_date: '2030-01-01T00:00:00Z', to_date: '2030-02-01T00:00:00Z' });
    await h.command({ ...base, id: 'dop', dag_id: 'p', from_date: day(1), to_date: day(3) });
    await h.command({ ...base, id: 'dop-back', dag_id: 'p', from_date: day(1), to_date: day(3), reprocess_behavior: 'failed', run_backwards: true });
    await h.command({ ...base, id: 'manual-only', dag_id: 'm', from_date: day(1), to_date: day(3) });
    await h.tick();
    expect((await result('reversed'))?.message).toMatch(/must not be after to_date/);
    expect((await result('future'))?.message).toMatch(/future dates/);
    expect((await result('dop'))?.message).toMatch(/depends_on_past/);
    expect((await result('dop-back'))?.message).toMatch(/reverse/);
    expect((await result('manual-only'))?.message).toMatch(/non-periodic/);
    expect((await h.runs('b')).filter((r) => r.run_type === 'backfill')).toEqual([]);
  });
});

describeEachBackend('clear and mark', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('marking a failed task success clears its failed and upstream_failed downstream tasks, and the run runs again', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('m', [task('a'), task('b', ['a']), task('c', ['b']), task('side')]));
    await h.trigger('m', 'manual__1');
    await h.tick();
    await h.report(h.pending('a')[0]!, 'FAILED');
    await h.succeedAll('side');
    await h.tick();
    await h.tick();
    expect(await h.states('m', 'manual__1')).toEqual({ a: 'failed', b: 'upstream_failed', c: 'upstream_failed', side: 'success' });
    expect((await h.run('m', 'manual__1'))!.state).toBe('failed');

    await h.command({ id: 'mark', kind: 'set_state', dag_id: 'm', run_id: 'manual__1', task_ids: ['a'], state: 'success' });
    await h.tick();
    expect((await h.dict.get<CommandResult>(commandResultKey('mark')))?.message).toMatch(/cleared 2 failed downstream/);
    const tis = await h.tis('m', 'manual__1');
    expect(tis.a!.state).toBe('success');
    expect(tis.side!.state).toBe('success');
    // b is dispatched again in the same pass; c waits for it.
    expect([tis.b!.state, tis.c!.state]).toEqual(['queued', null]);
    expect((await h.run('m', 'manual__1'))!.state).toBe('running');
    await h.succeedAll();
    await h.tick();
    await h.succeedAll();
    await h.tick();
    expect((await h.run('m', 'manual__1'))!.state).toBe('success');
  });

  it('clearing a running try cancels its call before the next try is dispatched; only_running leaves finished tasks', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('r', [task('slow'), task('done')]));
    await h.trigger('r', 'manual__1');
    await h.tick();
    await h.succeedAll('done');
    await h.report(h.pending('slow')[0]!, 'RUNNING');
    await h.tick();
    const before = (await h.tis('r', 'manual__1')).slow!;
    expect(before).toMatchObject({ state: 'running', try_number: 1 });
    const order: string[] = [];
    const { spawn, cancel } = h.spawner;
    h.spawner.spawn = async (payload) => {
      order.push(`spawn ${payload.task_id} try ${payload.try_number}`);
      return spawn.call(h.spawner, payload);
    };
    h.spawner.cancel = async (callId) => {
      order.push(`cancel ${callId}`);
      return cancel.call(h.spawner, callId);
    };
    await h.command({ id: 'clr', kind: 'clear', dag_id: 'r', run_id: 'manual__1', task_ids: null, only_failed: false, only_running: true });
    await h.tick();
    expect(order).toEqual([`cancel ${before.external_executor_id}`, 'spawn slow try 2']);
    expect(await h.states('r', 'manual__1')).toEqual({ slow: 'queued', done: 'success' });
  });

  it('marks one mapped index, skipped, and a whole run queued', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('q', [task('a'), task('b', ['a'])]));
    await h.trigger('q', 'manual__1');
    await h.tick();
    await h.command({ id: 'skip', kind: 'set_state', dag_id: 'q', run_id: 'manual__1', task_ids: ['b'], map_indexes: { b: 7 }, state: 'skipped' });
    await h.tick();
    expect((await h.tis('q', 'manual__1')).b!.state).toBeNull(); // map index 7 does not exist: nothing marked
    await h.command({ id: 'skip2', kind: 'set_state', dag_id: 'q', run_id: 'manual__1', task_ids: ['b'], map_indexes: { b: -1 }, state: 'skipped' });
    await h.succeedAll();
    await h.tick();
    await h.tick();
    expect(await h.states('q', 'manual__1')).toEqual({ a: 'success', b: 'skipped' });
    expect((await h.run('q', 'manual__1'))!.state).toBe('success');
    await h.command({ id: 'requeue', kind: 'set_state', dag_id: 'q', run_id: 'manual__1', task_ids: null, state: 'queued' });
    await h.tick();
    // Queued again, it starts and (every task finished) ends at once with its leaves' state.
    expect((await h.dict.get<CommandResult>(commandResultKey('requeue')))).toMatchObject({ ok: true, message: expect.stringMatching(/queued/) });
  });
});
