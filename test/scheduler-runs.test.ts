/** DAG run creation and lifecycle: catchup, limits, idempotence by key, clock rewinds, timeouts, final state. */
import { afterEach, expect, it } from 'vitest';
import { setNextDagrun } from '../src/db/queries/dags.js';
import { getDag } from '../src/db/queries/dags.js';
import { finalRunState } from '../src/scheduler/run-lifecycle.js';
import { describeEachBackend } from './helpers/backends.js';
import { daily, dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

describeEachBackend('dag runs', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  // Now is 2024-01-10T12:00Z; the DAG started 7 days earlier, so the daily trigger fired at midnight on
  // Jan 4, 5, 6, 7, 8, 9 and 10: seven due runs.
  const weekOld = { schedule: daily, start_date: '2024-01-03T12:00:00.000Z' };

  it('catchup creates one run per due interval, in order, within max_active_runs and the per-loop limit', async () => {
    h = new TickHarness(await factory.create(), { config: { scheduler: { max_dagruns_to_create_per_loop: 2 } } });
    await h.addDag(dag('cu', [task('t')], { ...weekOld, catchup: true, max_active_runs: 3 }));
    const createdPerTick: number[] = [];
    for (let i = 0; i < 12; i++) {
      const result = await h.tick();
      createdPerTick.push(result.runsCreated);
      const runs = await h.runs('cu');
      expect(runs.filter((r) => r.state === 'queued' || r.state === 'running').length).toBeLessThanOrEqual(3);
      await h.succeedAll();
    }
    expect(Math.max(...createdPerTick)).toBeLessThanOrEqual(2);
    const runs = await h.runs('cu');
    expect(runs.map((r) => r.logical_date)).toEqual(
      ['04', '05', '06', '07', '08', '09', '10'].map((d) => `2024-01-${d}T00:00:00.000Z`),
    );
    expect(runs.map((r) => r.run_id)[0]).toBe('scheduled__2024-01-04T00:00:00+00:00');
    expect(runs.every((r) => r.state === 'success' && r.run_type === 'scheduled' && r.triggered_by === 'timetable')).toBe(true);
    // Like a manual run, a scheduled run has a conf object (empty), never NULL.
    expect(runs.map((r) => r.conf)).toEqual(runs.map(() => '{}'));
    expect((await getDag(h.db, 'cu'))!.next_dagrun).toBe('2024-01-11T00:00:00.000Z');
  });

  it('without catchup creates only the latest run', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('nc', [task('t')], { ...weekOld, catchup: false }));
    await h.tick();
    await h.tick();
    expect((await h.runs('nc')).map((r) => r.logical_date)).toEqual(['2024-01-10T00:00:00.000Z']);
  });

  it('two ticks at the same instant, and a replayed creation, make one run per logical date', async () => {
    const db = await factory.create();
    h = new TickHarness(db);
    await h.addDag(dag('twice', [task('t')], { ...weekOld, catchup: true }));
    const before = await getDag(h.db, 'twice');
    if (factory.name === 'postgres') {
      // Truly concurrent: two backends (connections) racing for the lease.
      const [a, b] = await Promise.all([h.tick('owner-a'), h.tick('owner-b', db.openAnother())]);
      expect([a.ran, b.ran].filter(Boolean).length).toBeGreaterThanOrEqual(1);
    } else {
      // better-sqlite3 blocks the event loop while it waits for another connection's write lock, so two
      // SQLite ticks in one process cannot overlap; test/executor-concurrency.test.ts races 8 processes.
      await h.tick('owner-a');
      await h.tick('owner-b', db.openAnother());
    }
    await h.tick();
    // A crash after inserting runs but before advancing next_dagrun: the next tick sees the old fields.
    await setNextDagrun(h.db, 'twice', {
      next_dagrun: before!.next_dagrun,
      next_dagrun_data_interval_start: before!.next_dagrun_data_interval_start,
      next_dagrun_data_interval_end: before!.next_dagrun_data_interval_end,
      next_dagrun_create_after: before!.next_dagrun_create_after,
    });
    await h.tick();
    const dates = (await h.runs('twice')).map((r) => r.logical_date);
    expect(dates).toHaveLength(7);
    expect(new Set(dates).size).toBe(7);
  });

  it('a clock moving backwards creates no duplicate or earlier run and does not crash', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('rewind', [task('t')], { ...weekOld, catchup: false }));
    await h.tick();
    h.clock.set('2024-01-07T12:00:00Z');
    const rewound = await h.tick();
    expect(rewound.runsCreated).toBe(0);
    h.clock.set('2024-01-11T00:30:00Z');
    await h.tick();
    expect((await h.runs('rewind')).map((r) => r.logical_date)).toEqual(['2024-01-10T00:00:00.000Z', '2024-01-11T00:00:00.000Z']);
  });

  it('a paused DAG gets no scheduled runs and keeps manual runs queued', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('p', [task('t')], { ...weekOld }), { paused: true });
    await h.trigger('p', 'manual__1');
    await h.tick();
    const runs = await h.runs('p');
    expect(runs.map((r) => [r.run_id, r.state])).toEqual([['manual__1', 'queued']]);
    expect(h.spawner.spawned).toHaveLength(0);
  });

  it('dagrun_timeout fails a running run and skips its unfinished task instances', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('slow', [task('a'), task('b', ['a'])], { dagrun_timeout: 600 }));
    await h.trigger('slow', 'manual__1');
    await h.tick();
    h.clock.advance(601_000);
    await h.report(h.spawner.spawned[0]!, 'RUNNING'); // heartbeating: not a zombie
    const result = await h.tick();
    expect(result.runsTimedOut).toBe(1);
    expect((await h.run('slow', 'manual__1'))!.state).toBe('failed');
    expect(await h.states('slow', 'manual__1')).toEqual({ a: 'skipped', b: 'skipped' });
    expect(h.spawner.cancelled).toEqual(['fake-call-1']);
  });

  it('takes a finished run state from its leaves', async () => {
    expect(finalRunState(['success', 'skipped'])).toBe('success');
    expect(finalRunState(['success', 'upstream_failed'])).toBe('failed');
    h = new TickHarness(await factory.create());
    // a fails; b (all_done) runs and succeeds; leaf b decides: the run succeeds although a failed.
    await h.addDag(dag('leaves', [task('a'), task('b', ['a'], { trigger_rule: 'all_done' })]));
    await h.trigger('leaves', 'manual__1');
    await h.tick();
    await h.report(h.spawner.spawned[0]!, 'FAILED');
    await h.tick();
    await h.succeedAll('b');
    await h.tick();
    expect((await h.run('leaves', 'manual__1'))!.state).toBe('success');
    // With a failing leaf the run fails.
    await h.addDag(dag('leaves2', [task('a'), task('b', ['a'])]));
    await h.trigger('leaves2', 'manual__2');
    await h.tick();
    await h.report(h.pending('a').find((p) => p.dag_id === 'leaves2')!, 'FAILED');
    await h.tick();
    expect(await h.states('leaves2', 'manual__2')).toEqual({ a: 'failed', b: 'upstream_failed' });
    expect((await h.run('leaves2', 'manual__2'))!.state).toBe('failed');
  });
});
