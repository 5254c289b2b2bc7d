/** Task-level scheduling: branches, short-circuits, EmptyOperator, depends_on_past, concurrency, sweeps. */
import { afterEach, expect, it } from 'vitest';
import { listTaskInstanceHistory } from '../src/db/queries/task-instance-history.js';
import { claimKey } from '../src/executor/protocol.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

describeEachBackend('task scheduling', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  async function start(spec: ReturnType<typeof dag>, runId = 'manual__1', overrides?: ConstructorParameters<typeof TickHarness>[1]) {
    h = new TickHarness(await factory.create(), overrides);
    await h.addDag(spec);
    await h.trigger(spec.dag_id, runId);
    await h.tick();
  }

  it('a branch skips the direct downstream tasks it did not follow, and the skip cascades', async () => {
    await start(
      dag('br', [
        task('choose', [], { operator: 'branch_python' }),
        task('left', ['choose']),
        task('right', ['choose']),
        task('after_right', ['right']),
        task('join', ['left', 'after_right'], { trigger_rule: 'none_failed_min_one_success' }),
      ]),
    );
    await h.report(h.pending('choose')[0]!, 'SUCCESS', { follow_task_ids: ['left'] });
    await h.tick();
    expect(await h.states('br', 'manual__1')).toMatchObject({ left: 'queued', right: 'skipped', after_right: 'skipped', join: null });
    await h.succeedAll('left');
    await h.tick();
    expect((await h.states('br', 'manual__1')).join).toBe('queued');
  });

  it('a falsy short-circuit skips all downstream, or only direct ones when trigger rules are respected', async () => {
    await start(
      dag('sc', [task('check', [], { operator: 'short_circuit' }), task('a', ['check']), task('b', ['a'], { trigger_rule: 'all_done' })]),
    );
    await h.report(h.pending('check')[0]!, 'SUCCESS', { short_circuit: 'all_downstream' });
    await h.tick();
    expect(await h.states('sc', 'manual__1')).toEqual({ check: 'success', a: 'skipped', b: 'skipped' });
    expect((await h.run('sc', 'manual__1'))!.state).toBe('success');
    h.dispose();

    await start(
      dag('sc2', [task('check', [], { operator: 'short_circuit' }), task('a', ['check']), task('b', ['a'], { trigger_rule: 'all_done' })]),
    );
    await h.report(h.pending('check')[0]!, 'SUCCESS', { short_circuit: 'direct_downstream' });
    await h.tick();
    // b's all_done rule sees a skipped (done), so b runs.
    expect(await h.states('sc2', 'manual__1')).toEqual({ check: 'success', a: 'skipped', b: 'queued' });
  });

  it('EmptyOperator succeeds without dispatch, and a chain of them resolves in one tick', async () => {
    await start(dag('em', [task('e1', [], { operator: 'empty' }), task('e2', ['e1'], { operator: 'empty' }), task('work', ['e2'])]));
    expect(await h.states('em', 'manual__1')).toEqual({ e1: 'success', e2: 'success', work: 'queued' });
    expect(h.spawner.spawned.map((p) => p.task_id)).toEqual(['work']);
    expect((await h.tis('em', 'manual__1')).e1!.try_number).toBe(1);
  });

  it('upstream failures propagate through a whole chain in one tick', async () => {
    await start(dag('uf', [task('a'), task('b', ['a']), task('c', ['b']), task('d', ['c'])]));
    await h.report(h.pending('a')[0]!, 'FAILED');
    const result = await h.tick();
    expect(result.tasksUpstreamFailed).toBe(3);
    expect(await h.states('uf', 'manual__1')).toEqual({ a: 'failed', b: 'upstream_failed', c: 'upstream_failed', d: 'upstream_failed' });
    expect((await h.run('uf', 'manual__1'))!.state).toBe('failed');
  });

  it('depends_on_past waits for the previous run of the same task', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('dop', [task('t', [], { depends_on_past: true })]));
    await h.trigger('dop', 'manual__1', { logical_date: '2024-01-01T00:00:00Z' });
    await h.trigger('dop', 'manual__2', { logical_date: '2024-01-02T00:00:00Z' });
    await h.tick();
    // The first run may go; the second waits for it.
    expect(h.spawner.spawned.map((p) => p.run_id)).toEqual(['manual__1']);
    await h.report(h.spawner.spawned[0]!, 'FAILED');
    await h.tick();
    expect((await h.states('dop', 'manual__2')).t).toBe(null);
    expect(h.spawner.spawned).toHaveLength(1);
  });

  it('max_active_tasks limits queued+running tries per run', async () => {
    await start(dag('mat', [task('a'), task('b'), task('c'), task('d')], { max_active_tasks: 2 }));
    expect(h.spawner.spawned).toHaveLength(2);
    const states = Object.values(await h.states('mat', 'manual__1'));
    expect(states.filter((s) => s === 'queued')).toHaveLength(2);
    expect(states.filter((s) => s === 'scheduled')).toHaveLength(2);
    await h.succeedAll();
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(4);
  });

  it('executor.parallelism limits in-flight tries across the environment', async () => {
    h = new TickHarness(await factory.create(), { config: { executor: { parallelism: 3 } } });
    await h.addDag(dag('p1', [task('a'), task('b')]));
    await h.addDag(dag('p2', [task('a'), task('b')]));
    await h.trigger('p1', 'manual__1');
    await h.trigger('p2', 'manual__1');
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(3);
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(3);
    await h.report(h.spawner.spawned[0]!, 'SUCCESS');
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(4);
  });

  it('a running try without heartbeats becomes a zombie and is retried', async () => {
    await start(dag('z', [task('t', [], { retries: 1, retry_delay: 60 })]));
    await h.report(h.pending('t')[0]!, 'RUNNING');
    await h.tick();
    expect((await h.tis('z', 'manual__1')).t!.state).toBe('running');
    h.clock.advance((h.config.scheduler.task_instance_heartbeat_timeout + 1) * 1000);
    const result = await h.tick();
    expect(result.zombies).toBe(1);
    const ti = (await h.tis('z', 'manual__1')).t!;
    expect(ti.state).toBe('up_for_retry');
    const history = await listTaskInstanceHistory(h.db, { dag_id: 'z', run_id: 'manual__1', task_id: 't' });
    expect(history[0]!.error).toMatch(/^zombie: no heartbeat since/);
    expect(h.spawner.cancelled).toEqual(['fake-call-1']);
    // Its leftovers (the operator's process group) were ended from its last record before any retry.
    expect(h.spawner.endedTries.map((r) => [r.status, r.try_number])).toEqual([['RUNNING', 1]]);
    expect(h.dict.data.has(h.spawner.spawned[0]!.key)).toBe(false);
    h.clock.advance(61_000);
    await h.tick();
    expect(h.spawner.spawned.map((p) => p.try_number)).toEqual([1, 2]);
  });

  it('a queued try claimed but never reported started within the heartbeat timeout becomes a zombie and is retried', async () => {
    // A task function that died between its claim and its RUNNING record (which waits for the operator's
    // process): without this it would wait for task_queued_timeout, ten minutes by default.
    await start(dag('cz', [task('t', [], { retries: 1, retry_delay: 0 })]));
    const payload = h.pending('t')[0]!;
    await h.dict.putIfAbsent(claimKey(payload), { token: payload.token, call_id: 'local-77-1', claimed_at: h.clock.now().toISOString() });
    h.clock.advance(h.config.scheduler.task_instance_heartbeat_timeout * 1000 - 1000);
    expect((await h.tick()).zombies).toBe(0); // within the timeout: still starting
    h.clock.advance(2000);
    const result = await h.tick();
    expect(result).toMatchObject({ zombies: 1, queuedTimeouts: 0 });
    const history = await listTaskInstanceHistory(h.db, { dag_id: 'cz', run_id: 'manual__1', task_id: 't' });
    expect(history[0]!.error).toMatch(/^zombie: claimed at .* by local-77-1 and never reported its start/);
    expect(h.dict.data.has(claimKey(payload))).toBe(false);
    expect((await h.tis('cz', 'manual__1')).t!.state).toBe('up_for_retry');
    h.clock.advance(1000);
    await h.tick();
    expect(h.spawner.spawned.map((p) => p.try_number)).toEqual([1, 2]);
  });

  it('an unclaimed queued try waits for task_queued_timeout, not the heartbeat timeout', async () => {
    await start(dag('uq', [task('t')]));
    h.clock.advance((h.config.scheduler.task_instance_heartbeat_timeout + 1) * 1000);
    expect(await h.tick()).toMatchObject({ zombies: 0, queuedTimeouts: 0 });
    expect((await h.tis('uq', 'manual__1')).t!.state).toBe('queued');
  });

  it('a try queued longer than task_queued_timeout fails', async () => {
    await start(dag('q', [task('t')]));
    h.clock.advance((h.config.scheduler.task_queued_timeout + 1) * 1000);
    const result = await h.tick();
    expect(result.queuedTimeouts).toBe(1);
    expect((await h.tis('q', 'manual__1')).t!.state).toBe('failed');
    expect((await h.run('q', 'manual__1'))!.state).toBe('failed');
  });

  it('deletes a report only after its outcome is committed, and replays it idempotently', async () => {
    await start(dag('rep', [task('t')]));
    const payload = h.pending('t')[0]!;
    await h.report(payload, 'SUCCESS');
    // The volume commit fails after the database commit: the report must survive for the next tick.
    const commit = h.volume.commit.bind(h.volume);
    h.volume.commit = async () => {
      throw new Error('volume commit failed');
    };
    await expect(h.tick()).rejects.toThrow('volume commit failed');
    expect(h.dict.data.has(payload.key)).toBe(true);
    expect((await h.tis('rep', 'manual__1')).t!.state).toBe('success');
    h.volume.commit = commit;
    await h.tick();
    expect(h.dict.data.has(payload.key)).toBe(false);
    const history = await listTaskInstanceHistory(h.db, { dag_id: 'rep', run_id: 'manual__1', task_id: 't' });
    expect(history).toHaveLength(1);
    expect((await h.tis('rep', 'manual__1')).t!.state).toBe('success');
  });

  it('keeps a report when the transaction recording it fails', async () => {
    await start(dag('rep2', [task('t')]));
    const payload = h.pending('t')[0]!;
    await h.report(payload, 'FAILED');
    const db = h.db;
    const transaction = db.transaction.bind(db);
    db.transaction = async () => {
      throw new Error('disk full');
    };
    await expect(h.tick()).rejects.toThrow('disk full');
    db.transaction = transaction;
    expect(h.dict.data.has(payload.key)).toBe(true);
    expect((await h.tis('rep2', 'manual__1')).t!.state).toBe('queued');
    await h.tick();
    expect((await h.tis('rep2', 'manual__1')).t!.state).toBe('failed');
    expect(h.dict.data.has(payload.key)).toBe(false);
  });
});
