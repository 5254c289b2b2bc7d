/** Read queries over `task_instance` (joined with its run for dates). */
import type { Queryable } from '../../../db/backend.js';
import type { OrderTerm, Page, Range } from '../params.js';
import type { DagRunRow } from '../../../db/queries/dag-runs.js';
import { stateClause } from '../../../db/queries/sql.js';
import { toTaskInstanceRow, type TaskInstanceRow as DbTaskInstanceRow } from '../../../db/queries/task-instances.js';
import { listPage, orderSql, Where } from './sql.js';

/** The metadata layer's row plus the two dates the API reports from the instance's run. */
export type TaskInstanceRow = DbTaskInstanceRow & Pick<DagRunRow, 'logical_date' | 'run_after'>;

function toRow(raw: Record<string, unknown>): TaskInstanceRow {
  return { ...toTaskInstanceRow(raw), logical_date: raw.logical_date as string | null, run_after: raw.run_after as string };
}

export interface TaskInstanceFilter {
  /** Null = any (`~`). */
  dagId: string | null;
  runId: string | null;
  /** Any of these runs (empty = no restriction). */
  runIds: string[];
  taskId: string | null;
  dagIdPattern: string | null;
  runIdPattern: string | null;
  taskIdPattern: string | null;
  /** `null` inside means "no state yet" (Airflow's `none`). */
  states: Array<string | null>;
  tryNumbers: number[];
  mapIndexes: number[];
  pools: string[];
  queues: string[];
  operators: string[];
  /** The run's type (not in Airflow's spec for this endpoint: the browse page's run-type filter). */
  runTypes?: string[];
  startDate: Range;
  endDate: Range;
  logicalDate: Range;
  runAfter: Range;
  updatedAt: Range;
  duration: Range<number>;
}

/** A filter that matches everything except what `only` narrows. */
export function taskInstanceFilter(only: Partial<TaskInstanceFilter>): TaskInstanceFilter {
  return {
    dagId: null,
    runId: null,
    runIds: [],
    taskId: null,
    dagIdPattern: null,
    runIdPattern: null,
    taskIdPattern: null,
    states: [],
    tryNumbers: [],
    mapIndexes: [],
    pools: [],
    queues: [],
    operators: [],
    startDate: {},
    endDate: {},
    logicalDate: {},
    runAfter: {},
    updatedAt: {},
    duration: {},
    ...only,
  };
}

export const TASK_INSTANCE_ORDER_ATTRIBUTES = [
  'id',
  'state',
  'duration',
  'start_date',
  'end_date',
  'map_index',
  'try_number',
  'logical_date',
  'run_after',
  'data_interval_start',
  'data_interval_end',
  'rendered_map_index',
  'operator',
  'task_id',
] as const;

const ORDER_EXPRESSIONS: Record<string, string> = {
  id: 'ti.id',
  state: 'ti.state',
  duration: 'ti.duration',
  start_date: 'ti.start_date',
  end_date: 'ti.end_date',
  map_index: 'ti.map_index',
  try_number: 'ti.try_number',
  logical_date: 'r.logical_date',
  run_after: 'r.run_after',
  data_interval_start: 'r.data_interval_start',
  data_interval_end: 'r.data_interval_end',
  rendered_map_index: 'ti.map_index',
  operator: 'ti.operator',
  task_id: 'ti.task_id',
};

const COLUMNS = 'ti.*, r.logical_date, r.run_after';
const FROM = 'task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id';

function tiWhere(filter: TaskInstanceFilter): Where {
  const where = new Where();
  if (filter.dagId !== null) where.add('ti.dag_id = ?', filter.dagId);
  if (filter.runId !== null) where.add('ti.run_id = ?', filter.runId);
  where.in('ti.run_id', filter.runIds);
  if (filter.taskId !== null) where.add('ti.task_id = ?', filter.taskId);
  where.pattern('ti.dag_id', filter.dagIdPattern);
  where.pattern('ti.run_id', filter.runIdPattern);
  where.pattern('ti.task_id', filter.taskIdPattern);
  if (filter.states.length > 0) {
    const states = stateClause('ti.state', filter.states);
    where.add(states.sql, ...states.params);
  }
  where.in('ti.try_number', filter.tryNumbers);
  where.in('ti.map_index', filter.mapIndexes);
  where.in('ti.pool', filter.pools);
  where.in('ti.queue', filter.queues);
  where.in('ti.operator', filter.operators);
  where.in('r.run_type', filter.runTypes ?? []);
  where.range('ti.start_date', filter.startDate);
  where.range('ti.end_date', filter.endDate);
  where.range('r.logical_date', filter.logicalDate);
  where.range('r.run_after', filter.runAfter);
  where.range('ti.updated_at', filter.updatedAt);
  where.range('ti.duration', filter.duration);
  return where;
}

export async function listTaskInstances(
  db: Queryable,
  filter: TaskInstanceFilter,
  order: readonly OrderTerm[],
  page: Page,
): Promise<{ rows: TaskInstanceRow[]; total: number }> {
  const orderBy = orderSql(order, ORDER_EXPRESSIONS, ['ti.dag_id ASC', 'r.run_after ASC', 'ti.run_id ASC', 'ti.task_id ASC', 'ti.map_index ASC']);
  return listPage(db, { columns: COLUMNS, from: FROM, where: tiWhere(filter), orderBy, page }, toRow);
}

export async function getTaskInstance(
  db: Queryable,
  key: { dagId: string; runId: string; taskId: string; mapIndex: number },
): Promise<TaskInstanceRow | undefined> {
  const raw = await db.get(`SELECT ${COLUMNS} FROM ${FROM} WHERE ti.dag_id = ? AND ti.run_id = ? AND ti.task_id = ? AND ti.map_index = ?`, [
    key.dagId,
    key.runId,
    key.taskId,
    key.mapIndex,
  ]);
  return raw ? toRow(raw) : undefined;
}

/** True if the task has mapped instances in that run (then the unmapped URL is the wrong one). */
export async function isMapped(db: Queryable, key: { dagId: string; runId: string; taskId: string }): Promise<boolean> {
  const row = await db.get<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index >= 0',
    [key.dagId, key.runId, key.taskId],
  );
  return Number(row?.n ?? 0) > 0;
}
