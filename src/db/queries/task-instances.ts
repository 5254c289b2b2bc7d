/**
 * The `task_instance` table: one row per (dag_id, task_id, run_id, map_index), carrying the current try.
 * Every state change made by the tick is conditioned on the state (and try) it expects, so a stale decision
 * never overwrites a newer one (STYLE 5).
 */
import type { TaskInstanceState } from '../../model.js';
import type { Queryable, SqlParam } from '../backend.js';
import { chunks, count, nullableNumber, placeholders, setClause, stateClause } from './sql.js';

export interface TaskInstanceKey {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
}

export interface TaskInstanceRow extends TaskInstanceKey {
  id: string;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: TaskInstanceState;
  try_number: number;
  max_tries: number;
  hostname: string | null;
  unixname: string | null;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  operator: string | null;
  custom_operator_name: string | null;
  queued_dttm: string | null;
  scheduled_dttm: string | null;
  pid: number | null;
  executor: string | null;
  external_executor_id: string | null;
  last_heartbeat_at: string | null;
  next_retry_at: string | null;
  dispatch_token: string | null;
  updated_at: string;
  note: string | null;
}

export function toTaskInstanceRow(raw: Record<string, unknown>): TaskInstanceRow {
  return {
    ...(raw as unknown as TaskInstanceRow),
    map_index: count(raw.map_index),
    try_number: count(raw.try_number),
    max_tries: count(raw.max_tries),
    pool_slots: count(raw.pool_slots),
    priority_weight: count(raw.priority_weight),
    duration: nullableNumber(raw.duration),
    pid: nullableNumber(raw.pid),
    state: (raw.state ?? null) as TaskInstanceState,
  };
}

export interface NewTaskInstance extends TaskInstanceKey {
  id: string;
  max_tries: number;
  operator: string;
  custom_operator_name: string | null;
  now: string;
}

/** Creates missing rows in state NULL (none); existing rows are left alone. Returns how many were created. */
export async function insertTaskInstances(q: Queryable, rows: readonly NewTaskInstance[]): Promise<number> {
  let created = 0;
  for (const row of rows) {
    const result = await q.run(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, map_index, state, try_number, max_tries, operator,
         custom_operator_name, updated_at)
       VALUES (?, ?, ?, ?, ?, NULL, 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [row.id, row.dag_id, row.task_id, row.run_id, row.map_index, row.max_tries, row.operator, row.custom_operator_name, row.now],
    );
    created += result.changes;
  }
  return created;
}

export async function getTaskInstance(q: Queryable, key: TaskInstanceKey): Promise<TaskInstanceRow | undefined> {
  const raw = await q.get(
    'SELECT * FROM task_instance WHERE dag_id = ? AND task_id = ? AND run_id = ? AND map_index = ?',
    [key.dag_id, key.task_id, key.run_id, key.map_index],
  );
  return raw ? toTaskInstanceRow(raw) : undefined;
}

export async function getTaskInstanceById(q: Queryable, id: string): Promise<TaskInstanceRow | undefined> {
  const raw = await q.get('SELECT * FROM task_instance WHERE id = ?', [id]);
  return raw ? toTaskInstanceRow(raw) : undefined;
}

export async function listTaskInstancesForRun(q: Queryable, dagId: string, runId: string): Promise<TaskInstanceRow[]> {
  const rows = await q.all('SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index', [
    dagId,
    runId,
  ]);
  return rows.map(toTaskInstanceRow);
}

/**
 * The columns readiness decides from. A wide run is read every pass, and a full row (30 columns, mapped)
 * costs over ten times as much to read as these six.
 */
export type TaskInstanceStateRow = Pick<TaskInstanceRow, 'id' | 'task_id' | 'map_index' | 'state' | 'try_number' | 'next_retry_at'>;

export async function listTaskInstanceStatesForRun(q: Queryable, dagId: string, runId: string): Promise<TaskInstanceStateRow[]> {
  const rows = await q.all<Record<string, unknown>>(
    `SELECT id, task_id, map_index, state, try_number, next_retry_at FROM task_instance
     WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index`,
    [dagId, runId],
  );
  return rows.map((raw) => ({
    id: raw.id as string,
    task_id: raw.task_id as string,
    map_index: count(raw.map_index),
    state: (raw.state ?? null) as TaskInstanceState,
    try_number: count(raw.try_number),
    next_retry_at: (raw.next_retry_at ?? null) as string | null,
  }));
}

/** How many of a run's task instances are in each state (`null` = none): one aggregate, no rows read out. */
export async function countTaskInstanceStatesForRun(q: Queryable, dagId: string, runId: string): Promise<Map<TaskInstanceState, number>> {
  const rows = await q.all<{ state: string | null; n: unknown }>(
    'SELECT state, COUNT(*) AS n FROM task_instance WHERE dag_id = ? AND run_id = ? GROUP BY state',
    [dagId, runId],
  );
  return new Map(rows.map((r) => [(r.state ?? null) as TaskInstanceState, count(r.n)]));
}

/** Ids and task ids of a run's task instances in one state (the cheap first step of picking a few). */
export async function listTaskInstanceIdsInState(
  q: Queryable,
  dagId: string,
  runId: string,
  state: Exclude<TaskInstanceState, null>,
): Promise<Array<{ id: string; task_id: string }>> {
  return q.all<{ id: string; task_id: string }>(
    'SELECT id, task_id FROM task_instance WHERE dag_id = ? AND run_id = ? AND state = ?',
    [dagId, runId, state],
  );
}

