/** Task instances of a run, and their logs on the volume. */
import type { TaskInstanceState } from '../model.js';
import { getDagRun } from '../db/queries/dag-runs.js';
import { getTaskInstance, listTaskInstancesForRun } from '../db/queries/task-instances.js';
import { logPath } from '../volume-layout.js';
import { withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownRunError, UnknownTaskError, UserInputError } from './errors.js';
import type { TaskInstanceJson } from './shapes.js';
import { taskInstanceJson } from './shapes.js';

export async function listRunTasks(environment: Environment, dagId: string, runId: string): Promise<TaskInstanceJson[]> {
  return withReadDatabase(environment, async (db) => {
    const run = await getDagRun(db, dagId, runId);
    if (!run) throw new UnknownRunError(dagId, runId);
    const rows = await listTaskInstancesForRun(db, dagId, runId);
    // In the order they ran (not yet started last), which reads like the DAG for a finished run.
    const started = (iso: string | null): number => (iso ? Date.parse(iso) : Number.POSITIVE_INFINITY);
    rows.sort((a, b) => started(a.start_date) - started(b.start_date) || a.task_id.localeCompare(b.task_id) || a.map_index - b.map_index);
    return rows.map((row) => taskInstanceJson(row, run));
  });
}

export interface TaskLog {
  path: string;
  try_number: number;
  content: string;
}

/** The log of one try (default: the latest) of a task instance. */
export async function readTaskLog(
  environment: Environment,
  ids: { dagId: string; runId: string; taskId: string; mapIndex?: number; tryNumber?: number },
): Promise<TaskLog> {
  const mapIndex = ids.mapIndex ?? -1;
  const tryNumber = await withReadDatabase(environment, async (db) => {
    const run = await getDagRun(db, ids.dagId, ids.runId);
    if (!run) throw new UnknownRunError(ids.dagId, ids.runId);
    const ti = await getTaskInstance(db, { dag_id: ids.dagId, run_id: ids.runId, task_id: ids.taskId, map_index: mapIndex });
    if (!ti) throw new UnknownTaskError(ids.dagId, ids.runId, ids.taskId);
    if (ti.try_number < 1) throw new UserInputError(`task "${ids.taskId}" ${whyNoTry(ti.state)}, so it has no log`);
    if (ids.tryNumber !== undefined && (ids.tryNumber < 1 || ids.tryNumber > Math.max(ti.try_number, 1))) {
      throw new UserInputError(`task "${ids.taskId}" has tries 1..${ti.try_number}; there is no try ${ids.tryNumber}`);
    }
    return ids.tryNumber ?? ti.try_number;
  });
  const path = logPath({ dag_id: ids.dagId, run_id: ids.runId, task_id: ids.taskId, map_index: mapIndex, try_number: tryNumber });
  const bytes = await environment.provider.volume().get(path);
  if (!bytes) throw new UserInputError(`no log yet for try ${tryNumber} of task "${ids.taskId}" (${path})`);
  return { path, try_number: tryNumber, content: Buffer.from(bytes).toString('utf8') };
}

/** Why a task instance never started a try, in the words of its state. */
function whyNoTry(state: TaskInstanceState): string {
  switch (state) {
    case 'skipped':
      return 'was skipped (a branch or short-circuit upstream, or its trigger rule)';
    case 'upstream_failed':
      return 'did not run because an upstream task failed (state upstream_failed)';
    case 'removed':
      return 'was removed from the DAG';
    case null:
      return 'has not run yet (no state: its upstream tasks have not finished)';
    default:
      return `has not run yet (state ${state})`;
  }
}
