/** Commands from the state dict: trigger, pause/unpause, clear, set_state; results and the command log. */
import { afterEach, expect, it } from 'vitest';
import { getCommandLog } from '../src/db/queries/command-log.js';
import { commandResultKey } from '../src/executor/protocol.js';
import type { CommandResult } from '../src/executor/protocol.js';
import { silentLogger } from '../src/logger.js';
import { describeEachBackend } from './helpers/backends.js';
import { daily, dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

describeEachBackend('commands', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());
  const result = (id: string) => h.dict.get<CommandResult>(commandResultKey(id));

  it('triggers with conf and a logical date (data interval inferred), refuses duplicates and unknown DAGs', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('d', [task('t')], { schedule: daily }));
    await h.trigger('d', 'manual__a', { conf: { k: 'v' }, logical_date: '2024-01-05T00:00:00Z' });
    await h.tick();
    const run = (await h.run('d', 'manual__a'))!;
    expect(run).toMatchObject({
      run_type: 'manual',
      triggered_by: 'cli',
      logical_date: '2024-01-05T00:00:00.000Z',
      data_interval_start: '2024-01-05T00:00:00.000Z',
      data_interval_end: '2024-01-05T00:00:00.000Z',
      state: 'running',
    });
    expect(JSON.parse(run.conf!)).toEqual({ k: 'v' });
    expect(await result('trigger-d-manual__a')).toMatchObject({ ok: true });
    expect(h.dict.data.has('cmd:trigger-d-manual__a')).toBe(false);
    expect((await getCommandLog(h.db, 'trigger-d-manual__a'))?.ok).toBe(true);

    await h.command({ id: 'dup-id', kind: 'trigger', dag_id: 'd', run_id: 'manual__a', conf: {}, logical_date: null });
    await h.command({ id: 'dup-date', kind: 'trigger', dag_id: 'd', run_id: 'manual__b', conf: {}, logical_date: '2024-01-05T00:00:00Z' });
    await h.command({ id: 'nodag', kind: 'trigger', dag_id: 'nope', run_id: 'manual__c', conf: {}, logical_date: null });
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    h.logger = { ...silentLogger, warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }) };
    const ticked = await h.tick();
    // Each refusal is said where the tick's output goes, with its reason.
    expect(warnings.filter((w) => w.message === 'command rejected').map((w) => [w.fields?.id, w.fields?.reason])).toEqual(
      expect.arrayContaining([
        ['dup-id', expect.stringMatching(/already exists/)],
        ['dup-date', expect.stringMatching(/already exists/)],
        ['nodag', expect.stringMatching(/DAG 'nope' not found/)],
      ]),
    );
    expect(ticked.commandsFailed).toBe(3);
    expect((await result('dup-id'))?.message).toMatch(/already exists/);
    expect((await result('dup-date'))?.message).toMatch(/already exists/);
    expect((await result('nodag'))?.message).toMatch(/DAG 'nope' not found/);
    expect((await h.runs('d')).filter((r) => r.run_type === 'manual')).toHaveLength(1);
  });

  it('a run without a logical date has no data interval (Airflow 3)', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('n', [task('t')]));
    await h.trigger('n', 'manual__n');
    await h.tick();
    expect(await h.run('n', 'manual__n')).toMatchObject({ logical_date: null, data_interval_start: null, state: 'running' });
    expect(h.spawner.spawned[0]!.run.logical_date).toBeNull();
  });

  it('pause stops scheduled runs; unpause resumes from now', async () => {
    h = new TickHarness(await factory.create(), { now: '2024-01-10T12:00:00Z' });
    await h.addDag(dag('s', [task('t')], { schedule: daily, start_date: '2024-01-01T00:00:00.000Z' }));
    await h.command({ id: 'p1', kind: 'pause', dag_id: 's' });
    await h.tick();
    expect(await h.runs('s')).toHaveLength(0);
    h.clock.set('2024-01-12T12:00:00Z');
    await h.tick();
    expect(await h.runs('s')).toHaveLength(0);
    await h.command({ id: 'u1', kind: 'unpause', dag_id: 's' });
    await h.tick();
    expect((await h.runs('s')).map((r) => r.logical_date)).toEqual(['2024-01-12T00:00:00.000Z']);
  });

  it('clear re-runs failed tasks with a new try and fresh retries', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('c', [task('a', [], { retries: 1, retry_delay: 1 }), task('b', ['a'])]));
    await h.trigger('c', 'manual__1');
    await h.tick();
    await h.report(h.pending('a')[0]!, 'FAILED');
    await h.tick();
    h.clock.advance(2000);
    await h.tick();
    await h.report(h.pending('a')[0]!, 'FAILED');
    await h.tick();
    expect((await h.run('c', 'manual__1'))!.state).toBe('failed');
    expect((await h.tis('c', 'manual__1')).a).toMatchObject({ state: 'failed', try_number: 2, max_tries: 1 });

    await h.command({ id: 'clr', kind: 'clear', dag_id: 'c', run_id: 'manual__1', task_ids: null, only_failed: true });
    await h.tick();
    expect((await result('clr'))?.message).toMatch(/cleared 2 task instance/);
    const tis = await h.tis('c', 'manual__1');
    expect(tis.a).toMatchObject({ state: 'queued', try_number: 3, max_tries: 3 });
    expect((await h.run('c', 'manual__1'))!.clear_number).toBe(1);
    await h.succeedAll();
    await h.tick();
    await h.succeedAll();
    await h.tick();
    expect((await h.run('c', 'manual__1'))!.state).toBe('success');
  });

  it('set_state marks a whole run, or chosen tasks, and cancels in-flight tries', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('m', [task('a'), task('b', ['a'])]));
    await h.trigger('m', 'manual__1');
    await h.tick();
    await h.command({ id: 'fail', kind: 'set_state', dag_id: 'm', run_id: 'manual__1', task_ids: null, state: 'failed' });
    await h.tick();
    expect((await h.run('m', 'manual__1'))!.state).toBe('failed');
    expect(await h.states('m', 'manual__1')).toEqual({ a: 'failed', b: 'skipped' });
    expect(h.spawner.cancelled).toEqual(['fake-call-1']);

    await h.command({ id: 'ok', kind: 'set_state', dag_id: 'm', run_id: 'manual__1', task_ids: ['a', 'b'], state: 'success' });
    await h.tick();
    expect(await h.states('m', 'manual__1')).toEqual({ a: 'success', b: 'success' });
    expect((await h.run('m', 'manual__1'))!.state).toBe('success');

    await h.command({ id: 'bad', kind: 'set_state', dag_id: 'm', run_id: 'manual__1', task_ids: ['zzz'], state: 'success' });
    await h.tick();
    expect(await result('bad')).toMatchObject({ ok: false });
  });

  it('does not apply a command twice when its key survived a crash', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('once', [task('t')]));
    await h.trigger('once', 'manual__1');
    const command = await h.dict.get('cmd:trigger-once-manual__1');
    await h.tick();
    await h.dict.put('cmd:trigger-once-manual__1', command); // as if the delete never happened
    await h.tick();
    expect(await result('trigger-once-manual__1')).toMatchObject({ ok: true });
    expect(await h.runs('once')).toHaveLength(1);
  });
});
