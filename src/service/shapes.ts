/**
 * JSON shapes for `--json` output, with Airflow REST API (v2) field names so scripts written against
 * Airflow read ours without a mapping table.
 */
import type { DagSpec } from '../dag/model.js';
import type { DagRow, DagTagRow } from '../db/queries/dags.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';

export interface DagJson {
  dag_id: string;
  dag_display_name: string;
  is_paused: boolean;
  is_stale: boolean;
  fileloc: string;
  relative_fileloc: string | null;
  description: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  tags: Array<{ name: string; dag_id: string }>;
  owners: string[];
  max_active_runs: number | null;
  max_active_tasks: number;
  has_import_errors: boolean;
  last_parsed_time: string | null;
  next_dagrun_logical_date: string | null;
  next_dagrun_data_interval_start: string | null;
  next_dagrun_data_interval_end: string | null;
  next_dagrun_run_after: string | null;
}

export function dagJson(row: DagRow, tags: readonly DagTagRow[]): DagJson {
  return {
    dag_id: row.dag_id,
    dag_display_name: row.dag_display_name ?? row.dag_id,
    is_paused: row.is_paused,
    is_stale: row.is_stale,
    fileloc: row.fileloc,
    relative_fileloc: row.relative_fileloc,
    description: row.description,
    timetable_summary: row.timetable_summary,
    timetable_description: row.timetable_description,
    tags: tags.filter((t) => t.dag_id === row.dag_id).map((t) => ({ name: t.name, dag_id: t.dag_id })),
    owners: row.owners ? row.owners.split(',').map((o) => o.trim()).filter(Boolean) : [],
    max_active_runs: row.max_active_runs,
    max_active_tasks: row.max_active_tasks,
    has_import_errors: row.has_import_errors,
    last_parsed_time: row.last_parsed_time,
    next_dagrun_logical_date: row.next_dagrun,
    next_dagrun_data_interval_start: row.next_dagrun_data_interval_start,
    next_dagrun_data_interval_end: row.next_dagrun_data_interval_end,
    next_dagrun_run_after: row.next_dagrun_create_after,
  };
}

export interface DagRunJson {
  dag_run_id: string;
  dag_id: string;
  logical_date: string | null;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  data_interval_start: string | null;
  data_interval_end: string | null;
  run_after: string;
  last_scheduling_decision: string | null;
  run_type: string;
  state: string;
  triggered_by: string | null;
  conf: Record<string, unknown> | null;
  note: string | null;
}

export function secondsBetween(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  return (Date.parse(end) - Date.parse(start)) / 1000;
}

export function dagRunJson(row: DagRunRow): DagRunJson {
  return {
    dag_run_id: row.run_id,
    dag_id: row.dag_id,
    logical_date: row.logical_date,
    queued_at: row.queued_at,
    start_date: row.start_date,
    end_date: row.end_date,
    duration: secondsBetween(row.start_date, row.end_date),
    data_interval_start: row.data_interval_start,
    data_interval_end: row.data_interval_end,
    run_after: row.run_after,
    last_scheduling_decision: row.last_scheduling_decision,
    run_type: row.run_type,
    state: row.state,
    triggered_by: row.triggered_by,
    conf: row.conf ? (JSON.parse(row.conf) as Record<string, unknown>) : null,
    note: row.note,
  };
}

export interface TaskInstanceJson {
  id: string;
  task_id: string;
  dag_id: string;
  dag_run_id: string;
  map_index: number;
  logical_date: string | null;
  run_after: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: string | null;
  try_number: number;
  max_tries: number;
  hostname: string | null;
  operator: string | null;
  queued_when: string | null;
  pid: number | null;
  executor: string | null;
  external_executor_id: string | null;
  next_retry_at: string | null;
}

export function taskInstanceJson(row: TaskInstanceRow, run: Pick<DagRunRow, 'logical_date' | 'run_after'> | undefined): TaskInstanceJson {
  return {
    id: row.id,
    task_id: row.task_id,
    dag_id: row.dag_id,
    dag_run_id: row.run_id,
    map_index: row.map_index,
    logical_date: run?.logical_date ?? null,
    run_after: run?.run_after ?? null,
    start_date: row.start_date,
    end_date: row.end_date,
    duration: row.duration,
    state: row.state,
    try_number: row.try_number,
    max_tries: row.max_tries,
    hostname: row.hostname,
    operator: row.operator,
    queued_when: row.queued_dttm,
    pid: row.pid,
    executor: row.executor,
    external_executor_id: row.external_executor_id,
    next_retry_at: row.next_retry_at,
  };
}

export interface DagDetailJson extends Omit<DagJson, 'tags'> {
  tags: Array<{ name: string; dag_id: string }>;
  schedule: DagSpec['schedule'];
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  params: Record<string, unknown>;
  /** Arguments the DAG file sets that are accepted but not acted on, one line each. */
  warnings: string[];
  /** The DAG's `doc_md`, as written. */
  doc_md: string | null;
  tasks: Array<{
    task_id: string;
    operator: string;
    operator_class: string;
    upstream_task_ids: string[];
    downstream_task_ids: string[];
    trigger_rule: string;
    retries: number;
    task_group_id: string | null;
  }>;
}

export function dagTasksJson(spec: DagSpec): DagDetailJson['tasks'] {
  const downstream = new Map<string, string[]>();
  for (const task of spec.tasks) {
    for (const up of task.upstream) downstream.set(up, [...(downstream.get(up) ?? []), task.task_id]);
  }
  return spec.tasks.map((task) => ({
    task_id: task.task_id,
    operator: task.operator_class.split('.').pop() ?? task.operator_class,
    operator_class: task.operator_class,
    upstream_task_ids: [...task.upstream],
    downstream_task_ids: (downstream.get(task.task_id) ?? []).sort(),
    trigger_rule: task.trigger_rule,
    retries: task.retries,
    task_group_id: task.task_group_id,
  }));
}
