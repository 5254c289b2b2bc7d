/**
 * Trigger rules as a pure function of the direct upstream states (Airflow 3's TriggerRuleDep, with
 * `flag_upstream_failed` on, as the scheduler runs it). The result says whether the task instance runs now,
 * keeps waiting, or is set to `skipped` / `upstream_failed` because its rule can no longer be met.
 *
 * `all_done_setup_success` (the teardown default) is `all_done` plus Airflow's setup rule: once every upstream
 * task is done, a teardown whose direct upstream setups were all skipped is skipped, and one none of whose
 * direct upstream setups succeeded is upstream_failed; one successful setup is enough for it to run.
 * The setup constraint on other tasks (every relevant indirect setup must succeed) is `evaluateSetupConstraint`.
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
  /** Direct upstream setup tasks, and how many of them succeeded / were skipped. */
  setup: number;
  success_setup: number;
  skipped_setup: number;
}

/** `isSetup[i]` says whether the i-th upstream task is a setup task (absent: none is). */
export function countUpstreamStates(states: readonly TaskInstanceState[], isSetup?: readonly boolean[]): UpstreamCounts {
  const counts: UpstreamCounts = { upstream: states.length, success: 0, skipped: 0, failed: 0, upstream_failed: 0, removed: 0, setup: 0, success_setup: 0, skipped_setup: 0 };
  states.forEach((state, i) => {
    if (state === 'success' || state === 'skipped' || state === 'failed' || state === 'upstream_failed' || state === 'removed') {
      counts[state]++;
    }
    if (isSetup?.[i]) {
      counts.setup++;
      if (state === 'success') counts.success_setup++;
      if (state === 'skipped') counts.skipped_setup++;
    }
  });
  return counts;
}

/**
 * Airflow's setup constraint for a task that is not a teardown: its relevant indirect setups (not direct
 * upstream) must all succeed. A failed one makes it upstream_failed and a skipped one skips it at once,
 * without waiting for the rest; otherwise it waits until all succeeded. 'run' means the constraint is met.
 */
export function evaluateSetupConstraint(setupStates: readonly TaskInstanceState[]): TriggerDecision {
  if (setupStates.some((s) => s === 'failed' || s === 'upstream_failed')) return 'upstream_failed';
  if (setupStates.some((s) => s === 'skipped')) return 'skip';
  return setupStates.every((s) => s === 'success') ? 'run' : 'wait';
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
      return allDone ? 'run' : 'wait';

    case 'all_done_setup_success':
      if (!allDone) return 'wait';
      if (c.setup > 0 && c.skipped_setup >= c.setup) return 'skip';
      if (c.setup > 0 && c.success_setup === 0) return 'upstream_failed';
      return 'run';

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

/**
 * A task instance's decision as Airflow's TriggerRuleDep makes it: the setup constraint first (a failed or
 * skipped indirect setup settles it), then the trigger rule on the direct upstream tasks, which may itself
 * settle it (skip/upstream_failed); it runs only when both allow it.
 */
export function decideTask(rule: TriggerRule, direct: UpstreamCounts, indirectSetupStates: readonly TaskInstanceState[]): TriggerDecision {
  const setup = indirectSetupStates.length > 0 ? evaluateSetupConstraint(indirectSetupStates) : 'run';
  if (setup === 'upstream_failed' || setup === 'skip') return setup;
  const decision = evaluateTriggerRule(rule, direct);
  return decision === 'run' && setup === 'wait' ? 'wait' : decision;
}
