/**
 * Rows `db clean` removes (Airflow's `airflow db clean`): finished DAG runs with their task instances and
 * history, task instances of finished runs, history rows and command log rows, all older than a cutoff.
 * As in Airflow, the newest non-manual run of each DAG is kept whatever its age (the timetable's next run
 * is computed from it; newest by run_after, since catchup starts several runs in the same second), and
 * runs still queued or running are never touched. Task instances are cleaned on their own, as in Airflow:
 * those of the kept run go too unless `--tables` leaves task_instance out.
 */
import type { Queryable } from '../backend.js';

export const CLEANABLE_TABLES = ['dag_run', 'task_instance', 'task_instance_history', 'command_log'] as const;
export type CleanableTable = (typeof CLEANABLE_TABLES)[number];

export interface RunKey {
  dag_id: string;
  run_id: string;
}

export interface TaskKey extends RunKey {
  task_id: string;
  map_index: number;
}

const FINAL_RUN_STATES = "('success', 'failed')";

/** Finished runs that started before `before`, minus each DAG's newest non-manual run. */
export async function cleanableRuns(q: Queryable, before: string): Promise<RunKey[]> {
  return q.all<RunKey>(
    `SELECT r.dag_id, r.run_id FROM dag_run r
     WHERE r.state IN ${FINAL_RUN_STATES} AND COALESCE(r.start_date, r.run_after) < ?
       AND r.id <> COALESCE((SELECT k.id FROM dag_run k WHERE k.dag_id = r.dag_id AND k.run_type <> 'manual'
                             ORDER BY k.run_after DESC, k.id DESC LIMIT 1), -1)
     ORDER BY r.dag_id, r.run_id`,
    [before],
  );
}

/** Task instances of finished runs that started before `before` (or never started). */
export async function cleanableTaskInstances(q: Queryable, before: string): Promise<TaskKey[]> {
  return q.all<TaskKey>(
    `SELECT t.dag_id, t.run_id, t.task_id, t.map_index FROM task_instance t
     JOIN dag_run r ON r.dag_id = t.dag_id AND r.run_id = t.run_id
     WHERE r.state IN ${FINAL_RUN_STATES} AND COALESCE(t.start_date, t.updated_at) < ?
     ORDER BY t.dag_id, t.run_id, t.task_id, t.map_index`,
    [before],
  );
}

export async function countRunRows(q: Queryable, table: 'task_instance' | 'task_instance_history', run: RunKey): Promise<number> {
  const row = await q.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE dag_id = ? AND run_id = ?`, [run.dag_id, run.run_id]);
  return Number(row?.n ?? 0);
}

/** Deletes one run; its task instances and history go with it (ON DELETE CASCADE). */
export async function deleteRun(q: Queryable, run: RunKey): Promise<number> {
  return (await q.run('DELETE FROM dag_run WHERE dag_id = ? AND run_id = ?', [run.dag_id, run.run_id])).changes;
}

export async function deleteTaskInstance(q: Queryable, ti: TaskKey): Promise<number> {
  return (await q.run('DELETE FROM task_instance WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?', [ti.dag_id, ti.run_id, ti.task_id, ti.map_index]))
    .changes;
}

export async function deleteOldHistory(q: Queryable, before: string): Promise<number> {
  return (await q.run('DELETE FROM task_instance_history WHERE COALESCE(end_date, start_date) < ?', [before])).changes;
}

export async function deleteOldCommandLog(q: Queryable, before: string): Promise<number> {
  return (await q.run('DELETE FROM command_log WHERE applied_at < ?', [before])).changes;
}
