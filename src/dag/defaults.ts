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
