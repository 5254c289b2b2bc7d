/**
 * Keeping a run's task instance rows in line with its DAG (Airflow's `verify_integrity`): a row per task,
 * created in state none with `max_tries = retries`; rows of tasks that vanished from the DAG and have not
 * finished become `removed`.
 */
import { randomUUID } from 'node:crypto';
import type { DagSpec, TaskSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import { insertTaskInstances, updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';

/** What the integrity check reads of a row. */
type RowIdentity = Pick<TaskInstanceRow, 'id' | 'task_id' | 'state'>;
import { isFinished } from '../model.js';

/** `BashOperator` from `airflow.providers.standard.operators.bash.BashOperator` (Airflow's `operator` column). */
export function operatorName(task: TaskSpec): string {
  return task.operator_class.split('.').pop() ?? task.operator_class;
}

export async function createTaskInstances(
  q: Queryable,
  run: { dag_id: string; run_id: string },
  tasks: readonly TaskSpec[],
  now: string,
): Promise<number> {
  return insertTaskInstances(
    q,
    tasks.map((task) => ({
      id: randomUUID(),
      dag_id: run.dag_id,
      task_id: task.task_id,
      run_id: run.run_id,
      map_index: -1,
      max_tries: task.retries,
      operator: operatorName(task),
      custom_operator_name: null,
      now,
    })),
  );
}

/** True when the run's rows and the DAG's tasks disagree (so `verifyRunIntegrity` has work to do). */
export function needsIntegrityFix(spec: DagSpec, existing: readonly RowIdentity[]): boolean {
  const have = new Set(existing.map((ti) => ti.task_id));
  const wanted = new Set(spec.tasks.map((t) => t.task_id));
  if (spec.tasks.some((t) => !have.has(t.task_id))) return true;
  return existing.some((ti) => !wanted.has(ti.task_id) && !isFinished(ti.state) && ti.state !== 'queued' && ti.state !== 'running');
}

/** Adds rows for new tasks and marks unfinished rows of vanished tasks `removed`; true when anything changed. */
export async function verifyRunIntegrity(
  q: Queryable,
  run: { dag_id: string; run_id: string },
  spec: DagSpec,
  existing: readonly RowIdentity[],
  now: string,
): Promise<boolean> {
  const have = new Set(existing.map((ti) => ti.task_id));
  const wanted = new Set(spec.tasks.map((t) => t.task_id));
  const missing = spec.tasks.filter((t) => !have.has(t.task_id));
  let changed = missing.length > 0 && (await createTaskInstances(q, run, missing, now)) > 0;
  for (const ti of existing) {
    if (wanted.has(ti.task_id) || isFinished(ti.state) || ti.state === 'queued' || ti.state === 'running') continue;
    changed = (await updateTaskInstance(q, ti.id, { state: 'removed', updated_at: now }, { states: [ti.state] })) || changed;
  }
  return changed;
}
