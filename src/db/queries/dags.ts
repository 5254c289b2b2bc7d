/** The `dag` and `dag_tag` tables: one row per DAG id ever seen, with its scheduling fields. */
import type { Queryable, SqlParam } from '../backend.js';
import { chunks, count, flag, nullableNumber, placeholders, rowChunks, valuesRows } from './sql.js';

export interface DagRow {
  dag_id: string;
  is_paused: boolean;
  is_stale: boolean;
  last_parsed_time: string | null;
  last_parse_duration: number | null;
  fileloc: string;
  relative_fileloc: string | null;
  bundle_name: string;
  owners: string | null;
  dag_display_name: string | null;
  description: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  timezone: string;
  max_active_tasks: number;
  max_active_runs: number | null;
  max_consecutive_failed_dag_runs: number;
  has_task_concurrency_limits: boolean;
  has_import_errors: boolean;
  next_dagrun: string | null;
  next_dagrun_data_interval_start: string | null;
  next_dagrun_data_interval_end: string | null;
  next_dagrun_create_after: string | null;
}

export function toDagRow(raw: Record<string, unknown>): DagRow {
  return {
    ...(raw as unknown as DagRow),
    is_paused: flag(raw.is_paused),
    is_stale: flag(raw.is_stale),
    has_task_concurrency_limits: flag(raw.has_task_concurrency_limits),
    has_import_errors: flag(raw.has_import_errors),
    max_active_tasks: count(raw.max_active_tasks),
    max_active_runs: nullableNumber(raw.max_active_runs),
    max_consecutive_failed_dag_runs: count(raw.max_consecutive_failed_dag_runs),
    last_parse_duration: nullableNumber(raw.last_parse_duration),
  };
}

export async function getDag(q: Queryable, dagId: string): Promise<DagRow | undefined> {
  const raw = await q.get('SELECT * FROM dag WHERE dag_id = ?', [dagId]);
  return raw ? toDagRow(raw) : undefined;
}

/** The rows of those of `dagIds` that exist, by id (one query per 500 ids). */
export async function getDags(q: Queryable, dagIds: readonly string[]): Promise<Map<string, DagRow>> {
  const out = new Map<string, DagRow>();
  for (const part of chunks([...new Set(dagIds)])) {
    for (const raw of await q.all(`SELECT * FROM dag WHERE dag_id IN (${placeholders(part.length)})`, part)) {
      const row = toDagRow(raw);
      out.set(row.dag_id, row);
    }
  }
  return out;
}

export interface ListDagsFilter {
  /** Default false: stale DAGs (file gone) are hidden, as Airflow's `exclude_stale=true`. */
  includeStale?: boolean;
  paused?: boolean;
  limit?: number;
  offset?: number;
}

export async function listDags(q: Queryable, filter: ListDagsFilter = {}): Promise<DagRow[]> {
  const where: string[] = [];
  const params: Array<string | number | boolean> = [];
  if (!filter.includeStale) {
    where.push('is_stale = ?');
    params.push(false);
  }
  if (filter.paused !== undefined) {
    where.push('is_paused = ?');
    params.push(filter.paused);
  }
  let sql = 'SELECT * FROM dag' + (where.length ? ` WHERE ${where.join(' AND ')}` : '') + ' ORDER BY dag_id';
  if (filter.limit !== undefined) {
    sql += ' LIMIT ? OFFSET ?';
    params.push(filter.limit, filter.offset ?? 0);
  }
  return (await q.all(sql, params)).map(toDagRow);
}

/** The fields a parse writes; `is_paused` is only ever set when the row is created. */
export interface DagUpsert {
  dag_id: string;
  fileloc: string;
  relative_fileloc: string;
  owners: string;
  description: string | null;
  timetable_summary: string;
  timetable_description: string;
  timezone: string;
  max_active_tasks: number;
  max_active_runs: number;
  last_parsed_time: string;
  last_parse_duration: number;
  is_paused_at_creation: boolean;
}

/** Inserts or refreshes a DAG from a good parse: clears `is_stale` and `has_import_errors`, keeps `is_paused`. */
export async function upsertDag(q: Queryable, dag: DagUpsert): Promise<void> {
  await upsertDags(q, [dag]);
}

const UPSERT_COLUMNS = `dag_id, is_paused, is_stale, has_import_errors, fileloc, relative_fileloc, owners, description,
  timetable_summary, timetable_description, timezone, max_active_tasks, max_active_runs, last_parsed_time,
  last_parse_duration`;
const UPSERT_SET = `is_stale = excluded.is_stale, has_import_errors = excluded.has_import_errors,
  fileloc = excluded.fileloc, relative_fileloc = excluded.relative_fileloc, owners = excluded.owners,
  description = excluded.description, timetable_summary = excluded.timetable_summary,
  timetable_description = excluded.timetable_description, timezone = excluded.timezone,
  max_active_tasks = excluded.max_active_tasks, max_active_runs = excluded.max_active_runs,
  last_parsed_time = excluded.last_parsed_time, last_parse_duration = excluded.last_parse_duration`;
const NEXT_COLUMNS = 'next_dagrun, next_dagrun_data_interval_start, next_dagrun_data_interval_end, next_dagrun_create_after';
const NEXT_SET = `next_dagrun = excluded.next_dagrun, next_dagrun_data_interval_start = excluded.next_dagrun_data_interval_start,
  next_dagrun_data_interval_end = excluded.next_dagrun_data_interval_end,
  next_dagrun_create_after = excluded.next_dagrun_create_after`;

function upsertParams(dag: DagUpsert): SqlParam[] {
  return [
    dag.dag_id,
    dag.is_paused_at_creation,
    false,
    false,
    dag.fileloc,
    dag.relative_fileloc,
    dag.owners,
    dag.description,
    dag.timetable_summary,
    dag.timetable_description,
    dag.timezone,
    dag.max_active_tasks,
    dag.max_active_runs,
    dag.last_parsed_time,
    dag.last_parse_duration,
  ];
}

