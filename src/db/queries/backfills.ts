/**
 * Airflow 3's `backfill` and `backfill_dag_run` tables. A backfill is active until `completed_at` is set
 * (every run it owns finished, or it was cancelled); Airflow allows one active backfill per DAG.
 */
import type { Queryable, SqlParam } from '../backend.js';
import { count, flag, jsonText, nullableNumber } from './sql.js';

export const REPROCESS_BEHAVIORS = ['none', 'failed', 'completed'] as const;
export type ReprocessBehavior = (typeof REPROCESS_BEHAVIORS)[number];

/** Why a date of a backfill got no run (Airflow's BackfillDagRunExceptionReason). */
export type BackfillExceptionReason = 'in flight' | 'already exists' | 'unknown';

export interface BackfillRow {
  id: number;
  dag_id: string;
  from_date: string;
  to_date: string;
  /** JSON text of the conf object every run of the backfill gets. */
  dag_run_conf: string;
  is_paused: boolean;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
  created_at: string;
  completed_at: string | null;
  updated_at: string;
  triggering_user_name: string | null;
}

export interface BackfillDagRunRow {
  id: number;
  backfill_id: number;
  dag_run_id: number | null;
  exception_reason: BackfillExceptionReason | null;
  logical_date: string | null;
  sort_ordinal: number;
}

function toBackfillRow(raw: Record<string, unknown>): BackfillRow {
  return {
    ...(raw as unknown as BackfillRow),
    id: count(raw.id),
    max_active_runs: count(raw.max_active_runs),
    is_paused: flag(raw.is_paused),
    dag_run_conf: jsonText(raw.dag_run_conf) ?? '{}',
  };
}

export interface NewBackfill {
  dag_id: string;
  from_date: string;
  to_date: string;
  dag_run_conf: Record<string, unknown>;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
  triggering_user_name: string | null;
  now: string;
}

export async function insertBackfill(q: Queryable, b: NewBackfill): Promise<BackfillRow> {
  const raw = await q.get(
    `INSERT INTO backfill (dag_id, from_date, to_date, dag_run_conf, is_paused, reprocess_behavior, max_active_runs,
       created_at, updated_at, triggering_user_name)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    [b.dag_id, b.from_date, b.to_date, JSON.stringify(b.dag_run_conf), false, b.reprocess_behavior, b.max_active_runs, b.now, b.now, b.triggering_user_name],
  );
  if (!raw) throw new Error('insertBackfill: no row returned');
  return toBackfillRow(raw);
}

export async function getBackfill(q: Queryable, id: number): Promise<BackfillRow | undefined> {
  const raw = await q.get('SELECT * FROM backfill WHERE id = ?', [id]);
  return raw ? toBackfillRow(raw) : undefined;
}

export async function listBackfills(q: Queryable, filter: { dagId?: string; activeOnly?: boolean } = {}): Promise<BackfillRow[]> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (filter.dagId !== undefined) {
    where.push('dag_id = ?');
    params.push(filter.dagId);
  }
  if (filter.activeOnly) where.push('completed_at IS NULL');
  const rows = await q.all(`SELECT * FROM backfill${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`, params);
  return rows.map(toBackfillRow);
}

export async function updateBackfill(
  q: Queryable,
  id: number,
  patch: { is_paused?: boolean; completed_at?: string | null; updated_at: string },
): Promise<void> {
  const sets: string[] = ['updated_at = ?'];
  const params: SqlParam[] = [patch.updated_at];
  if (patch.is_paused !== undefined) {
    sets.push('is_paused = ?');
    params.push(patch.is_paused);
  }
  if (patch.completed_at !== undefined) {
    sets.push('completed_at = ?');
    params.push(patch.completed_at);
  }
  params.push(id);
  await q.run(`UPDATE backfill SET ${sets.join(', ')} WHERE id = ?`, params);
}

export async function insertBackfillDagRun(q: Queryable, row: Omit<BackfillDagRunRow, 'id'>): Promise<void> {
  await q.run(
    `INSERT INTO backfill_dag_run (backfill_id, dag_run_id, exception_reason, logical_date, sort_ordinal) VALUES (?, ?, ?, ?, ?)`,
    [row.backfill_id, row.dag_run_id, row.exception_reason, row.logical_date, row.sort_ordinal],
  );
}

export async function listBackfillDagRuns(q: Queryable, backfillId: number): Promise<BackfillDagRunRow[]> {
  const rows = await q.all<Record<string, unknown>>('SELECT * FROM backfill_dag_run WHERE backfill_id = ? ORDER BY sort_ordinal', [
    backfillId,
  ]);
  return rows.map((raw) => ({
    ...(raw as unknown as BackfillDagRunRow),
    id: count(raw.id),
    backfill_id: count(raw.backfill_id),
    dag_run_id: nullableNumber(raw.dag_run_id),
    sort_ordinal: count(raw.sort_ordinal),
  }));
}

/** Active backfills none of whose runs is still queued or running: the scheduler marks them completed. */
export async function listFinishedActiveBackfills(q: Queryable): Promise<number[]> {
  const rows = await q.all<{ id: unknown }>(
    `SELECT b.id FROM backfill b WHERE b.completed_at IS NULL AND NOT EXISTS (
       SELECT 1 FROM dag_run r WHERE r.backfill_id = b.id AND r.state IN ('queued', 'running'))`,
  );
  return rows.map((r) => count(r.id));
}

/** Queued runs of unpaused, active backfills, in each backfill's order (`sort_ordinal`). */
export async function listStartableBackfillRuns(q: Queryable): Promise<Array<{ backfill_id: number; max_active_runs: number; dag_id: string; run_id: string }>> {
  const rows = await q.all<Record<string, unknown>>(
    `SELECT b.id AS backfill_id, b.max_active_runs, r.dag_id, r.run_id FROM backfill b
       JOIN backfill_dag_run bdr ON bdr.backfill_id = b.id
       JOIN dag_run r ON r.id = bdr.dag_run_id
     WHERE b.completed_at IS NULL AND (b.is_paused IS NULL OR b.is_paused = ?) AND r.state = 'queued' AND r.backfill_id = b.id
     ORDER BY b.id, bdr.sort_ordinal`,
    [false],
  );
  return rows.map((r) => ({ backfill_id: count(r.backfill_id), max_active_runs: count(r.max_active_runs), dag_id: String(r.dag_id), run_id: String(r.run_id) }));
}

/** Running runs per backfill (what the backfill's `max_active_runs` limits). */
export async function countRunningBackfillRuns(q: Queryable): Promise<Map<number, number>> {
  const rows = await q.all<{ backfill_id: unknown; n: unknown }>(
    `SELECT backfill_id, COUNT(*) AS n FROM dag_run WHERE backfill_id IS NOT NULL AND state = 'running' GROUP BY backfill_id`,
  );
  return new Map(rows.map((r) => [count(r.backfill_id), count(r.n)]));
}
