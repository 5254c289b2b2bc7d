/**
 * Recording how a try ended, shared by report reconciliation, zombie detection, queued timeouts and
 * `set_state`: the task instance's new state (with retry timing), one `task_instance_history` row, and the
 * skips a branch or short-circuit asks for. Every write is conditioned on the task instance still being in
 * the try it reports, so replaying the same report is a no-op.
 */
import type { TaskSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { insertTaskInstanceHistory } from '../db/queries/task-instance-history.js';
import { listTaskInstancesForRun, updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { TaskInstanceState } from '../model.js';
import { allDownstream, unfollowedBranches } from './dag-graph.js';
import type { DagGraph } from './dag-graph.js';
import { isEligibleToRetry, nextRetryAt } from './retry.js';

export type TryResult = 'success' | 'failed' | 'skipped';

export interface TryOutcome {
  result: TryResult;
  start_date: string | null;
  end_date: string;
  hostname?: string | null;
  pid?: number | null;
  external_executor_id?: string | null;
  error?: string | null;
  /** The failure must not be retried (Airflow's AirflowFailException). */
  no_retry?: boolean;
  /** Branch operators: the direct downstream task ids to follow. */
  follow_task_ids?: readonly string[];
  short_circuit?: 'all_downstream' | 'direct_downstream';
}

/** States a try can be reported from: the tick only finishes a try it handed out. */
export const IN_FLIGHT_STATES: readonly TaskInstanceState[] = ['queued', 'running'];

function seconds(start: string | null, end: string): number | null {
  return start ? Math.max(0, (Date.parse(end) - Date.parse(start)) / 1000) : null;
}

/**
 * Applies a finished try to its task instance. Returns the state written, or null when the task instance
 * had already moved on (the report is stale; nothing changed).
 */
export async function recordTryOutcome(
  tx: Queryable,
  args: {
    ti: TaskInstanceRow;
    task: TaskSpec | undefined;
    run: DagRunRow;
    graph: DagGraph | undefined;
    outcome: TryOutcome;
    now: string;
    /** Which states the try may be finished from (default: queued or running). */
    fromStates?: readonly TaskInstanceState[];
  },
): Promise<TaskInstanceState> {
  const { ti, task, run, outcome, now } = args;
  const start = outcome.start_date ?? ti.start_date;
  let state: TaskInstanceState = outcome.result;
  let retryAt: string | null = null;
  if (outcome.result === 'failed' && !outcome.no_retry && task && isEligibleToRetry(task.retries, ti.try_number, ti.max_tries)) {
    state = 'up_for_retry';
    retryAt = nextRetryAt(new Date(outcome.end_date), task, {
      dag_id: ti.dag_id,
      task_id: ti.task_id,
      logical_date: run.logical_date ? new Date(run.logical_date) : null,
      try_number: ti.try_number,
    }).toISOString();
  }
  const changed = await updateTaskInstance(
    tx,
    ti.id,
    {
      state,
      start_date: start,
      end_date: outcome.end_date,
      duration: seconds(start, outcome.end_date),
      next_retry_at: retryAt,
      hostname: outcome.hostname ?? ti.hostname,
      pid: outcome.pid ?? ti.pid,
      external_executor_id: outcome.external_executor_id ?? ti.external_executor_id,
      updated_at: now,
    },
    { states: args.fromStates ?? IN_FLIGHT_STATES, tryNumber: ti.try_number },
  );
  if (!changed) return null;

  await insertTaskInstanceHistory(tx, {
    task_instance_id: ti.id,
    dag_id: ti.dag_id,
    task_id: ti.task_id,
    run_id: ti.run_id,
    map_index: ti.map_index,
    try_number: ti.try_number,
    start_date: start,
    end_date: outcome.end_date,
    duration: seconds(start, outcome.end_date),
    state: outcome.result,
    max_tries: ti.max_tries,
    hostname: outcome.hostname ?? ti.hostname,
    operator: ti.operator,
    external_executor_id: outcome.external_executor_id ?? ti.external_executor_id,
    error: outcome.error ?? null,
  });

  if (outcome.result === 'success' && args.graph) {
    const skip = new Set<string>();
    if (outcome.follow_task_ids) for (const id of unfollowedBranches(args.graph, ti.task_id, outcome.follow_task_ids)) skip.add(id);
    if (outcome.short_circuit === 'all_downstream') for (const id of allDownstream(args.graph, ti.task_id)) skip.add(id);
    if (outcome.short_circuit === 'direct_downstream') for (const id of args.graph.downstream.get(ti.task_id) ?? []) skip.add(id);
    if (skip.size > 0) await skipTasks(tx, run, skip, now);
  }
  return state;
}

/** Sets not-yet-started task instances of a run to skipped (Airflow's SkipMixin). */
export async function skipTasks(tx: Queryable, run: Pick<DagRunRow, 'dag_id' | 'run_id'>, taskIds: ReadonlySet<string>, now: string): Promise<number> {
  let skipped = 0;
  for (const ti of await listTaskInstancesForRun(tx, run.dag_id, run.run_id)) {
    if (!taskIds.has(ti.task_id)) continue;
    const changed = await updateTaskInstance(
      tx,
      ti.id,
      { state: 'skipped', start_date: now, end_date: now, duration: 0, updated_at: now },
      { states: [null, 'scheduled'] },
    );
    if (changed) skipped++;
  }
  return skipped;
}
