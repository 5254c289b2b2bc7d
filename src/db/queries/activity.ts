/** Whether an environment still has work that will progress on its own (for `--until-idle` loops). */
import type { Queryable } from '../backend.js';
import { count } from './sql.js';

export interface PendingWork {
  /** Tries queued or running (in flight, whatever the DAG's pause state). */
  inFlightTries: number;
  /** Tries scheduled or waiting to retry, in unpaused DAGs. */
  waitingTries: number;
  /** Running runs of unpaused DAGs. */
  runningRuns: number;
  /** Queued runs of unpaused, non-stale DAGs that may start by `now`. */
  startableRuns: number;
  /** Active DAGs whose next scheduled run is due by `now`. */
  dueDags: number;
}

export async function countPendingWork(q: Queryable, now: string): Promise<PendingWork> {
  const one = async (sql: string, params: Array<string | boolean>) => count((await q.get<{ n: unknown }>(sql, params))?.n);
  return {
    inFlightTries: await one(`SELECT COUNT(*) AS n FROM task_instance WHERE state IN ('queued', 'running')`, []),
    waitingTries: await one(
      `SELECT COUNT(*) AS n FROM task_instance ti JOIN dag d ON d.dag_id = ti.dag_id
       JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
       WHERE ti.state IN ('scheduled', 'up_for_retry') AND (d.is_paused = ? OR r.backfill_id IS NOT NULL)`,
      [false],
    ),
    runningRuns: await one(
      `SELECT COUNT(*) AS n FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id
       WHERE r.state = 'running' AND (d.is_paused = ? OR r.backfill_id IS NOT NULL)`,
      [false],
    ),
    // A backfill's queued runs start whatever the DAG's pause, unless the backfill itself is paused.
    startableRuns: await one(
      `SELECT COUNT(*) AS n FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id LEFT JOIN backfill b ON b.id = r.backfill_id
       WHERE r.state = 'queued' AND d.is_stale = ? AND r.run_after <= ?
         AND (CASE WHEN r.backfill_id IS NULL THEN d.is_paused = ? ELSE (b.is_paused IS NULL OR b.is_paused = ?) END)`,
      [false, now, false, false],
    ),
    dueDags: await one(
      `SELECT COUNT(*) AS n FROM dag WHERE is_paused = ? AND is_stale = ? AND has_import_errors = ?
       AND next_dagrun_create_after IS NOT NULL AND next_dagrun_create_after <= ?`,
      [false, false, false, now],
    ),
  };
}

/** One try that counts as in flight, named the way a user finds it again (`tasks list`, `tasks logs`). */
export interface InFlightTry {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  state: string;
}

/** Up to `limit` of the tries `inFlightTries` counts, oldest queue time first: the ones most likely stuck. */
export async function listInFlightTries(q: Queryable, limit: number): Promise<InFlightTry[]> {
  return q.all<InFlightTry>(
    `SELECT dag_id, task_id, run_id, map_index, try_number, state FROM task_instance
     WHERE state IN ('queued', 'running') ORDER BY queued_dttm, dag_id, task_id LIMIT ?`,
    [limit],
  );
}

const PENDING_WORK_NAMES: Record<keyof PendingWork, string> = {
  inFlightTries: 'task instances queued or running',
  waitingTries: 'task instances scheduled or up for retry',
  runningRuns: 'runs running',
  startableRuns: 'queued runs that may start',
  dueDags: 'DAGs with a scheduled run due',
};

/** The non-zero counts of `work` in words, e.g. `2 runs running`; empty when there is none. */
export function describePendingWork(work: PendingWork): string[] {
  return (Object.keys(PENDING_WORK_NAMES) as Array<keyof PendingWork>)
    .filter((name) => work[name] > 0)
    .map((name) => `${work[name]} ${PENDING_WORK_NAMES[name]}`);
}
