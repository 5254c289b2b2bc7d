/** Environment-wide defaults a manifest falls back to (Airflow's [core]/[scheduler] settings). */
import type { Config } from '../config/model.js';

export interface ManifestDefaults {
  catchup: boolean;
  max_active_runs: number;
  max_active_tasks: number;
  retries: number;
  is_paused_upon_creation: boolean;
}

export function manifestDefaultsFrom(config: Config): ManifestDefaults {
  return {
    catchup: config.scheduler.catchup_by_default,
    max_active_runs: config.core.max_active_runs_per_dag,
    max_active_tasks: config.core.max_active_tasks_per_dag,
    retries: config.core.default_task_retries,
    is_paused_upon_creation: config.core.dags_are_paused_at_creation,
  };
}

/**
 * Airflow's BaseOperator defaults for the task fields a DAG file may leave unset (Airflow: owner
 * `[operators] default_owner`, retry_delay 300 s, trigger rule all_success). Both front ends apply these,
 * after `default_args` and task groups had their say; `retries` comes from the config (ManifestDefaults).
 */
export const TASK_DEFAULTS = {
  trigger_rule: 'all_success',
  owner: 'airflow',
  retry_delay: 300,
  retry_exponential_backoff: 0,
  max_retry_delay: null,
  execution_timeout: null,
  depends_on_past: false,
} as const;
