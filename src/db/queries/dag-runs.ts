/** The `dag_run` table. Creation is idempotent by the unique keys (dag_id, run_id) and (dag_id, logical_date). */
import type { DagRunState, RunType } from '../../model.js';
import type { Queryable, SqlParam } from '../backend.js';
import { count, jsonText, nullableNumber, placeholders, setClause } from './sql.js';

export interface DagRunRow {
  id: number;
  dag_id: string;
  run_id: string;
  queued_at: string | null;
  logical_date: string | null;
  start_date: string | null;
  end_date: string | null;
  state: DagRunState;
  run_type: RunType;
  triggered_by: string | null;
  triggering_user_name: string | null;
  /** JSON text of the conf object, or null. */
  conf: string | null;
  data_interval_start: string | null;
  data_interval_end: string | null;
  run_after: string;
  last_scheduling_decision: string | null;
  updated_at: string;
  clear_number: number;
  note: string | null;
  /** The backfill that created or reprocessed this run (Airflow 3's `dag_run.backfill_id`). */
  backfill_id: number | null;
}

export function toDagRunRow(raw: Record<string, unknown>): DagRunRow {
  return {
    ...(raw as unknown as DagRunRow),
    id: count(raw.id),
    clear_number: count(raw.clear_number),
    conf: jsonText(raw.conf),
    backfill_id: nullableNumber(raw.backfill_id),
  };
}

