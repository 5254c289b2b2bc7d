/**
 * The environment's configuration after loading and validation (config.yaml; see config.example.yaml).
 * Section and key names follow Airflow's configuration where Airflow has the setting.
 */
export type ProviderName = 'local' | 'modal';
export type DatabaseType = 'sqlite' | 'postgres';

export interface Config {
  provider: ProviderName;
  modal: {
    /** Modal environment to deploy into; null means the workspace default. */
    environment: string | null;
  };
  database: {
    type: DatabaseType;
    /** Required for postgres; a secret: never printed or logged. */
    connection_string: string | null;
  };
  core: {
    /** Airflow defaults this to true; a serverless upload is a deploy, so ours defaults to false. */
    dags_are_paused_at_creation: boolean;
    max_active_runs_per_dag: number; // 16
    max_active_tasks_per_dag: number; // 16
    default_task_retries: number; // 0
    /** Seconds one Python DAG file may take to import before it is an import error (Airflow's name and default, 30). */
    dagbag_import_timeout: number;
  };
  scheduler: {
    interval_seconds: number; // 60
    create_cron_data_intervals: boolean; // false (Airflow 3)
    create_delta_data_intervals: boolean; // false (Airflow 3)
    catchup_by_default: boolean; // false (Airflow 3)
    task_queued_timeout: number; // 600 s
    /** A running try whose heartbeat is older than this many seconds is a zombie; default 3 × interval_seconds. */
    task_instance_heartbeat_timeout: number;
    max_dagruns_to_create_per_loop: number; // 10
  };
  executor: {
    parallelism: number; // 16
    task_timeout: number; // 3600 s: hard cap on any try
  };
}
