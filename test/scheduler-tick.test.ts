/** The tick end to end over a real database, with the task function played by hand. */
import { afterEach, expect, it } from 'vitest';
import type { DatabaseBackend, Queryable, SqlParam } from '../src/db/backend.js';
import { listTaskInstanceHistory } from '../src/db/queries/task-instance-history.js';
import { getJob } from '../src/db/queries/jobs.js';
import { TICK_REQUESTED_KEY } from '../src/executor/protocol.js';
import { isIdle, pendingWork } from '../src/scheduler/tick.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

describeEachBackend('tick', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('runs a manual run of a two-task chain to success, one try each', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('chain', [task('a'), task('b', ['a'])]));
    await h.trigger('chain', 'manual__1', { conf: { x: 1 } });

    const first = await h.tick();
    expect(first).toMatchObject({ ran: true, commandsApplied: 1, runsStarted: 1, dispatched: 1 });
    expect(h.spawner.spawned.map((p) => [p.task_id, p.try_number])).toEqual([['a', 1]]);
    expect(h.spawner.spawned[0]!.run.conf).toEqual({ x: 1 });
    expect(await h.states('chain', 'manual__1')).toEqual({ a: 'queued', b: null });

    await h.report(h.spawner.spawned[0]!, 'RUNNING');
    await h.tick();
    const running = (await h.tis('chain', 'manual__1')).a!;
    expect(running).toMatchObject({ state: 'running', hostname: 'worker-1', pid: 4242 });

    await h.report(h.spawner.spawned[0]!, 'SUCCESS');
    await h.tick();
    expect(await h.states('chain', 'manual__1')).toEqual({ a: 'success', b: 'queued' });
    expect(h.dict.data.has(h.spawner.spawned[0]!.key)).toBe(false);
    expect(await isIdle(h.db, h.dict, h.clock.now())).toBe(false);
    // What `scheduler --until-idle` prints when its timeout comes first: the counts, and the try in flight by name.
    expect(await pendingWork(h.db, h.dict, h.clock.now())).toEqual([
      '1 task records in the state dict (task:chain:b:manual__1:-1:1)',
      '1 task instances queued or running',
      '1 runs running',
      'in flight: chain.b of manual__1, try 1, queued',
    ]);

    await h.succeedAll();
    const last = await h.tick();
    expect(last.runsFinished).toBe(1);
    // The local loop follows a pass that finished a run with a full pass at once (a queued run may start).
    expect(last.fullPassNeeded).toBe(true);
    expect((await h.run('chain', 'manual__1'))!.state).toBe('success');
    expect(h.spawner.spawned).toHaveLength(2);
    const history = await listTaskInstanceHistory(h.db, { dag_id: 'chain', run_id: 'manual__1', task_id: 'a' });
    expect(history.map((r) => [r.try_number, r.state])).toEqual([[1, 'success']]);
    expect(await isIdle(h.db, h.dict, h.clock.now())).toBe(true);
    expect(await pendingWork(h.db, h.dict, h.clock.now())).toEqual([]);
    expect((await getJob(h.db, 'SchedulerJob'))?.latest_heartbeat).toBe(h.clock.now().toISOString());
  });
});

describeEachBackend('tick lease and fast-follow', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('records a tick request instead of running when the lease is held elsewhere', async () => {
    const db = await factory.create();
    h = new TickHarness(db);
    const other = db.openAnother();
    expect(await other.acquireLock('scheduler', { owner: 'someone-else', ttlMs: 60_000, now: h.clock.now() })).toBe(true);
    const result = await h.tick();
    expect(result.ran).toBe(false);
    expect(await h.dict.get(TICK_REQUESTED_KEY)).toBe(h.clock.now().toISOString());
    await other.releaseLock('scheduler');
  });

  it('runs exactly one more pass when a tick was requested during the pass', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('ff', [task('a'), task('b', ['a'])]));
    await h.trigger('ff', 'manual__1');
    // The "task function" finishes instantly and asks for a tick, as requestTick() would.
    const spawn = h.spawner.spawn.bind(h.spawner);
    h.spawner.spawn = async (payload) => {
      const callId = await spawn(payload);
      await h.dict.put(TICK_REQUESTED_KEY, h.clock.now().toISOString());
      return callId;
    };
    const result = await h.tick();
    expect(result).toMatchObject({ passes: 2, requestedAgain: true });
    expect(await h.dict.get(TICK_REQUESTED_KEY)).toBeUndefined();
    expect(h.spawner.spawned).toHaveLength(1);
  });

  it('stops writing as soon as the lease is lost', async () => {
    const db = await factory.create();
    h = new TickHarness(db);
    await h.addDag(dag('lost', [task('a')]));
    await h.trigger('lost', 'manual__1');
    const holdsLock = db.holdsLock.bind(db);
    db.holdsLock = async () => false;
    const result = await h.tick();
    db.holdsLock = holdsLock;
    expect(result).toMatchObject({ ran: true, leaseLost: true, commandsApplied: 0 });
    expect(await h.runs('lost')).toHaveLength(0);
    expect(h.dict.data.has('cmd:trigger-lost-manual__1')).toBe(true);
  });
});

