/**
 * Trigger rules as a pure function of the direct upstream states (Airflow 3's TriggerRuleDep, with
 * `flag_upstream_failed` on, as the scheduler runs it). The result says whether the task instance runs now,
 * keeps waiting, or is set to `skipped` / `upstream_failed` because its rule can no longer be met.
 *
 * Deliberate reading of `all_done_setup_success`: it is the default rule of teardown tasks and only differs from
 * `all_done` when setup tasks are upstream. Manifests cannot declare setup tasks, so there is never an upstream
 * setup, and Airflow's own evaluation then reduces to `all_done` (no auto-state; runs when all upstream are done).
 */
import type { TaskInstanceState, TriggerRule } from '../model.js';

export type TriggerDecision = 'run' | 'wait' | 'skip' | 'upstream_failed';

export interface UpstreamCounts {
  /** Number of direct upstream task instances. */
  upstream: number;
  success: number;
  skipped: number;
  failed: number;
  upstream_failed: number;
  removed: number;
}

export function countUpstreamStates(states: readonly TaskInstanceState[]): UpstreamCounts {
  const counts: UpstreamCounts = { upstream: states.length, success: 0, skipped: 0, failed: 0, upstream_failed: 0, removed: 0 };
  for (const state of states) {
    if (state === 'success' || state === 'skipped' || state === 'failed' || state === 'upstream_failed' || state === 'removed') {
      counts[state]++;
    }
  }
  return counts;
}

/** What happens to a task instance in state none whose upstream tasks are in the counted states. */
export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): TriggerDecision {
  // No upstream, or `always`: nothing to wait for.
  if (c.upstream === 0 || rule === 'always') return 'run';

  const done = c.success + c.skipped + c.failed + c.upstream_failed + c.removed;
  const allDone = done >= c.upstream;
  const anyFailed = c.failed + c.upstream_failed > 0;

  switch (rule) {
    case 'all_success':
      if (anyFailed) return 'upstream_failed';
      if (c.skipped > 0) return 'skip';
      return c.success >= c.upstream ? 'run' : 'wait';

    case 'all_failed':
      if (c.success + c.skipped > 0) return 'skip';
      return c.failed + c.upstream_failed >= c.upstream ? 'run' : 'wait';

    case 'all_done':
    case 'all_done_setup_success':
      return allDone ? 'run' : 'wait';

    case 'all_done_min_one_success': {
      // Skipped upstream tasks do not count as done for this rule: any skip skips it.
      if (c.skipped > 0) return 'skip';
      const nonSkippedDone = c.success + c.failed + c.upstream_failed + c.removed;
      if (nonSkippedDone >= c.upstream) return c.success > 0 ? 'run' : 'upstream_failed';
      return 'wait';
    }

    case 'all_skipped':
      if (c.success + c.failed + c.upstream_failed > 0) return 'skip';
      return c.skipped >= c.upstream ? 'run' : 'wait';

    case 'one_success':
      if (c.success > 0) return 'run';
      if (allDone) return done === c.skipped ? 'skip' : 'upstream_failed';
      return 'wait';

    case 'one_failed':
      if (anyFailed) return 'run';
      return allDone ? 'skip' : 'wait';

    case 'one_done':
      if (c.success + c.failed > 0) return 'run';
      return allDone ? 'skip' : 'wait';

    case 'none_failed':
      if (anyFailed) return 'upstream_failed';
      return c.success + c.skipped >= c.upstream ? 'run' : 'wait';

    case 'none_failed_min_one_success':
      if (anyFailed) return 'upstream_failed';
      if (c.skipped >= c.upstream) return 'skip';
      return c.success + c.skipped >= c.upstream ? 'run' : 'wait';

    case 'none_skipped':
      if (c.skipped > 0) return 'skip';
      return allDone ? 'run' : 'wait';
  }
}
