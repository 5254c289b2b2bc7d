/**
 * Read queries over `dag` and `dag_tag` for the DAG endpoints and the DAG list page: the API's filters and
 * pages only; the row shape, its mapper and single-row reads are src/db/queries/dags.ts's.
 */
import type { Queryable } from '../../../db/backend.js';
import type { OrderTerm, Page } from '../params.js';
import { toDagRow, type DagRow } from '../../../db/queries/dags.js';
import { listPage, orderSql, Where } from './sql.js';

export interface DagFilter {
  paused: boolean | null;
  excludeStale: boolean;
  dagIdPattern: string | null;
  dagDisplayNamePattern: string | null;
  tags: string[];
  tagsMatchAll: boolean;
  owners: string[];
  hasImportErrors: boolean | null;
}

export const DAG_ORDER_ATTRIBUTES = ['dag_id', 'dag_display_name', 'next_dagrun', 'last_run_state', 'last_run_start_date'] as const;

const LATEST_RUN = `(SELECT MAX(lr.id) FROM dag_run lr WHERE lr.dag_id = dag.dag_id)`;
const DAG_ORDER_EXPRESSIONS: Record<string, string> = {
  dag_id: 'dag.dag_id',
  dag_display_name: 'COALESCE(dag.dag_display_name, dag.dag_id)',
  next_dagrun: 'dag.next_dagrun',
  last_run_state: `(SELECT r.state FROM dag_run r WHERE r.id = ${LATEST_RUN})`,
  last_run_start_date: `(SELECT r.start_date FROM dag_run r WHERE r.id = ${LATEST_RUN})`,
};

function dagWhere(filter: DagFilter): Where {
  const where = new Where();
  if (filter.paused !== null) where.add('dag.is_paused = ?', filter.paused);
  if (filter.excludeStale) where.add('dag.is_stale = ?', false);
  if (filter.hasImportErrors !== null) where.add('dag.has_import_errors = ?', filter.hasImportErrors);
  where.pattern('dag.dag_id', filter.dagIdPattern);
  where.pattern('COALESCE(dag.dag_display_name, dag.dag_id)', filter.dagDisplayNamePattern);
  if (filter.tags.length > 0) {
    const placeholders = filter.tags.map(() => '?').join(', ');
    if (filter.tagsMatchAll) {
      where.add(
        `(SELECT COUNT(DISTINCT t.name) FROM dag_tag t WHERE t.dag_id = dag.dag_id AND t.name IN (${placeholders})) = ?`,
        ...filter.tags,
        new Set(filter.tags).size,
      );
    } else {
      where.add(`EXISTS (SELECT 1 FROM dag_tag t WHERE t.dag_id = dag.dag_id AND t.name IN (${placeholders}))`, ...filter.tags);
    }
  }
  if (filter.owners.length > 0) {
    // `owners` is a comma-separated list (Airflow's DagModel.owners); match whole names.
    where.add(
      `(${filter.owners.map(() => `(',' || REPLACE(COALESCE(dag.owners, ''), ' ', '') || ',') LIKE ?`).join(' OR ')})`,
      ...filter.owners.map((o) => `%,${o.replaceAll(' ', '')},%`),
    );
  }
  return where;
}

export async function listDags(
  db: Queryable,
  filter: DagFilter,
  order: readonly OrderTerm[],
  page: Page,
): Promise<{ rows: DagRow[]; total: number }> {
  const orderBy = orderSql(order, DAG_ORDER_EXPRESSIONS, ['dag.dag_id ASC']);
  return listPage(db, { columns: 'dag.*', from: 'dag', where: dagWhere(filter), orderBy, page }, toDagRow);
}

export async function tagsByDag(db: Queryable, dagIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (dagIds.length === 0) return out;
  const rows = await db.all<{ dag_id: string; name: string }>(
    `SELECT dag_id, name FROM dag_tag WHERE dag_id IN (${dagIds.map(() => '?').join(', ')}) ORDER BY name`,
    dagIds,
  );
  for (const row of rows) out.set(row.dag_id, [...(out.get(row.dag_id) ?? []), row.name]);
  return out;
}

/** Display names for DAG ids (runs and task instances carry them). */
export async function displayNames(db: Queryable, dagIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const unique = [...new Set(dagIds)];
  if (unique.length === 0) return out;
  const rows = await db.all<{ dag_id: string; dag_display_name: string | null }>(
    `SELECT dag_id, dag_display_name FROM dag WHERE dag_id IN (${unique.map(() => '?').join(', ')})`,
    unique,
  );
  for (const row of rows) out.set(row.dag_id, row.dag_display_name ?? row.dag_id);
  return out;
}