/** The statements a backend runs (top level and inside transactions), for counting what a pass costs. */
function recordingStatements(db: DatabaseBackend, statements: string[]): DatabaseBackend {
  const wrap = <Q extends Queryable>(q: Q): Q =>
    new Proxy(q, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'all' || prop === 'get' || prop === 'run') {
          return (sql: string, params?: readonly SqlParam[]) => {
            statements.push(sql.replace(/\s+/g, ' ').trim());
            return (value as Queryable['all']).call(target, sql, params);
          };
        }
        if (prop === 'transaction') {
          return <T>(fn: (tx: Queryable) => Promise<T>) => (value as DatabaseBackend['transaction']).call(target, (tx) => fn(wrap(tx)));
        }
        return (value as (...args: unknown[]) => unknown).bind(target);
      },
    });
  return wrap(db);
}

describeEachBackend('idle tick', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('with no queued or running run, one count replaces every step on active runs', async () => {
    h = new TickHarness(await factory.create());
    for (let i = 0; i < 5; i++) await h.addDag(dag(`d${i}`, [task('a'), task('b', ['a'])]));
    await h.tick();
    const statements: string[] = [];
    const idle = await h.tick('test-owner', recordingStatements(h.db, statements));
    expect(idle).toMatchObject({ ran: true, runsStarted: 0, tasksScheduled: 0, dispatched: 0 });
    expect(statements.filter((sql) => /\bdag_run\b/.test(sql))).toEqual([
      "SELECT COUNT(*) AS n FROM dag_run WHERE state IN (?, ?)",
    ]);

    // A queued run brings the steps back in the same pass: it starts, and its first task goes out.
    await h.trigger('d0', 'manual__1');
    expect(await h.tick()).toMatchObject({ runsStarted: 1, dispatched: 1 });
  });
});

