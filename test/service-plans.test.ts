/** The dry runs on a database handle (service/plans.ts), which the CLI and the API's confirmations list, on both backends. */
import { afterEach, expect, it } from 'vitest';
import { DagNotParsedError, planBackfill, planClear, planMarkRun, planMarkTask } from '../src/service/plans.js';
import { UnknownRunError, UnknownTaskError } from '../src/service/errors.js';
import { describeEachBackend } from './helpers/backends.js';
import { daily, dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

const OPTIONS = { create_cron_data_intervals: false, create_delta_data_intervals: false };

describeEachBackend('plans', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  /** a -> b -> c with a failed (b, c upstream_failed), and a side task that succeeded. */
  async function failedRun(): Promise<void> {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('p', [task('a'), task('b', ['a']), task('c', ['b']), task('side')], { schedule: daily }), { paused: true });
    await h.trigger('p', 'manual__1', { logical_date: '2024-01-03T00:00:00Z' });
    await h.command({ id: 'go', kind: 'unpause', dag_id: 'p' });
    await h.tick();
    await h.report(h.pending('a')[0]!, 'FAILED');
    await h.succeedAll('side');
    await h.tick();
    await h.tick();
  }

  it('clear: only failed, by regex with downstream, by date range; in DAG order; unknown run and unparsed DAG refused', async () => {
    await failedRun();
    const failed = await planClear(h.db, { dagId: 'p', runId: 'manual__1', onlyFailed: true });
    expect(failed.map((p) => p.matched.map((ti) => `${ti.task_id}:${ti.state}`))).toEqual([['a:failed', 'b:upstream_failed', 'c:upstream_failed']]);
    const downstream = await planClear(h.db, { dagId: 'p', taskRegex: '^b$', includeDownstream: true, startDate: new Date('2024-01-01'), endDate: new Date('2024-01-05') });
    expect(downstream.map((p) => [p.run.run_id, p.taskIds])).toEqual([['manual__1', ['b', 'c']]]);
    expect(await planClear(h.db, { dagId: 'p', startDate: new Date('2024-02-01') })).toEqual([]);
    await expect(planClear(h.db, { dagId: 'p', runId: 'nope' })).rejects.toBeInstanceOf(UnknownRunError);
    await expect(planClear(h.db, { dagId: 'ghost' })).rejects.toBeInstanceOf(DagNotParsedError);
    await expect(planClear(h.db, { dagId: 'p', runId: 'manual__1', tasks: [{ task_id: 'a', map_index: 3 }] })).resolves.toEqual([]);
  });

  it('mark: the changing task instances and the failed downstream ones a mark clears; a run mark lists the unfinished', async () => {
    await failedRun();
    const mark = await planMarkTask(h.db, { dagId: 'p', runId: 'manual__1', taskId: 'a', state: 'success' });
    expect(mark.changing.map((ti) => ti.task_id)).toEqual(['a']);
    expect(mark.cleared.map((ti) => ti.task_id)).toEqual(['b', 'c']);
    const already = await planMarkTask(h.db, { dagId: 'p', runId: 'manual__1', taskId: 'side', state: 'success' });
    expect(already.changing).toEqual([]);
    await expect(planMarkTask(h.db, { dagId: 'p', runId: 'manual__1', taskId: 'zz', state: 'success' })).rejects.toBeInstanceOf(UnknownTaskError);
    await expect(planMarkTask(h.db, { dagId: 'p', runId: 'manual__1', taskId: 'a', mapIndex: 2, state: 'success' })).rejects.toThrow(/no map index 2/);
    expect((await planMarkRun(h.db, 'p', 'manual__1', 'success')).changing).toEqual([]);
    expect((await planMarkRun(h.db, 'p', 'manual__1', 'queued')).changing).toEqual([]);
  });

  it('backfill: the dates that would get a run, skipping the one with a finished run under reprocess none', async () => {
    await failedRun();
    const plan = (reprocessBehavior: 'none' | 'failed') =>
      planBackfill(h.db, OPTIONS, { dagId: 'p', fromDate: new Date('2024-01-02T00:00:00Z'), toDate: new Date('2024-01-04T00:00:00Z'), runBackwards: false, reprocessBehavior }, h.clock.now());
    // The manual run of Jan 3 failed: none skips it, failed reruns it.
    expect(await plan('none')).toEqual({ infos: 3, dates: ['2024-01-02T00:00:00.000Z', '2024-01-04T00:00:00.000Z'] });
    expect((await plan('failed')).dates).toHaveLength(3);
  });
});
