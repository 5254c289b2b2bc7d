/**
 * Setup and teardown tasks as Airflow's TriggerRuleDep and DagRun.update_state treat them: a teardown
 * (all_done_setup_success) runs once its setups ran even when the work between failed; it is skipped when
 * all its setups were skipped and upstream_failed when none succeeded; indirect setups must all succeed;
 * a teardown's failure does not decide the run's state unless on_failure_fail_dagrun.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskInstanceState } from '../src/model.js';
import { graphOf } from '../src/scheduler/dag-graph.js';
import { countUpstreamStates, decideTask } from '../src/scheduler/trigger-rules.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

/** create_cluster >> run_query >> delete_cluster, with create_cluster >> delete_cluster (as_teardown(setups=...)). */
function clusterDag(teardownOptions: { on_failure_fail_dagrun?: boolean } = {}) {
  return dag('cluster', [
    task('create_cluster', [], { is_setup: true }),
    task('run_query', ['create_cluster']),
    task('delete_cluster', ['create_cluster', 'run_query'], { is_teardown: true, trigger_rule: 'all_done_setup_success', ...teardownOptions }),
  ]);
}

describe('setup/teardown decisions', () => {
  const teardown = (ups: Array<[TaskInstanceState, boolean]>) =>
    decideTask('all_done_setup_success', countUpstreamStates(ups.map(([s]) => s), ups.map(([, setup]) => setup)), []);

  it('all_done_setup_success: waits for all upstream, needs one successful setup, skips when all setups skipped', () => {
    expect(teardown([['success', true], ['failed', false]])).toBe('run');
    expect(teardown([['success', true], [null, false]])).toBe('wait');
    expect(teardown([['failed', true], ['upstream_failed', false]])).toBe('upstream_failed');
    expect(teardown([['skipped', true], ['skipped', false]])).toBe('skip');
    expect(teardown([['success', true], ['failed', true]])).toBe('run'); // one setup ran: it runs
    expect(teardown([['failed', false]])).toBe('run'); // no setup upstream: all_done
  });

  it('a task whose indirect setup failed or was skipped is settled at once; one still running makes it wait', () => {
    const direct = countUpstreamStates(['success']);
    expect(decideTask('all_success', direct, ['failed'])).toBe('upstream_failed');
    expect(decideTask('all_done', direct, ['skipped'])).toBe('skip');
    expect(decideTask('all_success', direct, ['running'])).toBe('wait');
    expect(decideTask('all_success', direct, ['success'])).toBe('run');
  });

  it("finds each task's indirect setups within the setup's scope, and the run-state leaves without teardowns", () => {
    const graph = graphOf(
      dag('scoped', [
        task('setup', [], { is_setup: true }),
        task('w1', ['setup']),
        task('w2', ['w1']),
        task('teardown', ['setup', 'w2'], { is_teardown: true, trigger_rule: 'all_done_setup_success' }),
        task('after', ['teardown']),
      ]),
    );
    expect(graph.indirectSetups.get('w2')).toEqual(['setup']);
    expect(graph.indirectSetups.has('w1')).toBe(false); // direct upstream: its trigger rule covers it
    expect(graph.indirectSetups.has('teardown')).toBe(false);
    // `after` is outside the setup's scope (its teardown is upstream of it, not downstream).
    expect(graph.indirectSetups.has('after')).toBe(false);
    expect(graphOf(clusterDag()).leaves).toEqual(['run_query']);
    expect(graphOf(clusterDag({ on_failure_fail_dagrun: true })).leaves).toEqual(['delete_cluster']);
  });
});

describeEachBackend('setup and teardown in runs', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  async function start(spec: ReturnType<typeof dag>) {
    h = new TickHarness(await factory.create());
    await h.addDag(spec);
    await h.trigger(spec.dag_id, 'manual__1');
    await h.tick();
  }

  it('the teardown runs after the work failed, and the run fails for the work, not the teardown', async () => {
    await start(clusterDag());
    await h.succeedAll('create_cluster');
    await h.tick();
    await h.report(h.pending('run_query')[0]!, 'FAILED', { error: 'query failed', no_retry: true });
    await h.tick();
    expect(await h.states('cluster', 'manual__1')).toMatchObject({ run_query: 'failed', delete_cluster: 'queued' });
    await h.succeedAll('delete_cluster');
    await h.tick();
    expect((await h.run('cluster', 'manual__1'))!.state).toBe('failed');
  });

  it("a failed setup leaves the work and the teardown upstream_failed", async () => {
    await start(clusterDag());
    await h.report(h.pending('create_cluster')[0]!, 'FAILED', { error: 'no capacity', no_retry: true });
    await h.tick();
    expect(await h.states('cluster', 'manual__1')).toEqual({ create_cluster: 'failed', run_query: 'upstream_failed', delete_cluster: 'upstream_failed' });
    expect((await h.run('cluster', 'manual__1'))!.state).toBe('failed');
  });

  it("a teardown's failure does not fail the run, unless on_failure_fail_dagrun", async () => {
    for (const fail of [false, true]) {
      h?.dispose();
      await start(clusterDag(fail ? { on_failure_fail_dagrun: true } : {}));
      await h.succeedAll('create_cluster');
      await h.tick();
      await h.succeedAll('run_query');
      await h.tick();
      await h.report(h.pending('delete_cluster')[0]!, 'FAILED', { error: 'cannot delete', no_retry: true });
      await h.tick();
      expect((await h.states('cluster', 'manual__1')).delete_cluster).toBe('failed');
      expect((await h.run('cluster', 'manual__1'))!.state).toBe(fail ? 'failed' : 'success');
    }
  });
});