describeEachBackend('reports pass (the local loop woken by a finished try)', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('records the report, schedules the downstream task and dispatches it, and leaves everything else to the full pass', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('chain', [task('a'), task('b', ['a'])]));
    await h.addDag(dag('other', [task('x')]));
    await h.trigger('chain', 'manual__1');
    await h.tick();
    const heartbeat = (await getJob(h.db, 'SchedulerJob'))?.latest_heartbeat;
    await h.report(h.spawner.spawned[0]!, 'SUCCESS');
    // News a reports pass must not act on: a command and a new DAG file.
    await h.trigger('other', 'manual__1');
    h.volume.write('late.yaml', 'late:\n  schedule: null\n  start_date: 2024-01-01\n  tasks:\n    t:\n      operator: airflow.operators.bash.BashOperator\n      bash_command: "true"\n');
    h.clock.advance(1000);

    const pass = await h.tick('test-owner', h.db, { scope: 'reports' });
    expect(pass).toMatchObject({ ran: true, passes: 1, fullPass: false, reportsReconciled: 1, tasksScheduled: 1, dispatched: 1 });
    expect(pass).toMatchObject({ commandsApplied: 0, manifestsParsed: 0, runsCreated: 0 });
    expect(await h.states('chain', 'manual__1')).toEqual({ a: 'success', b: 'queued' });
    expect(h.spawner.spawned.map((p) => p.task_id)).toEqual(['a', 'b']);
    // The report went (after the commit); the command waits; the heartbeat is the full pass's.
    expect(h.dict.data.has(h.spawner.spawned[0]!.key)).toBe(false);
    expect(h.dict.data.has('cmd:trigger-other-manual__1')).toBe(true);
    expect(h.volume.commits).toBe(2);
    expect((await getJob(h.db, 'SchedulerJob'))?.latest_heartbeat).toBe(heartbeat);

    const full = await h.tick();
    expect(full).toMatchObject({ fullPass: true, commandsApplied: 1, manifestsParsed: 1 });
    expect((await getJob(h.db, 'SchedulerJob'))?.latest_heartbeat).toBe(h.clock.now().toISOString());
  });

  it('a reports pass that loses its lease keeps the report for the next one (on SQLite it commits nothing at all)', async () => {
    const db = await factory.create();
    h = new TickHarness(db);
    await h.addDag(dag('chain', [task('a'), task('b', ['a'])]));
    await h.trigger('chain', 'manual__1');
    await h.tick();
    const report = h.spawner.spawned[0]!;
    await h.report(report, 'SUCCESS');
    const holdsLock = db.holdsLock.bind(db);
    // The lease goes right after the pass recorded the report (this connection sees its own writes).
    db.holdsLock = async (name, now) => {
      const a = await db.get<{ state: string }>("SELECT state FROM task_instance WHERE dag_id = 'chain' AND task_id = 'a'");
      return a?.state !== 'success' && holdsLock(name, now);
    };
    const lost = await h.tick('test-owner', h.db, { scope: 'reports' });
    db.holdsLock = holdsLock;
    expect(lost).toMatchObject({ leaseLost: true, dispatched: 0 });
    expect(h.dict.data.has(report.key)).toBe(true);
    expect(h.spawner.spawned).toHaveLength(1);
    // SQLite runs the pass as one transaction (DatabaseBackend.batch): what it recorded before the loss is undone.
    if (db.dialect === 'sqlite') expect(await h.states('chain', 'manual__1')).toEqual({ a: 'queued', b: null });

    // The next pass (a full one: without a batch, Postgres already recorded the report, so a reports pass
    // would find nothing of its own to look at) finishes the job.
    expect(await h.tick()).toMatchObject({ dispatched: 1 });
    expect(await h.states('chain', 'manual__1')).toEqual({ a: 'success', b: 'queued' });
    expect(h.dict.data.has(report.key)).toBe(false);
  });

  it('a run finished by a report gets a full pass at once: the run waiting on max_active_runs starts and dispatches', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('one_at_a_time', [task('a')], { max_active_runs: 1 }));
    await h.trigger('one_at_a_time', 'manual__1');
    await h.trigger('one_at_a_time', 'manual__2');
    await h.tick();
    expect((await h.runs('one_at_a_time')).map((r) => [r.run_id, r.state])).toEqual([
      ['manual__1', 'running'],
      ['manual__2', 'queued'],
    ]);
    await h.report(h.spawner.spawned[0]!, 'SUCCESS');

    const result = await h.tick('test-owner', h.db, { scope: 'reports' });
    expect(result).toMatchObject({ passes: 2, fullPass: true, reportsReconciled: 1, runsFinished: 1, runsStarted: 1, dispatched: 1 });
    expect(result.fullPassNeeded).toBe(false); // that full pass finished nothing more
    expect((await h.run('one_at_a_time', 'manual__1'))?.state).toBe('success');
    expect(h.spawner.spawned.map((p) => p.run_id)).toEqual(['manual__1', 'manual__2']);
  });

  it('schedules a retry that fell due in another run than the ones its reports came from', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('flaky', [task('t', [], { retries: 1, retry_delay: 60 })]));
    await h.addDag(dag('busy', [task('a'), task('b', ['a'])]));
    await h.trigger('flaky', 'manual__1');
    await h.trigger('busy', 'manual__1');
    await h.tick();
    await h.report(h.pending('t')[0]!, 'FAILED');
    await h.tick('test-owner', h.db, { scope: 'reports' });
    expect((await h.tis('flaky', 'manual__1')).t).toMatchObject({ state: 'up_for_retry', try_number: 1 });

    // A minute on, only busy's try reports; flaky's retry goes out in the same narrow pass.
    h.clock.advance(61_000);
    await h.report(h.pending('a')[0]!, 'SUCCESS');
    expect(await h.tick('test-owner', h.db, { scope: 'reports' })).toMatchObject({ fullPass: false, tasksScheduled: 2, dispatched: 2 });
    expect(h.spawner.spawned.filter((p) => p.task_id === 't').map((p) => p.try_number)).toEqual([1, 2]);
  });

  it('dispatches in graph order across passes, and sees tries another process scheduled meanwhile', async () => {
    const db = await factory.create();
    h = new TickHarness(db, { config: { executor: { parallelism: 2 } } });
    // Graph order: a1, a2, b3, b4, c5, c6 (b3 waits for a1, b4 for a2).
    await h.addDag(dag('fan', [task('a1'), task('a2'), task('b3', ['a1']), task('b4', ['a2']), task('c5'), task('c6')]));
    await h.trigger('fan', 'manual__1');
    await h.tick();
    expect(h.spawner.spawned.map((p) => p.task_id)).toEqual(['a1', 'a2']);

    // This process's own readiness: b3, scheduled after c5 and c6, still goes before them.
    await h.report(h.pending('a1')[0]!, 'SUCCESS');
    expect(await h.tick('test-owner', h.db, { scope: 'reports' })).toMatchObject({ tasksScheduled: 1, dispatched: 1 });
    expect(h.spawner.spawned.map((p) => p.task_id)).toEqual(['a1', 'a2', 'b3']);

    // Another process (its own backend, so its own parsed DAGs and dispatch order) reconciles a2 and
    // schedules b4 while it has no free slot; this process's kept order must not hide b4.
    await h.report(h.pending('a2')[0]!, 'SUCCESS');
    h.config.executor.parallelism = 1;
    expect(await h.tick('other-process', db.openAnother())).toMatchObject({ tasksScheduled: 1, dispatched: 0 });
    h.config.executor.parallelism = 2;
    expect(await h.states('fan', 'manual__1')).toMatchObject({ b3: 'queued', b4: 'scheduled', c5: 'scheduled', c6: 'scheduled' });

    expect(await h.tick('test-owner', h.db, { scope: 'reports' })).toMatchObject({ reportsReconciled: 0, dispatched: 1 });
    expect(h.spawner.spawned.map((p) => p.task_id)).toEqual(['a1', 'a2', 'b3', 'b4']);
  });
});