export function runConf(run: Pick<DagRunRow, 'conf'>): Record<string, unknown> {
  if (!run.conf) return {};
  const value = JSON.parse(run.conf) as unknown;
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export interface NewDagRun {
  dag_id: string;
  run_id: string;
  logical_date: string | null;
  run_type: RunType;
  triggered_by: string;
  triggering_user_name?: string | null;
  /** Always an object (`{}` when none was given), as Airflow gives every run one. */
  conf: Record<string, unknown>;
  data_interval_start: string | null;
  data_interval_end: string | null;
  run_after: string;
  note?: string | null;
  backfill_id?: number | null;
  now: string;
}

/**
 * Inserts a queued run; returns false (and changes nothing) when a run with the same run_id or the same
 * logical date exists, so two ticks creating the same run is harmless.
 */
export async function insertDagRun(q: Queryable, run: NewDagRun): Promise<boolean> {
  const result = await q.run(
    `INSERT INTO dag_run (dag_id, run_id, queued_at, logical_date, state, run_type, triggered_by, triggering_user_name,
       conf, data_interval_start, data_interval_end, run_after, updated_at, note, backfill_id)
     VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      run.dag_id,
      run.run_id,
      run.now,
      run.logical_date,
      run.run_type,
      run.triggered_by,
      run.triggering_user_name ?? null,
      JSON.stringify(run.conf),
      run.data_interval_start,
      run.data_interval_end,
      run.run_after,
      run.now,
      run.note ?? null,
      run.backfill_id ?? null,
    ],
  );
  return result.changes > 0;
}

export async function getDagRun(q: Queryable, dagId: string, runId: string): Promise<DagRunRow | undefined> {
  const raw = await q.get('SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?', [dagId, runId]);
  return raw ? toDagRunRow(raw) : undefined;
}

export async function findDagRunByLogicalDate(q: Queryable, dagId: string, logicalDate: string): Promise<DagRunRow | undefined> {
  const raw = await q.get('SELECT * FROM dag_run WHERE dag_id = ? AND logical_date = ?', [dagId, logicalDate]);
  return raw ? toDagRunRow(raw) : undefined;
}

export interface ListDagRunsFilter {
  dagId?: string;
  states?: readonly DagRunState[];
  /** A run type, or any string a caller filters by (`asset_triggered` runs simply match none here). */
  runType?: RunType | string;
  /** Default `'run_after'` ascending. */
  orderBy?: 'run_after' | 'id';
  descending?: boolean;
  limit?: number;
  offset?: number;
}

function filterSql(filter: Pick<ListDagRunsFilter, 'dagId' | 'states' | 'runType'>): { where: string; params: SqlParam[] } {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (filter.dagId !== undefined) {
    where.push('dag_id = ?');
    params.push(filter.dagId);
  }
  if (filter.states && filter.states.length > 0) {
    where.push(`state IN (${placeholders(filter.states.length)})`);
    params.push(...filter.states);
  }
  if (filter.runType !== undefined) {
    where.push('run_type = ?');
    params.push(filter.runType);
  }
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params };
}

export async function listDagRuns(q: Queryable, filter: ListDagRunsFilter = {}): Promise<DagRunRow[]> {
  const { where, params } = filterSql(filter);
  const direction = filter.descending ? 'DESC' : 'ASC';
  const order = filter.orderBy === 'id' ? `id ${direction}` : `run_after ${direction}, id ${direction}`;
  let sql = `SELECT * FROM dag_run${where} ORDER BY ${order}`;
  if (filter.limit !== undefined) {
    sql += ' LIMIT ? OFFSET ?';
    params.push(filter.limit, filter.offset ?? 0);
  }
  return (await q.all(sql, params)).map(toDagRunRow);
}

export async function countDagRuns(q: Queryable, filter: Pick<ListDagRunsFilter, 'dagId' | 'states'> = {}): Promise<number> {
  const { where, params } = filterSql({ dagId: filter.dagId, states: filter.states });
  const row = await q.get<{ n: unknown }>(`SELECT COUNT(*) AS n FROM dag_run${where}`, params);
  return count(row?.n);
}

/** Queued + running runs of one DAG (what `max_active_runs` limits; a backfill's runs count against the backfill's). */
export async function countActiveDagRuns(q: Queryable, dagId: string): Promise<{ queued: number; running: number }> {
  const rows = await q.all<{ state: string; n: unknown }>(
    `SELECT state, COUNT(*) AS n FROM dag_run WHERE dag_id = ? AND state IN ('queued', 'running') AND backfill_id IS NULL GROUP BY state`,
    [dagId],
  );
  const out = { queued: 0, running: 0 };
  for (const row of rows) {
    if (row.state === 'queued') out.queued = count(row.n);
    if (row.state === 'running') out.running = count(row.n);
  }
  return out;
}

/**
 * A backfill takes over an existing run it reprocesses (Airflow's `_handle_clear_run`): the run becomes a
 * backfill run of that backfill, with the backfill's conf when it has one.
 */
export async function adoptDagRunIntoBackfill(
  q: Queryable,
  key: { dag_id: string; run_id: string },
  backfillId: number,
  conf: Record<string, unknown> | null,
  now: string,
): Promise<void> {
  const params: SqlParam[] = [backfillId, now];
  let sql = `UPDATE dag_run SET backfill_id = ?, run_type = 'backfill', triggered_by = 'backfill', updated_at = ?`;
  if (conf !== null) {
    sql += ', conf = ?';
    params.push(JSON.stringify(conf));
  }
  params.push(key.dag_id, key.run_id);
  await q.run(`${sql} WHERE dag_id = ? AND run_id = ?`, params);
}

/** The scheduled run with the latest logical date: the timetable continues after its data interval. */
export async function getLatestScheduledRun(q: Queryable, dagId: string): Promise<DagRunRow | undefined> {
  const raw = await q.get(
    `SELECT * FROM dag_run WHERE dag_id = ? AND run_type = 'scheduled' AND logical_date IS NOT NULL
     ORDER BY logical_date DESC LIMIT 1`,
    [dagId],
  );
  return raw ? toDagRunRow(raw) : undefined;
}

/**
 * The run before `run` in logical order (Airflow orders by logical date; runs without one by run_after),
 * for `depends_on_past`.
 */
export async function getPreviousDagRun(q: Queryable, run: Pick<DagRunRow, 'dag_id' | 'id' | 'logical_date' | 'run_after'>): Promise<DagRunRow | undefined> {
  const at = run.logical_date ?? run.run_after;
  const raw = await q.get(
    `SELECT * FROM dag_run WHERE dag_id = ? AND id <> ? AND COALESCE(logical_date, run_after) < ?
     ORDER BY COALESCE(logical_date, run_after) DESC, id DESC LIMIT 1`,
    [run.dag_id, run.id, at],
  );
  return raw ? toDagRunRow(raw) : undefined;
}

const UPDATABLE_RUN_COLUMNS = new Set([
  'state',
  'start_date',
  'end_date',
  'queued_at',
  'last_scheduling_decision',
  'clear_number',
  'note',
  'updated_at',
]);

export type DagRunPatch = Partial<Pick<DagRunRow, 'state' | 'start_date' | 'end_date' | 'queued_at' | 'last_scheduling_decision' | 'clear_number' | 'note'>>;

/**
 * Updates a run, optionally only while it is still in `expectState` (a claim: a concurrent change wins).
 * Returns true when the row changed.
 */
export async function updateDagRun(
  q: Queryable,
  key: { dag_id: string; run_id: string },
  patch: DagRunPatch & { updated_at: string },
  expectState?: DagRunState,
): Promise<boolean> {
  const set = setClause(patch, UPDATABLE_RUN_COLUMNS);
  const params: SqlParam[] = [...set.params, key.dag_id, key.run_id];
  let sql = `UPDATE dag_run SET ${set.sql} WHERE dag_id = ? AND run_id = ?`;
  if (expectState !== undefined) {
    sql += ' AND state = ?';
    params.push(expectState);
  }
  return (await q.run(sql, params)).changes > 0;
}
