/** The `task_instance_history` table: one row per finished try (Airflow 3's `/tries` endpoints). */
import type { TaskInstanceState } from '../../model.js';
import type { Queryable } from '../backend.js';
import { count } from './sql.js';

export interface TaskInstanceHistoryRow {
  id: number;
  task_instance_id: string;
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
  state: TaskInstanceState;
  max_tries: number;
  hostname: string | null;
  operator: string | null;
  external_executor_id: string | null;
  error: string | null;
}

export type NewTaskInstanceHistory = Omit<TaskInstanceHistoryRow, 'id'>;

/** Idempotent per (task instance, try): reconciling the same report twice writes one row. */
export async function insertTaskInstanceHistory(q: Queryable, row: NewTaskInstanceHistory): Promise<void> {
  await q.run(
    `INSERT INTO task_instance_history (task_instance_id, dag_id, task_id, run_id, map_index, try_number, start_date,
       end_date, duration, state, max_tries, hostname, operator, external_executor_id, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      row.task_instance_id,
      row.dag_id,
      row.task_id,
      row.run_id,
      row.map_index,
      row.try_number,
      row.start_date,
      row.end_date,
      row.duration,
      row.state,
      row.max_tries,
      row.hostname,
      row.operator,
      row.external_executor_id,
      row.error,
    ],
  );
}

export async function listTaskInstanceHistory(
  q: Queryable,
  key: { dag_id: string; run_id: string; task_id: string; map_index?: number },
): Promise<TaskInstanceHistoryRow[]> {
  const rows = await q.all(
    `SELECT * FROM task_instance_history WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?
     ORDER BY try_number`,
    [key.dag_id, key.run_id, key.task_id, key.map_index ?? -1],
  );
  return rows.map((raw) => ({
    ...(raw as unknown as TaskInstanceHistoryRow),
    id: count(raw.id),
    map_index: count(raw.map_index),
    try_number: count(raw.try_number),
    max_tries: count(raw.max_tries),
    duration: raw.duration === null || raw.duration === undefined ? null : Number(raw.duration),
  }));
}
