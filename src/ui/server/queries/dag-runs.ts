/**
 * Read queries over `dag_run` for the run endpoints: the API's filters and pages only; the row shape, its
 * mapper and the single-run read are src/db/queries/dag-runs.ts's.
 */
import type { DatabaseBackend, Queryable } from '../../../db/backend.js';
import type { OrderTerm, Page, Range } from '../params.js';
import { getDagRun, toDagRunRow, type DagRunRow } from '../../../db/queries/dag-runs.js';
import { listPage, orderSql, Where } from './sql.js';

export interface DagRunFilter {
  /** Null = every DAG (`~`). */
  dagId: string | null;
  /** Any of these DAGs (DAGRunsBatchBody's `dag_ids`; absent or empty = no restriction, as in Airflow). */
  dagIds?: string[];
  dagIdPattern: string | null;
  runIdPattern: string | null;
  states: string[];
  runTypes: string[];
  logicalDate: Range;
  runAfter: Range;
  startDate: Range;
  endDate: Range;
  updatedAt: Range;
  /** Seconds between start and end (DAGRunsBatchBody's `duration_*`). */
  duration?: Range<number>;
  /** A substring of the conf's JSON text (DAGRunsBatchBody's `conf_contains`). */
  confContains?: string | null;
}

export const DAG_RUN_ORDER_ATTRIBUTES = [
  'id',
  'state',
  'dag_id',
  'run_id',
  'dag_run_id',
  'logical_date',
  'run_after',
  'start_date',
  'end_date',
  'updated_at',
  'conf',
  'duration',
] as const;

const ORDER_EXPRESSIONS: Record<string, string> = {
  id: 'id',
  state: 'state',
  dag_id: 'dag_id',
  run_id: 'run_id',
  dag_run_id: 'run_id',
  logical_date: 'logical_date',
  run_after: 'run_after',
  start_date: 'start_date',
  end_date: 'end_date',
  updated_at: 'updated_at',
  // Ordering by JSON is not portable; the text form is what Airflow's users get on SQLite anyway.
  conf: 'CAST(conf AS TEXT)',
};

/** Seconds between start and end: the one dialect-specific expression here (no portable interval maths). */
function durationExpression(dialect: DatabaseBackend['dialect']): string {
  return dialect === 'postgres'
    ? 'EXTRACT(EPOCH FROM (end_date - start_date))'
    : '(julianday(end_date) - julianday(start_date)) * 86400.0';
}

function runWhere(filter: DagRunFilter, dialect: DatabaseBackend['dialect']): Where {
  const where = new Where();
  if (filter.dagId !== null) where.add('dag_id = ?', filter.dagId);
  where.in('dag_id', filter.dagIds ?? []);
  where.range(durationExpression(dialect), filter.duration);
  if (filter.confContains) where.add('CAST(conf AS TEXT) LIKE ?', `%${filter.confContains}%`);
  where.pattern('dag_id', filter.dagIdPattern);
  where.pattern('run_id', filter.runIdPattern);
  where.in('state', filter.states);
  where.in('run_type', filter.runTypes);
  where.range('logical_date', filter.logicalDate);
  where.range('run_after', filter.runAfter);
  where.range('start_date', filter.startDate);
  where.range('end_date', filter.endDate);
  where.range('updated_at', filter.updatedAt);
  return where;
}

export async function listDagRuns(
  db: DatabaseBackend,
  filter: DagRunFilter,
  order: readonly OrderTerm[],
  page: Page,
): Promise<{ rows: DagRunRow[]; total: number }> {
  const orderBy = orderSql(order, { ...ORDER_EXPRESSIONS, duration: durationExpression(db.dialect) }, ['id ASC']);
  return listPage(db, { columns: '*', from: 'dag_run', where: runWhere(filter, db.dialect), orderBy, page }, toDagRunRow);
}

/** The run that already holds this run id or logical date, if any (the two unique keys of `dag_run`). */
export async function findConflictingRun(
  db: Queryable,
  dagId: string,
  runId: string,
  logicalDate: string | null,
): Promise<DagRunRow | undefined> {
  if (logicalDate === null) return getDagRun(db, dagId, runId);
  const raw = await db.get('SELECT * FROM dag_run WHERE dag_id = ? AND (run_id = ? OR logical_date = ?)', [
    dagId,
    runId,
    logicalDate,
  ]);
  return raw ? toDagRunRow(raw) : undefined;
}

export type RunSummary = Pick<DagRunRow, 'dag_id' | 'run_id' | 'state' | 'run_after' | 'logical_date' | 'start_date' | 'end_date'>;

/** The newest `perDag` runs of each DAG (by run_after), newest first: the DAG list's coloured dots. */
export async function recentRunsByDag(db: Queryable, dagIds: readonly string[], perDag: number): Promise<Map<string, RunSummary[]>> {
  const out = new Map<string, RunSummary[]>();
  if (dagIds.length === 0) return out;
  const rows = await db.all<RunSummary>(
    `SELECT dag_id, run_id, state, run_after, logical_date, start_date, end_date FROM dag_run r
     WHERE dag_id IN (${dagIds.map(() => '?').join(', ')})
       AND (SELECT COUNT(*) FROM dag_run newer
            WHERE newer.dag_id = r.dag_id AND (newer.run_after > r.run_after OR (newer.run_after = r.run_after AND newer.id > r.id))) < ?
     ORDER BY dag_id, run_after DESC, id DESC`,
    [...dagIds, perDag],
  );
  for (const row of rows) out.set(row.dag_id, [...(out.get(row.dag_id) ?? []), row]);
  return out;
}
