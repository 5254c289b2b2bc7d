/**
 * The page's calls to its own server. The session cookie (set by the one-time link) authenticates them;
 * the token never reaches this code.
 */

export interface DagTag {
  name: string;
}

export interface Dag {
  dag_id: string;
  dag_display_name: string;
  is_paused: boolean;
  description: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  tags: DagTag[];
  owners: string[];
  next_dagrun_logical_date: string | null;
  next_dagrun_run_after: string | null;
  has_import_errors: boolean;
}

export interface RunSummary {
  dag_run_id: string;
  state: string;
  run_after: string | null;
  logical_date: string | null;
  start_date: string | null;
  end_date: string | null;
}

export interface DagListItem extends Dag {
  recent_runs: RunSummary[];
  pending_triggers: number;
}

export interface DagRun {
  dag_run_id: string;
  dag_id: string;
  dag_display_name: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  run_after: string;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  conf: Record<string, unknown> | null;
  triggered_by: string | null;
  note: string | null;
}

export interface TaskInstance {
  id: string;
  task_id: string;
  dag_id: string;
  dag_display_name: string;
  dag_run_id: string;
  logical_date: string | null;
  map_index: number;
  state: string | null;
  try_number: number;
  max_tries: number;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  operator: string | null;
  hostname: string | null;
  queued_when: string | null;
}

export interface GridTask {
  task_id: string;
  upstream: string[];
  operator: string | null;
  trigger_rule: string | null;
  task_group_id: string | null;
}

export interface TaskGroup {
  group_id: string;
  parent_group_id: string | null;
  tooltip: string | null;
}

export interface GridData {
  dag_id: string;
  tasks: GridTask[];
  dag_runs: DagRun[];
  pending_runs: DagRun[];
  task_instances: TaskInstance[];
  task_groups: TaskGroup[];
  params: Record<string, unknown>;
  doc_md: string | null;
}

export interface DagSource {
  dag_id: string;
  content: string | null;
}

export interface ImportError {
  import_error_id: number;
  timestamp: string;
  filename: string;
  stack_trace: string;
}

export interface LogLine {
  timestamp?: string;
  event: string;
}

export interface XComEntry {
  key: string;
  map_index: number;
  timestamp: string;
  value?: unknown;
}

export interface Health {
  metadatabase: { status: string | null };
  scheduler: { status: string | null; latest_scheduler_heartbeat: string | null };
}

/** A failed call, with the server's `detail` made readable (422 lists become one line each). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function detailText(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((issue: { loc?: unknown[]; msg?: string }) => `${(issue.loc ?? []).slice(1).join('.') || 'body'}: ${issue.msg ?? 'invalid'}`)
      .join('\n');
  }
  return `request failed (HTTP ${status})`;
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { credentials: 'same-origin', ...init, headers: { Accept: 'application/json', ...init?.headers } });
  } catch {
    throw new ApiError(0, 'The UI server is not reachable (was `airflow-serverless ui` stopped?)');
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, detailText(body, response.status));
  return body as T;
}

const enc = encodeURIComponent;

const send = <T>(method: string, path: string, body: unknown) =>
  call<T>(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

type TiKey = Pick<TaskInstance, 'dag_id' | 'dag_run_id' | 'task_id' | 'map_index'>;
const tiPath = (ti: TiKey) => `/api/v2/dags/${enc(ti.dag_id)}/dagRuns/${enc(ti.dag_run_id)}/taskInstances/${enc(ti.task_id)}/${ti.map_index}`;

export interface ClearOptions {
  includeUpstream: boolean;
  includeDownstream: boolean;
  onlyFailed: boolean;
}

/** What a mark would change: the marked instances, and the failed downstream ones it clears. */
export interface MarkPlan {
  task_instances: TaskInstance[];
  cleared: TaskInstance[];
}

export interface BackfillRequest {
  dag_id: string;
  from_date: string;
  to_date: string;
  reprocess_behavior: 'none' | 'failed' | 'completed';
  max_active_runs: number;
  run_backwards: boolean;
  dag_run_conf: Record<string, unknown>;
}

export interface Backfill {
  id: number;
  dag_id: string;
  from_date: string;
  to_date: string;
  is_paused: boolean;
  reprocess_behavior: string;
  max_active_runs: number;
  completed_at: string | null;
}