/** Runs (`runKey`) holding a try `up_for_retry` whose retry is due (strictly after `next_retry_at`, as Airflow). */
export async function listRunsWithRetryDue(q: Queryable, nowIso: string): Promise<string[]> {
  const rows = await q.all<{ dag_id: string; run_id: string }>(
    "SELECT DISTINCT dag_id, run_id FROM task_instance WHERE state = 'up_for_retry' AND next_retry_at < ?",
    [nowIso],
  );
  return rows.map((r) => runKey(r.dag_id, r.run_id));
}

/** Full rows by id, in no particular order. */
export async function listTaskInstancesByIds(q: Queryable, ids: readonly string[]): Promise<TaskInstanceRow[]> {
  const out: TaskInstanceRow[] = [];
  for (const part of chunks(ids)) {
    const rows = await q.all(`SELECT * FROM task_instance WHERE id IN (${placeholders(part.length)})`, part);
    out.push(...rows.map(toTaskInstanceRow));
  }
  return out;
}

export interface ListTaskInstancesFilter {
  dagId?: string;
  runId?: string;
  taskId?: string;
  /** `null` in the list matches state NULL (Airflow's "none"). */
  states?: readonly TaskInstanceState[];
  limit?: number;
  offset?: number;
}

function filterSql(filter: ListTaskInstancesFilter): { where: string; params: SqlParam[] } {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (filter.dagId !== undefined) {
    where.push('dag_id = ?');
    params.push(filter.dagId);
  }
  if (filter.runId !== undefined) {
    where.push('run_id = ?');
    params.push(filter.runId);
  }
  if (filter.taskId !== undefined) {
    where.push('task_id = ?');
    params.push(filter.taskId);
  }
  if (filter.states && filter.states.length > 0) {
    const states = stateClause('state', filter.states);
    where.push(states.sql);
    params.push(...states.params);
  }
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}

export async function listTaskInstances(q: Queryable, filter: ListTaskInstancesFilter = {}): Promise<TaskInstanceRow[]> {
  const { where, params } = filterSql(filter);
  let sql = `SELECT * FROM task_instance${where} ORDER BY dag_id, run_id, task_id, map_index`;
  if (filter.limit !== undefined) {
    sql += ' LIMIT ? OFFSET ?';
    params.push(filter.limit, filter.offset ?? 0);
  }
  return (await q.all(sql, params)).map(toTaskInstanceRow);
}

export async function countTaskInstances(q: Queryable, filter: ListTaskInstancesFilter = {}): Promise<number> {
  const { where, params } = filterSql(filter);
  const row = await q.get<{ n: unknown }>(`SELECT COUNT(*) AS n FROM task_instance${where}`, params);
  return count(row?.n);
}

/** Queued + running tries per run (for `max_active_tasks`), keyed `dag_id\u0000run_id`. */
export async function countActiveTaskInstancesByRun(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.all<{ dag_id: string; run_id: string; n: unknown }>(
    `SELECT dag_id, run_id, COUNT(*) AS n FROM task_instance WHERE state IN ('queued', 'running') GROUP BY dag_id, run_id`,
  );
  return new Map(rows.map((r) => [runKey(r.dag_id, r.run_id), count(r.n)]));
}

export const runKey = (dagId: string, runId: string): string => `${dagId}\u0000${runId}`;

const UPDATABLE_TI_COLUMNS = new Set([
  'state',
  'start_date',
  'end_date',
  'duration',
  'try_number',
  'max_tries',
  'hostname',
  'unixname',
  'pid',
  'queued_dttm',
  'scheduled_dttm',
  'external_executor_id',
  'last_heartbeat_at',
  'next_retry_at',
  'dispatch_token',
  'note',
  'operator',
  'custom_operator_name',
  'updated_at',
]);

export type TaskInstancePatch = Partial<
  Pick<
    TaskInstanceRow,
    | 'state'
    | 'start_date'
    | 'end_date'
    | 'duration'
    | 'try_number'
    | 'max_tries'
    | 'hostname'
    | 'unixname'
    | 'pid'
    | 'queued_dttm'
    | 'scheduled_dttm'
    | 'external_executor_id'
    | 'last_heartbeat_at'
    | 'next_retry_at'
    | 'dispatch_token'
    | 'note'
    | 'operator'
    | 'custom_operator_name'
  >
> & { updated_at: string };

export interface TaskInstanceExpectation {
  /** Only update while the row is in one of these states (`null` = none). */
  states?: readonly TaskInstanceState[];
  tryNumber?: number;
}

/** Conditional update by id; returns true when the row changed (false: someone else moved it first). */
export async function updateTaskInstance(
  q: Queryable,
  id: string,
  patch: TaskInstancePatch,
  expect: TaskInstanceExpectation = {},
): Promise<boolean> {
  const set = setClause(patch as Record<string, SqlParam | undefined>, UPDATABLE_TI_COLUMNS);
  const params: SqlParam[] = [...set.params, id];
  let sql = `UPDATE task_instance SET ${set.sql} WHERE id = ?`;
  if (expect.states && expect.states.length > 0) {
    const states = stateClause('state', expect.states);
    sql += ` AND ${states.sql}`;
    params.push(...states.params);
  }
  if (expect.tryNumber !== undefined) {
    sql += ' AND try_number = ?';
    params.push(expect.tryNumber);
  }
  return (await q.run(sql, params)).changes > 0;
}

/** Deletes rows by id (tests and maintenance; the tick marks vanished tasks `removed` instead). */
export async function deleteTaskInstances(q: Queryable, ids: readonly string[]): Promise<void> {
  for (const part of chunks(ids)) {
    await q.run(`DELETE FROM task_instance WHERE id IN (${placeholders(part.length)})`, part);
  }
}
