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
  dag_run_id: string;
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
}

export interface GridData {
  dag_id: string;
  tasks: GridTask[];
  dag_runs: DagRun[];
  pending_runs: DagRun[];
  task_instances: TaskInstance[];
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

export const api = {
  dags: () => call<{ dags: DagListItem[]; total_entries: number }>('/ui/dags?limit=100'),
  dag: (dagId: string) => call<Dag>(`/api/v2/dags/${enc(dagId)}`),
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
