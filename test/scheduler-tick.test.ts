/** The tick end to end over a real database, with the task function played by hand. */
import { afterEach, expect, it } from 'vitest';
import type { DatabaseBackend, Queryable, SqlParam } from '../src/db/backend.js';
import { listTaskInstanceHistory } from '../src/db/queries/task-instance-history.js';
import { getJob } from '../src/db/queries/jobs.js';
import { TICK_REQUESTED_KEY } from '../src/executor/protocol.js';
import { isIdle } from '../src/scheduler/tick.js';
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

    await h.succeedAll();
    const last = await h.tick();
    expect(last.runsFinished).toBe(1);
    expect((await h.run('chain', 'manual__1'))!.state).toBe('success');
    expect(h.spawner.spawned).toHaveLength(2);
    const history = await listTaskInstanceHistory(h.db, { dag_id: 'chain', run_id: 'manual__1', task_id: 'a' });
    expect(history.map((r) => [r.try_number, r.state])).toEqual([[1, 'success']]);
    expect(await isIdle(h.db, h.dict, h.clock.now())).toBe(true);
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
