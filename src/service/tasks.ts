/** Task instances of a run, and their logs on the volume. */
import type { TaskInstanceState } from '../model.js';
import { getDagRun } from '../db/queries/dag-runs.js';
import { getTaskInstance, listTaskInstancesForRun } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import { dagTaskKeyPrefix, FINAL_STATUSES } from '../executor/protocol.js';
import type { TaskRecord } from '../executor/protocol.js';
import { isTaskRecord, reportCounts } from '../executor/reconcile.js';
import { logPath } from '../volume-layout.js';
import { withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownRunError, UnknownTaskError, UserInputError } from './errors.js';
import type { TaskInstanceJson } from './shapes.js';
import { taskInstanceJson } from './shapes.js';

/** The `note` of a task instance whose shown state is a task's final report the database does not hold yet. */
export const UNRECORDED_REPORT_NOTE = 'reported by the task; the next tick records it';

export interface ListedTaskInstance extends TaskInstanceJson {
  /** Present only when `state` comes from a final report no tick has recorded yet (see UNRECORDED_REPORT_NOTE). */
  note?: string;
}

/**
 * The task instances of a run, with the reports their tasks already wrote to the state dict laid over the
 * database rows, so a finished try does not show `queued` until the next tick.
 */
export async function listRunTasks(environment: Environment, dagId: string, runId: string): Promise<ListedTaskInstance[]> {
  // The dict is read first: a report a tick records in between then shows as recorded, never as queued.
  const reports = await runReports(environment, dagId, runId);
  return withReadDatabase(environment, async (db) => {
    const run = await getDagRun(db, dagId, runId);
    if (!run) throw new UnknownRunError(dagId, runId);
    const rows = await listTaskInstancesForRun(db, dagId, runId);
    const listed = rows.map((row) => withReport(taskInstanceJson(row, run), row, reports.get(reportSlot(row))));
    // In the order they ran (not yet started last), which reads like the DAG for a finished run.
    const started = (iso: string | null): number => (iso ? Date.parse(iso) : Number.POSITIVE_INFINITY);
    listed.sort((a, b) => started(a.start_date) - started(b.start_date) || a.task_id.localeCompare(b.task_id) || a.map_index - b.map_index);
    return listed;
  });
}

const reportSlot = (ti: { task_id: string; map_index: number; try_number: number }): string =>
  `${ti.task_id}\u0000${ti.map_index}\u0000${ti.try_number}`;

/** The run's `task:*` records, by task, map index and try (records carry their identity; keys are not parsed). */
async function runReports(environment: Environment, dagId: string, runId: string): Promise<Map<string, TaskRecord>> {
  const dict = await environment.provider.stateDict();
  const reports = new Map<string, TaskRecord>();
  for (const [, record] of await dict.entries<unknown>(dagTaskKeyPrefix(dagId))) {
    if (!isTaskRecord(record) || record.dag_id !== dagId || record.run_id !== runId) continue;
    reports.set(reportSlot({ ...record, map_index: record.map_index ?? -1 }), record);
  }
  return reports;
}

/** Lays a report over its task instance under the tick's own rule (`reportCounts`); other reports are ignored. */
function withReport(json: TaskInstanceJson, row: TaskInstanceRow, record: TaskRecord | undefined): ListedTaskInstance {
  if (!record || !reportCounts(row, record)) return json;
  if (record.status === 'RUNNING') {
    return { ...json, state: 'running', start_date: record.started_at ?? json.start_date, hostname: record.hostname ?? json.hostname, pid: record.pid ?? json.pid };
  }
  if (!FINAL_STATUSES.has(record.status)) return json;
  const start = record.started_at ?? json.start_date;
  const end = record.ended_at ?? null;
  return {
    ...json,
    // The task's own outcome; whether a failure becomes up_for_retry is the tick's decision, hence the note.
    state: record.status === 'SUCCESS' ? 'success' : record.status === 'SKIPPED' ? 'skipped' : 'failed',
    start_date: start,
    end_date: end,
    duration: start && end ? Math.max(0, (Date.parse(end) - Date.parse(start)) / 1000) : json.duration,
    hostname: record.hostname ?? json.hostname,
    pid: record.pid ?? json.pid,
    note: UNRECORDED_REPORT_NOTE,
  };
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
