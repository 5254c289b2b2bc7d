/**
 * The initial schema. Table and column names follow Airflow 3's metadata database where Airflow has them
 * (`dag`, `dag_tag`, `serialized_dag`, `dag_run`, `task_instance`, `task_instance_history`, `import_error`,
 * `job`); `dag_file`, `command_log` and `lock` are ours. Timestamps are ISO-8601 UTC text in SQLite and
 * timestamptz in Postgres; JSON is text / jsonb.
 */
import type { Migration } from './index.js';

function schema(d: { ts: string; json: string; bool: string; id: string; real: string }): string {
  return `
CREATE TABLE dag (
  dag_id TEXT PRIMARY KEY,
  is_paused ${d.bool} NOT NULL DEFAULT FALSE,
  is_stale ${d.bool} NOT NULL DEFAULT FALSE,
  last_parsed_time ${d.ts},
  last_parse_duration ${d.real},
  fileloc TEXT NOT NULL,
  relative_fileloc TEXT,
  bundle_name TEXT NOT NULL DEFAULT 'dags-folder',
  owners TEXT,
  dag_display_name TEXT,
  description TEXT,
  timetable_summary TEXT,
  timetable_description TEXT,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  max_active_tasks INTEGER NOT NULL DEFAULT 16,
  max_active_runs INTEGER,
  max_consecutive_failed_dag_runs INTEGER NOT NULL DEFAULT 0,
  has_task_concurrency_limits ${d.bool} NOT NULL DEFAULT FALSE,
  has_import_errors ${d.bool} NOT NULL DEFAULT FALSE,
  next_dagrun ${d.ts},
  next_dagrun_data_interval_start ${d.ts},
  next_dagrun_data_interval_end ${d.ts},
  next_dagrun_create_after ${d.ts}
);
CREATE INDEX idx_next_dagrun_create_after ON dag (next_dagrun_create_after);

CREATE TABLE dag_tag (
  name TEXT NOT NULL,
  dag_id TEXT NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
  PRIMARY KEY (name, dag_id)
);

CREATE TABLE serialized_dag (
  dag_id TEXT PRIMARY KEY,
  fileloc TEXT NOT NULL,
  data ${d.json} NOT NULL,
  dag_hash TEXT NOT NULL,
  created_at ${d.ts} NOT NULL,
  last_updated ${d.ts} NOT NULL
);

CREATE TABLE dag_run (
  id ${d.id},
  dag_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  queued_at ${d.ts},
  logical_date ${d.ts},
  start_date ${d.ts},
  end_date ${d.ts},
  state TEXT NOT NULL DEFAULT 'queued',
  run_type TEXT NOT NULL,
  triggered_by TEXT,
  triggering_user_name TEXT,
  conf ${d.json},
  data_interval_start ${d.ts},
  data_interval_end ${d.ts},
  run_after ${d.ts} NOT NULL,
  last_scheduling_decision ${d.ts},
  updated_at ${d.ts} NOT NULL,
  clear_number INTEGER NOT NULL DEFAULT 0,
  note TEXT,
  CONSTRAINT dag_run_dag_id_run_id_key UNIQUE (dag_id, run_id),
  CONSTRAINT dag_run_dag_id_logical_date_key UNIQUE (dag_id, logical_date)
);
CREATE INDEX idx_dag_run_state ON dag_run (state, dag_id);

CREATE TABLE task_instance (
  id TEXT NOT NULL UNIQUE,
  dag_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  map_index INTEGER NOT NULL DEFAULT -1,
  start_date ${d.ts},
  end_date ${d.ts},
  duration ${d.real},
  state TEXT,
  try_number INTEGER NOT NULL DEFAULT 0,
  max_tries INTEGER NOT NULL DEFAULT 0,
  hostname TEXT,
  unixname TEXT,
  pool TEXT NOT NULL DEFAULT 'default_pool',
  pool_slots INTEGER NOT NULL DEFAULT 1,
  queue TEXT NOT NULL DEFAULT 'default',
  priority_weight INTEGER NOT NULL DEFAULT 1,
  operator TEXT,
  custom_operator_name TEXT,
  queued_dttm ${d.ts},
  scheduled_dttm ${d.ts},
  pid INTEGER,
  executor TEXT,
  external_executor_id TEXT,
  last_heartbeat_at ${d.ts},
  next_retry_at ${d.ts},
  dispatch_token TEXT,
  updated_at ${d.ts} NOT NULL,
  note TEXT,
  PRIMARY KEY (dag_id, task_id, run_id, map_index),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);
CREATE INDEX idx_task_instance_state ON task_instance (state, dag_id);
CREATE INDEX idx_task_instance_run ON task_instance (dag_id, run_id);

CREATE TABLE task_instance_history (
  id ${d.id},
  task_instance_id TEXT NOT NULL,
  dag_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  map_index INTEGER NOT NULL DEFAULT -1,
  try_number INTEGER NOT NULL,
  start_date ${d.ts},
  end_date ${d.ts},
  duration ${d.real},
  state TEXT,
  max_tries INTEGER NOT NULL DEFAULT 0,
  hostname TEXT,
  operator TEXT,
  external_executor_id TEXT,
  error TEXT,
  CONSTRAINT task_instance_history_try_key UNIQUE (dag_id, task_id, run_id, map_index, try_number),
  FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE
);

CREATE TABLE import_error (
  id ${d.id},
  timestamp ${d.ts} NOT NULL,
  filename TEXT NOT NULL,
  bundle_name TEXT NOT NULL DEFAULT 'dags-folder',
  stacktrace TEXT NOT NULL
);

CREATE TABLE dag_file (
  fileloc TEXT PRIMARY KEY,
  content_hash TEXT NOT NULL,
  last_parsed_time ${d.ts} NOT NULL,
  dag_ids ${d.json} NOT NULL
);

CREATE TABLE command_log (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  dag_id TEXT,
  payload ${d.json} NOT NULL,
  requested_by TEXT,
  requested_at ${d.ts},
  applied_at ${d.ts} NOT NULL,
  ok ${d.bool} NOT NULL,
  message TEXT
);

CREATE TABLE job (
  job_type TEXT PRIMARY KEY,
  state TEXT,
  start_date ${d.ts},
  latest_heartbeat ${d.ts},
  hostname TEXT,
  last_duration ${d.real}
);

CREATE TABLE lock (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at ${d.ts} NOT NULL
);
`;
}

export const initial: Migration = {
  id: 1,
  name: 'initial',
  sqlite: schema({
    ts: 'TEXT',
    json: 'TEXT',
    bool: 'INTEGER',
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    real: 'REAL',
  }),
  postgres: schema({
    ts: 'TIMESTAMPTZ',
    json: 'JSONB',
    bool: 'BOOLEAN',
    id: 'INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY',
    real: 'DOUBLE PRECISION',
  }),
};
