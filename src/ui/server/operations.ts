/**
 * What clear, mark and backfill requests would change, for the API's dry runs, the UI's confirmations and
 * the selection a real request hands to its `cmd:*`: the service layer's plans (src/service/plans.ts, on the
 * UI's database handle, the same the CLI runs), answered in the API's terms. This adapter checks the DAG
 * exists first (404), turns the service's refusals into Airflow's statuses and words, and adds the run's
 * dates to each task instance (the API's TaskInstanceResponse reports them).
 */
import { listBackfills } from '../../db/queries/backfills.js';
import type { ReprocessBehavior } from '../../db/queries/backfills.js';
import type { DagRunRow } from '../../db/queries/dag-runs.js';
import type { TaskInstanceRow as DbTaskInstanceRow } from '../../db/queries/task-instances.js';
import type { MarkableRunState, MarkableTaskState } from '../../executor/protocol.js';
import { UnknownRunError, UnknownTaskError } from '../../service/errors.js';
import * as plans from '../../service/plans.js';
import type { TaskIdSelector } from './bodies.js';
import { dagRunNotFound, requireDag, type UiContext } from './context.js';
import { HttpError, notFound } from './errors.js';
import type { TaskInstanceRow } from './queries/task-instances.js';

const withRunDates = (run: DagRunRow, tis: readonly DbTaskInstanceRow[]): TaskInstanceRow[] =>
  tis.map((ti) => ({ ...ti, logical_date: run.logical_date, run_after: run.run_after }));

/** Runs a service plan once the DAG is known to exist, answering the service's refusals as the API does. */
async function inApiTerms<T>(ctx: UiContext, dagId: string, runId: string | null, plan: () => Promise<T>): Promise<T> {
  await requireDag(ctx, dagId);
  try {
    return await plan();
  } catch (error) {
    if (error instanceof plans.DagNotParsedError) throw new HttpError(409, `The Dag with ID: \`${dagId}\` has not been parsed yet`);
    if (error instanceof UnknownRunError && runId !== null) throw dagRunNotFound(dagId, runId);
    if (error instanceof plans.PartialMapIndexClearError) {
      throw new HttpError(400, `Clearing some map indexes of task '${error.taskId}' is not supported by airflow-serverless; clear the whole task`);
    }
    // Other UserInputErrors (a task the DAG does not have, a backfill the tick would refuse) answer 400 as they are.
    throw error;
  }
}

export interface ClearPlanRequest {
  dagId: string;
  runId: string | null;
  /** Runs whose logical date (or run_after, without one) is within these bounds. */
  startDate: string | null;
  endDate: string | null;
  tasks: TaskIdSelector[] | null;
  onlyFailed: boolean;
  onlyRunning: boolean;
  includeUpstream: boolean;
  includeDownstream: boolean;
}

/** Airflow's clear selection (`dag.clear` over `partial_subset`), run by run. */
export async function planClear(ctx: UiContext, request: ClearPlanRequest): Promise<Array<Omit<plans.RunClearPlan, 'matched'> & { matched: TaskInstanceRow[] }>> {
  const byRun = request.runId !== null;
  const startDate = byRun || request.startDate === null ? undefined : new Date(request.startDate);
  const endDate = byRun || request.endDate === null ? undefined : new Date(request.endDate);
  const found = await inApiTerms(ctx, request.dagId, request.runId, async () => {
    const selection = { tasks: request.tasks ?? undefined, includeDownstream: request.includeDownstream, includeUpstream: request.includeUpstream };
    if (startDate && endDate && startDate.getTime() > endDate.getTime()) {
      // The API does not refuse a reversed range (the CLI does): it matches no run, once the tasks are checked.
      plans.selectTasks((await plans.dagGraph(ctx.db, request.dagId)).graph, { ...selection, taskIds: selection.tasks?.map((t) => t.task_id) });
      return [];
    }
    return plans.planClear(ctx.db, {
      dagId: request.dagId,
      runId: request.runId ?? undefined,
      startDate,
      endDate,
      ...selection,
      onlyFailed: request.onlyFailed,
      onlyRunning: request.onlyRunning,
    });
  });
  return found.map((plan) => ({ ...plan, matched: withRunDates(plan.run, plan.matched) }));
}

export interface MarkPlan {
  run: DagRunRow;
  /** The task ids the command marks (the task plus the relatives asked for). */
  taskIds: string[];
  /** Task instances whose state changes (those already in the new state are left out), as they are now. */
  changing: TaskInstanceRow[];
  /** Downstream task instances that are failed or upstream_failed: marking clears them (Airflow's rule). */
  cleared: TaskInstanceRow[];
}

/**
 * Airflow's `set_task_instance_state` selection; without a map index, every instance of the task (Airflow's
 * PATCH without `map_index`). `relatives` is the request body's `include_upstream` / `include_downstream`.
 */
export async function planMarkTask(
  ctx: UiContext,
  target: { dagId: string; runId: string; taskId: string; mapIndex: number | null },
  state: MarkableTaskState,
  relatives: { include_upstream: boolean; include_downstream: boolean },
): Promise<MarkPlan> {
  const { dagId, runId, taskId, mapIndex } = target;
  const plan = await inApiTerms(ctx, dagId, runId, async () => {
    try {
      return await plans.planMarkTask(ctx.db, { ...target, state, includeUpstream: relatives.include_upstream, includeDownstream: relatives.include_downstream });
    } catch (error) {
      if (error instanceof UnknownTaskError || error instanceof plans.UnknownMapIndexError) {
        throw notFound(`The Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\`, task_id: \`${taskId}\` and map_index: \`${mapIndex ?? -1}\` was not found`);
      }
      throw error;
    }
  });
  return { ...plan, changing: withRunDates(plan.run, plan.changing), cleared: withRunDates(plan.run, plan.cleared) };
}

/** Airflow's `set_dag_run_state_to_*`: the unfinished task instances a run's new state marks (none for queued). */
export async function planMarkRun(ctx: UiContext, dagId: string, runId: string, state: MarkableRunState): Promise<{ run: DagRunRow; changing: TaskInstanceRow[] }> {
  const { run, changing } = await inApiTerms(ctx, dagId, runId, () => plans.planMarkRun(ctx.db, dagId, runId, state));
  return { run, changing: withRunDates(run, changing) };
}

export interface BackfillPlanRequest {
  dagId: string;
  fromDate: string;
  toDate: string;
  runBackwards: boolean;
  reprocessBehavior: ReprocessBehavior;
}

/**
 * Airflow's backfill dry run: the logical dates that would get a run (created, or an existing finished run
 * reprocessed), in run order. Refuses what the tick would refuse, with the same words (a 400).
 */
export async function planBackfill(ctx: UiContext, request: BackfillPlanRequest): Promise<{ infos: number; dates: string[] }> {
  return inApiTerms(ctx, request.dagId, null, () =>
    plans.planBackfill(ctx.db, ctx.timetableOptions, { ...request, fromDate: new Date(request.fromDate), toDate: new Date(request.toDate) }, ctx.clock.now()),
  );
}

/** Airflow allows one active backfill per DAG (AlreadyRunningBackfill, a 409). */
export async function assertNoActiveBackfill(ctx: UiContext, dagId: string): Promise<void> {
  const [active] = await listBackfills(ctx.db, { dagId, activeOnly: true });
  if (active) throw new HttpError(409, `There is already a running backfill for dag ${dagId} (backfill id ${active.id})`);
}