export const api = {
  dags: () => call<{ dags: DagListItem[]; total_entries: number }>('/ui/dags?limit=100'),
  dag: (dagId: string) => call<Dag>(`/api/v2/dags/${enc(dagId)}`),
  /** Airflow's browse pages: every DAG's runs / task instances, filtered by the query string. */
  runs: (query: URLSearchParams) => call<{ dag_runs: DagRun[]; total_entries: number }>(`/api/v2/dags/~/dagRuns?${query.toString()}`),
  taskInstances: (query: URLSearchParams) =>
    call<{ task_instances: TaskInstance[]; total_entries: number }>(`/api/v2/dags/~/dagRuns/~/taskInstances?${query.toString()}`),
  grid: (dagId: string) => call<GridData>(`/ui/grid/${enc(dagId)}?limit=25`),
  source: (dagId: string) => call<DagSource>(`/api/v2/dagSources/${enc(dagId)}`),
  importErrors: () => call<{ import_errors: ImportError[]; total_entries: number }>('/api/v2/importErrors?limit=100'),
  health: () => call<Health>('/api/v2/monitor/health'),
  version: () => call<{ version: string }>('/api/v2/version'),
  setPaused: (dagId: string, isPaused: boolean) =>
    call<Dag>(`/api/v2/dags/${enc(dagId)}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ is_paused: isPaused }),
    }),
  trigger: (dagId: string, body: { conf: Record<string, unknown>; logical_date: string | null; dag_run_id?: string; note?: string }) =>
    call<DagRun>(`/api/v2/dags/${enc(dagId)}/dagRuns`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  /** One task instance cleared (Airflow's clear dialog): dry run first, then for real. */
  clearTaskInstance: (ti: TiKey, options: ClearOptions, dryRun: boolean) =>
    send<{ task_instances: TaskInstance[] }>('POST', `/api/v2/dags/${enc(ti.dag_id)}/clearTaskInstances`, {
      dry_run: dryRun,
      dag_run_id: ti.dag_run_id,
      task_ids: [ti.map_index >= 0 ? [ti.task_id, ti.map_index] : ti.task_id],
      include_upstream: options.includeUpstream,
      include_downstream: options.includeDownstream,
      only_failed: options.onlyFailed,
    }),
  clearRun: (run: Pick<DagRun, 'dag_id' | 'dag_run_id'>, onlyFailed: boolean, dryRun: boolean) =>
    send<{ task_instances?: TaskInstance[] }>('POST', `/api/v2/dags/${enc(run.dag_id)}/dagRuns/${enc(run.dag_run_id)}/clear`, {
      dry_run: dryRun,
      only_failed: onlyFailed,
    }),
  planMarkTaskInstance: (ti: TiKey, state: string, options: Omit<ClearOptions, 'onlyFailed'>) =>
    send<MarkPlan>('POST', `/ui/plans/dags/${enc(ti.dag_id)}/dagRuns/${enc(ti.dag_run_id)}/taskInstances/${enc(ti.task_id)}/mark?map_index=${ti.map_index}`, {
      new_state: state,
      include_upstream: options.includeUpstream,
      include_downstream: options.includeDownstream,
    }),
  markTaskInstance: (ti: TiKey, state: string, options: Omit<ClearOptions, 'onlyFailed'>) =>
    send<{ task_instances: TaskInstance[] }>('PATCH', tiPath(ti), {
      new_state: state,
      include_upstream: options.includeUpstream,
      include_downstream: options.includeDownstream,
    }),
  planMarkRun: (run: Pick<DagRun, 'dag_id' | 'dag_run_id'>, state: string) =>
    send<MarkPlan>('POST', `/ui/plans/dags/${enc(run.dag_id)}/dagRuns/${enc(run.dag_run_id)}/mark`, { state }),
  markRun: (run: Pick<DagRun, 'dag_id' | 'dag_run_id'>, state: string) =>
    send<DagRun>('PATCH', `/api/v2/dags/${enc(run.dag_id)}/dagRuns/${enc(run.dag_run_id)}`, { state }),
  backfillDryRun: (request: BackfillRequest) =>
    send<{ backfills: Array<{ logical_date: string | null }>; total_entries: number }>('POST', '/api/v2/backfills/dry_run', request),
  createBackfill: (request: BackfillRequest) => send<Backfill>('POST', '/api/v2/backfills', request),
  backfills: (dagId: string) => call<{ backfills: Backfill[]; total_entries: number }>(`/api/v2/backfills?dag_id=${enc(dagId)}&limit=100&order_by=-id`),
  changeBackfill: (id: number, change: 'pause' | 'unpause' | 'cancel') => send<Backfill>('PUT', `/api/v2/backfills/${id}/${change}`, {}),
  log: (ti: Pick<TaskInstance, 'dag_id' | 'dag_run_id' | 'task_id' | 'map_index'>, tryNumber: number) =>
    call<{ content: LogLine[] }>(
      `/api/v2/dags/${enc(ti.dag_id)}/dagRuns/${enc(ti.dag_run_id)}/taskInstances/${enc(ti.task_id)}/logs/${tryNumber}?map_index=${ti.map_index}`,
    ),
  xcoms: (ti: Pick<TaskInstance, 'dag_id' | 'dag_run_id' | 'task_id' | 'map_index'>) =>
    call<{ xcom_entries: XComEntry[] }>(
      `/api/v2/dags/${enc(ti.dag_id)}/dagRuns/${enc(ti.dag_run_id)}/taskInstances/${enc(ti.task_id)}/xcomEntries?map_index=${ti.map_index}`,
    ),
  xcom: (ti: Pick<TaskInstance, 'dag_id' | 'dag_run_id' | 'task_id' | 'map_index'>, key: string) =>
    call<XComEntry>(
      `/api/v2/dags/${enc(ti.dag_id)}/dagRuns/${enc(ti.dag_run_id)}/taskInstances/${enc(ti.task_id)}/xcomEntries/${enc(key)}?map_index=${ti.map_index}`,
    ),
};
