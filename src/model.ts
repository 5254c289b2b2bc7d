/**
 * The domain's words, named once (DESIGN.md "Glossary"):
 * - environment: one isolated deployment (volume, state dict, database, task functions, tick), named by `--env`.
 * - provider: where an environment lives: `local` (this machine) or `modal` (Modal cloud).
 * - volume: the environment's file store (`dags/`, `data/airflow.db`, `logs/`, `xcom/`).
 * - state dict: the key-value store shared by the CLI, the tick and task functions.
 * - DAG manifest: a YAML file under `dags/` declaring DAGs in dag-factory's shape.
 * - tick: one bounded scheduler pass. task function: one execution of one try of one task instance.
 * - DAG run, task instance, try, logical date, data interval, trigger rule: exactly as in Airflow.
 *
 * This module holds the state machines' vocabularies shared by every layer.
 */

export const DAG_RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;
export type DagRunState = (typeof DAG_RUN_STATES)[number];

/** Airflow's TaskInstanceState; `null` is Airflow's "none" (not yet scheduled). */
export const TASK_INSTANCE_STATES = [
  'scheduled',
  'queued',
  'running',
  'success',
  'failed',
  'skipped',
  'upstream_failed',
  'up_for_retry',
  'removed',
] as const;
export type TaskInstanceState = (typeof TASK_INSTANCE_STATES)[number] | null;

/** Terminal task states (Airflow's `State.finished`). */
export const FINISHED_TASK_STATES: ReadonlySet<TaskInstanceState> = new Set([
  'success',
  'failed',
  'skipped',
  'upstream_failed',
  'removed',
]);

export function isFinished(state: TaskInstanceState): boolean {
  return FINISHED_TASK_STATES.has(state);
}

/** Airflow 3's trigger rules. */
export const TRIGGER_RULES = [
  'all_success',
  'all_failed',
  'all_done',
  'all_done_min_one_success',
  'all_done_setup_success',
  'all_skipped',
  'one_success',
  'one_failed',
  'one_done',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'always',
] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** Airflow 2 names still accepted in manifests, mapped to their Airflow 3 rule. */
export const TRIGGER_RULE_ALIASES: Readonly<Record<string, TriggerRule>> = {
  none_failed_or_skipped: 'none_failed_min_one_success',
  dummy: 'always',
};

export const RUN_TYPES = ['scheduled', 'manual', 'backfill'] as const;
export type RunType = (typeof RUN_TYPES)[number];

/** Airflow 3's `triggered_by` values we produce. */
export type TriggeredBy = 'cli' | 'rest_api' | 'ui' | 'timetable' | 'test' | 'backfill';
