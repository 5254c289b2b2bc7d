/** The tick end to end over a real database, with the task function played by hand. */
import { afterEach, expect, it } from 'vitest';
import { listTaskInstanceHistory } from '../src/db/queries/task-instance-history.js';
import { getJob } from '../src/db/queries/jobs.js';
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