/**
 * `upsertDag` for many DAGs in few statements; a row with `next` also sets its `next_dagrun*` fields (as
 * `setNextDagrun` would), a row without keeps them. Ids must be distinct (Postgres refuses to update one
 * row twice in a statement).
 */
export async function upsertDags(q: Queryable, dags: ReadonlyArray<DagUpsert & { next?: NextDagrunFields }>): Promise<void> {
  const withNext = dags.filter((dag) => dag.next !== undefined);
  const withoutNext = dags.filter((dag) => dag.next === undefined);
  for (const part of rowChunks(withoutNext, 15)) {
    await q.run(
      `INSERT INTO dag (${UPSERT_COLUMNS}) VALUES ${valuesRows(part.length, 15)} ON CONFLICT (dag_id) DO UPDATE SET ${UPSERT_SET}`,
      part.flatMap(upsertParams),
    );
  }
  for (const part of rowChunks(withNext, 19)) {
    await q.run(
      `INSERT INTO dag (${UPSERT_COLUMNS}, ${NEXT_COLUMNS}) VALUES ${valuesRows(part.length, 19)}
       ON CONFLICT (dag_id) DO UPDATE SET ${UPSERT_SET}, ${NEXT_SET}`,
      part.flatMap((dag) => {
        const next = dag.next!;
        return [
          ...upsertParams(dag),
          next.next_dagrun,
          next.next_dagrun_data_interval_start,
          next.next_dagrun_data_interval_end,
          next.next_dagrun_create_after,
        ];
      }),
    );
  }
}

/** Returns true when the row existed (and now has the wanted value). */
export async function setDagPaused(q: Queryable, dagId: string, paused: boolean): Promise<boolean> {
  return (await q.run('UPDATE dag SET is_paused = ? WHERE dag_id = ?', [paused, dagId])).changes > 0;
}

export async function setDagsStale(q: Queryable, dagIds: readonly string[], stale: boolean): Promise<void> {
  for (const part of chunks(dagIds)) {
    await q.run(`UPDATE dag SET is_stale = ? WHERE dag_id IN (${placeholders(part.length)})`, [stale, ...part]);
  }
}

export async function setDagsImportErrors(q: Queryable, dagIds: readonly string[], hasErrors: boolean): Promise<void> {
  for (const part of chunks(dagIds)) {
    await q.run(`UPDATE dag SET has_import_errors = ? WHERE dag_id IN (${placeholders(part.length)})`, [
      hasErrors,
      ...part,
    ]);
  }
}

export interface NextDagrunFields {
  next_dagrun: string | null;
  next_dagrun_data_interval_start: string | null;
  next_dagrun_data_interval_end: string | null;
  next_dagrun_create_after: string | null;
}

export async function setNextDagrun(q: Queryable, dagId: string, next: NextDagrunFields): Promise<void> {
  await q.run(
    `UPDATE dag SET next_dagrun = ?, next_dagrun_data_interval_start = ?, next_dagrun_data_interval_end = ?,
       next_dagrun_create_after = ? WHERE dag_id = ?`,
    [next.next_dagrun, next.next_dagrun_data_interval_start, next.next_dagrun_data_interval_end, next.next_dagrun_create_after, dagId],
  );
}

/** Airflow's `dags_needing_dagruns`: active, parseable DAGs whose next run is due, earliest first. */
export async function listDagsNeedingRuns(q: Queryable, now: string, limit: number): Promise<DagRow[]> {
  const rows = await q.all(
    `SELECT * FROM dag WHERE is_paused = ? AND is_stale = ? AND has_import_errors = ?
       AND next_dagrun_create_after IS NOT NULL AND next_dagrun_create_after <= ?
     ORDER BY next_dagrun_create_after, dag_id LIMIT ?`,
    [false, false, false, now, limit],
  );
  return rows.map(toDagRow);
}

export interface DagTagRow {
  dag_id: string;
  name: string;
}

export async function replaceDagTags(q: Queryable, dagId: string, tags: readonly string[]): Promise<void> {
  await q.run('DELETE FROM dag_tag WHERE dag_id = ?', [dagId]);
  for (const name of new Set(tags)) {
    await q.run('INSERT INTO dag_tag (name, dag_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, dagId]);
  }
}

/** `replaceDagTags` for many DAGs: one DELETE and one INSERT per few hundred DAGs. */
export async function replaceTagsOfDags(q: Queryable, dags: ReadonlyArray<{ dag_id: string; tags: readonly string[] }>): Promise<void> {
  for (const part of chunks(dags.map((dag) => dag.dag_id))) {
    await q.run(`DELETE FROM dag_tag WHERE dag_id IN (${placeholders(part.length)})`, part);
  }
  const rows = dags.flatMap((dag) => [...new Set(dag.tags)].map((name) => [name, dag.dag_id] as const));
  for (const part of rowChunks(rows, 2)) {
    await q.run(`INSERT INTO dag_tag (name, dag_id) VALUES ${valuesRows(part.length, 2)} ON CONFLICT DO NOTHING`, part.flat());
  }
}

/** Tags of one DAG, or of every DAG when `dagId` is omitted; sorted by dag_id then name. */
export async function listDagTags(q: Queryable, dagId?: string): Promise<DagTagRow[]> {
  return dagId === undefined
    ? q.all<DagTagRow>('SELECT dag_id, name FROM dag_tag ORDER BY dag_id, name')
    : q.all<DagTagRow>('SELECT dag_id, name FROM dag_tag WHERE dag_id = ? ORDER BY name', [dagId]);
}
