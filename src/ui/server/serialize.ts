/**
 * Rows -> Airflow 3.2 response shapes (airflow-openapi-v2.yaml): field names, nullability and types as the
 * spec's schemas say. Datetimes leave as ISO strings with `Z`.
 */
import type { TaskSpec } from '../../dag/model.js';
import type { DagRow } from '../../db/queries/dags.js';
import type { DagRunRow } from '../../db/queries/dag-runs.js';
import type { ImportErrorRow } from '../../db/queries/import-errors.js';
import type { TaskInstanceHistoryRow } from '../../db/queries/task-instance-history.js';
import type { TaskInstanceRow } from './queries/task-instances.js';

/** Rows hold ISO strings (SQLite) or Dates (a driver may return them); both leave as `…Z`. */
export function isoOrNull(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function iso(value: unknown): string {
  return isoOrNull(value) ?? new Date(0).toISOString();
}

function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

function jsonObject(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
}

/** `dag.owners` is Airflow's comma-separated text; a JSON list is accepted too. */
export function parseOwners(owners: string | null): string[] {
  if (!owners) return [];
  const text = owners.trim();
  if (text.startsWith('[')) {
    try {
      const list = JSON.parse(text) as unknown;
      if (Array.isArray(list)) return list.map(String);
    } catch {
      // fall through to the comma form
    }
  }
  return text
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}

const RUN_TYPES = new Set(['backfill', 'scheduled', 'manual', 'asset_triggered', 'asset_materialization']);
const TRIGGERED_BY = new Set(['cli', 'operator', 'rest_api', 'ui', 'test', 'timetable', 'asset', 'backfill']);
const TI_STATES = new Set([
  'removed',
  'scheduled',
  'queued',
  'running',
  'success',
  'restarting',
  'failed',
  'up_for_retry',
  'up_for_reschedule',
  'upstream_failed',
  'skipped',
  'deferred',
]);

export type DagResponse = ReturnType<typeof dagResponse>;

export function dagResponse(row: DagRow, tags: readonly string[], isPaused = flag(row.is_paused)) {
  const displayName = row.dag_display_name ?? row.dag_id;
  return {
    dag_id: row.dag_id,
    dag_display_name: displayName,
    is_paused: isPaused,
    is_stale: flag(row.is_stale),
    last_parsed_time: isoOrNull(row.last_parsed_time),
    last_parse_duration: row.last_parse_duration === null ? null : Number(row.last_parse_duration),
    last_expired: null,
    bundle_name: row.bundle_name ?? null,
    bundle_version: null,
    relative_fileloc: row.relative_fileloc ?? null,
    fileloc: row.fileloc,
    description: row.description ?? null,
    timetable_summary: row.timetable_summary ?? null,
    timetable_description: row.timetable_description ?? null,
    timetable_partitioned: false,
    tags: tags.map((name) => ({ name, dag_id: row.dag_id, dag_display_name: displayName })),
    max_active_tasks: Number(row.max_active_tasks),
    max_active_runs: row.max_active_runs === null ? null : Number(row.max_active_runs),
    max_consecutive_failed_dag_runs: Number(row.max_consecutive_failed_dag_runs),
    has_task_concurrency_limits: flag(row.has_task_concurrency_limits),
    has_import_errors: flag(row.has_import_errors),
    next_dagrun_logical_date: isoOrNull(row.next_dagrun),
    next_dagrun_data_interval_start: isoOrNull(row.next_dagrun_data_interval_start),
    next_dagrun_data_interval_end: isoOrNull(row.next_dagrun_data_interval_end),
    next_dagrun_run_after: isoOrNull(row.next_dagrun_create_after),
    owners: parseOwners(row.owners),
    // Airflow signs the file location; ours is not a capability, just an opaque handle for the file.
    file_token: Buffer.from(row.relative_fileloc ?? row.fileloc).toString('base64url'),
    allowed_run_types: null,
  };
}

export type DagRunResponse = ReturnType<typeof dagRunResponse>;

// DAGRunResponse has no backfill field, so a pending trigger (no row yet) needs none.
export function dagRunResponse(row: Omit<DagRunRow, 'backfill_id'>, dagDisplayName: string) {
  const start = isoOrNull(row.start_date);
  const end = isoOrNull(row.end_date);
  return {
    dag_run_id: row.run_id,
    dag_id: row.dag_id,
    dag_display_name: dagDisplayName,
    logical_date: isoOrNull(row.logical_date),
    queued_at: isoOrNull(row.queued_at),
    start_date: start,
    end_date: end,
    duration: start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : null,
    data_interval_start: isoOrNull(row.data_interval_start),
    data_interval_end: isoOrNull(row.data_interval_end),
    run_after: iso(row.run_after),
    last_scheduling_decision: isoOrNull(row.last_scheduling_decision),
    run_type: RUN_TYPES.has(row.run_type) ? row.run_type : 'manual',
    state: row.state,
    triggered_by: row.triggered_by !== null && TRIGGERED_BY.has(row.triggered_by) ? row.triggered_by : null,
    triggering_user_name: row.triggering_user_name ?? null,
    conf: jsonObject(row.conf),
    note: row.note ?? null,
    // Airflow 3 versions DAGs; we keep one serialized form per DAG and no version table.
    dag_versions: [] as unknown[],
    bundle_version: null,
    partition_key: null,
  };
}

export type TaskInstanceResponse = ReturnType<typeof taskInstanceResponse>;

export function taskInstanceResponse(row: TaskInstanceRow, dagDisplayName: string) {
  const operatorName = row.custom_operator_name ?? row.operator ?? null;
  return {
    id: row.id,
    task_id: row.task_id,
    dag_id: row.dag_id,
    dag_run_id: row.run_id,
    map_index: Number(row.map_index),
    logical_date: isoOrNull(row.logical_date),
    run_after: iso(row.run_after),
    start_date: isoOrNull(row.start_date),
    end_date: isoOrNull(row.end_date),
    duration: row.duration === null ? null : Number(row.duration),
    state: row.state !== null && TI_STATES.has(row.state) ? row.state : null,
    try_number: Number(row.try_number),
    max_tries: Number(row.max_tries),
    task_display_name: row.task_id,
    dag_display_name: dagDisplayName,
    hostname: row.hostname ?? null,
    unixname: row.unixname ?? null,
    pool: row.pool,
    pool_slots: Number(row.pool_slots),
    queue: row.queue ?? null,
    priority_weight: row.priority_weight === null ? null : Number(row.priority_weight),
    operator: row.operator ?? null,
    operator_name: operatorName,
    queued_when: isoOrNull(row.queued_dttm),
    scheduled_when: isoOrNull(row.scheduled_dttm),
    pid: row.pid === null ? null : Number(row.pid),
    executor: row.executor ?? null,
    executor_config: '{}',
    note: row.note ?? null,
    rendered_map_index: Number(row.map_index) >= 0 ? String(row.map_index) : null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    dag_version: null,
  };
}

/**
 * One try (Airflow's TaskInstanceHistoryResponse): a finished try from `task_instance_history`, or the
 * current try from `task_instance` (the same fields minus what only the live row has).
 */
export function taskInstanceTryResponse(row: TaskInstanceHistoryRow | TaskInstanceRow, dagDisplayName: string) {
  const live = 'pool' in row ? row : null;
  return {
    task_id: row.task_id,
    dag_id: row.dag_id,
    dag_run_id: row.run_id,
    map_index: Number(row.map_index),
    start_date: isoOrNull(row.start_date),
    end_date: isoOrNull(row.end_date),
    duration: row.duration === null ? null : Number(row.duration),
    state: row.state !== null && TI_STATES.has(row.state) ? row.state : null,
    try_number: Number(row.try_number),
    max_tries: Number(row.max_tries),
    task_display_name: row.task_id,
    dag_display_name: dagDisplayName,
    hostname: row.hostname ?? null,
    unixname: live?.unixname ?? null,
    pool: live?.pool ?? 'default_pool',
    pool_slots: live ? Number(live.pool_slots) : 1,
    queue: live?.queue ?? null,
    priority_weight: live?.priority_weight === undefined || live.priority_weight === null ? null : Number(live.priority_weight),
    operator: row.operator ?? null,
    operator_name: live?.custom_operator_name ?? row.operator ?? null,
    queued_when: isoOrNull(live?.queued_dttm),
    scheduled_when: isoOrNull(live?.scheduled_dttm),
    pid: live?.pid === undefined || live.pid === null ? null : Number(live.pid),
    executor: live?.executor ?? null,
    executor_config: '{}',
    dag_version: null,
  };
}

export function importErrorResponse(row: ImportErrorRow) {
  return {
    import_error_id: Number(row.id),
    timestamp: iso(row.timestamp),
    filename: row.filename,
    bundle_name: row.bundle_name ?? null,
    stack_trace: row.stacktrace,
  };
}

function timeDelta(seconds: number | null) {
  if (seconds === null) return null;
  const whole = Math.floor(seconds);
  return {
    __type: 'TimeDelta',
    days: Math.floor(whole / 86400),
    seconds: whole % 86400,
    microseconds: Math.round((seconds - whole) * 1e6),
  };
}

/** Airflow's short operator name from a class path (`airflow.operators.bash.BashOperator` -> `BashOperator`). */
export function operatorName(task: Pick<TaskSpec, 'operator_class'>): string {
  return task.operator_class.split('.').pop() ?? task.operator_class;
}

export function taskResponse(task: TaskSpec, downstream: readonly string[], dag: { start_date: string | null; end_date: string | null }) {
  const modulePath = task.operator_class.includes('.') ? task.operator_class.slice(0, task.operator_class.lastIndexOf('.')) : null;
  return {
    task_id: task.task_id,
    task_display_name: task.task_id,
    owner: task.owner,
    start_date: isoOrNull(dag.start_date),
    end_date: isoOrNull(dag.end_date),
    trigger_rule: task.trigger_rule,
    depends_on_past: task.depends_on_past,
    wait_for_downstream: false,
    retries: task.retries,
    queue: 'default',
    pool: 'default_pool',
    pool_slots: 1,
    execution_timeout: timeDelta(task.execution_timeout),
    retry_delay: timeDelta(task.retry_delay),
    retry_exponential_backoff: task.retry_exponential_backoff,
    priority_weight: 1,
    weight_rule: 'downstream',
    ui_color: null,
    ui_fgcolor: null,
    template_fields: null,
    downstream_task_ids: [...downstream],
    doc_md: task.doc_md,
    operator_name: operatorName(task),
    params: task.params,
    class_ref: { module_path: modulePath, class_name: operatorName(task) },
    is_mapped: false,
    extra_links: [] as string[],
  };
}
