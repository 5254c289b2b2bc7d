/**
 * What clear, mark and backfill requests would change, read from the UI's database handle: the dry runs
 * the API answers and the UI's confirmations list, and the selection a real request hands to its `cmd:*`.
 * The selection rules are the service layer's (`selectTasks`, `noCreateReason`, `backfillProblem`: the CLI
 * uses the same); the tick re-applies the state filters when it runs the command.
 *
 * Why not call src/service/operations.ts directly: its functions take a CLI `Environment` (a provider
 * that opens the database and the volume), which the UI server, started with a database handle and a state
 * dict, does not have.
 */
import type { DagSpec } from '../../dag/model.js';
import { listBackfills } from '../../db/queries/backfills.js';
import type { ReprocessBehavior } from '../../db/queries/backfills.js';
import { findDagRunByLogicalDate, listDagRuns, type DagRunRow } from '../../db/queries/dag-runs.js';
import { loadDagSpec } from '../../db/queries/serialized-dags.js';
import { listTaskInstancesForRun } from '../../db/queries/task-instances.js';
import type { MarkableRunState, MarkableTaskState } from '../../executor/protocol.js';
import { isFinished } from '../../model.js';
import { backfillProblem, backfillRunInfos, noCreateReason } from '../../scheduler/backfill.js';
import { allDownstream, graphOf, type DagGraph } from '../../scheduler/dag-graph.js';
import { selectTasks } from '../../service/operations.js';
import { timetableFor } from '../../timetable/index.js';
import type { TaskIdSelector } from './bodies.js';
import { requireDag, requireDagRun, type UiContext } from './context.js';
import { HttpError, notFound } from './errors.js';
import type { TaskInstanceRow } from './queries/task-instances.js';

const inFlight = (ti: { state: string | null }) => ti.state === 'queued' || ti.state === 'running';
const failedish = (ti: { state: string | null }) => ti.state === 'failed' || ti.state === 'upstream_failed';

async function dagGraph(ctx: UiContext, dagId: string): Promise<{ spec: DagSpec; graph: DagGraph }> {
  await requireDag(ctx, dagId);
  const spec = await loadDagSpec(ctx.db, dagId);
  if (!spec) throw new HttpError(409, `The Dag with ID: \`${dagId}\` has not been parsed yet`);
  return { spec, graph: graphOf(spec) };
}

/**
 * A run's task instances with the run's dates (the API's TaskInstanceResponse reports them), in the DAG's
 * task order (upstream first), as a confirmation lists them.
 */
async function runTaskInstances(ctx: UiContext, run: DagRunRow, graph: DagGraph): Promise<TaskInstanceRow[]> {
  const position = (taskId: string) => graph.order.get(taskId) ?? Number.MAX_SAFE_INTEGER;
  return (await listTaskInstancesForRun(ctx.db, run.dag_id, run.run_id))
    .map((ti) => ({ ...ti, logical_date: run.logical_date, run_after: run.run_after }))
    .sort((a, b) => position(a.task_id) - position(b.task_id) || a.task_id.localeCompare(b.task_id) || a.map_index - b.map_index);
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

export interface RunClearPlan {
  run: DagRunRow;
  /** Selected task ids present in the run: the command's `task_ids`. */
  taskIds: string[];
  /** The task instances that will be cleared, as they are now. */
  matched: TaskInstanceRow[];
}

/** Airflow's clear selection (`dag.clear` over `partial_subset`), run by run. */
export async function planClear(ctx: UiContext, request: ClearPlanRequest): Promise<RunClearPlan[]> {
  const { graph } = await dagGraph(ctx, request.dagId);
  const taskIds = selectTasks(graph, {
    taskIds: request.tasks ? [...new Set(request.tasks.map((t) => t.task_id))] : undefined,
    includeDownstream: request.includeDownstream,
    includeUpstream: request.includeUpstream,
  });
  // `[task_id, map_index]` pairs narrow that task to those instances.
  const mapIndexes = new Map<string, Set<number>>();
  for (const selector of request.tasks ?? []) {
    if (selector.map_index !== null) mapIndexes.set(selector.task_id, (mapIndexes.get(selector.task_id) ?? new Set()).add(selector.map_index));
  }
  let runs: DagRunRow[];
  if (request.runId !== null) {
    runs = [await requireDagRun(ctx, request.dagId, request.runId)];
  } else {
    const from = request.startDate === null ? Number.NEGATIVE_INFINITY : Date.parse(request.startDate);
    const to = request.endDate === null ? Number.POSITIVE_INFINITY : Date.parse(request.endDate);
    runs = (await listDagRuns(ctx.db, { dagId: request.dagId })).filter((run) => {
      const at = Date.parse(run.logical_date ?? run.run_after);
      return at >= from && at <= to;
    });
  }
  const plans: RunClearPlan[] = [];
  for (const run of runs) {
    const tis = (await runTaskInstances(ctx, run, graph)).filter((ti) => taskIds.has(ti.task_id));
    const matched = tis.filter(
      (ti) =>
        (!mapIndexes.has(ti.task_id) || mapIndexes.get(ti.task_id)!.has(ti.map_index)) &&
        (!request.onlyFailed || failedish(ti)) &&
        (!request.onlyRunning || inFlight(ti)),
    );
    if (matched.length === 0) continue;
    // A `clear` command clears whole tasks: narrowing one to some of its map indexes cannot be honoured.
    for (const [taskId, indexes] of mapIndexes) {
      if (tis.some((ti) => ti.task_id === taskId && !indexes.has(ti.map_index))) {
        throw new HttpError(400, `Clearing some map indexes of task '${taskId}' is not supported by airflow-serverless; clear the whole task`);
      }
    }
    plans.push({ run, taskIds: [...new Set(tis.map((ti) => ti.task_id))], matched });
  }
  return plans;
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

/** Airflow's `set_task_instance_state` selection. */
export async function planMarkTask(
  ctx: UiContext,
  request: { dagId: string; runId: string; taskId: string; mapIndex: number | null; state: MarkableTaskState; includeUpstream: boolean; includeDownstream: boolean },
): Promise<MarkPlan> {
  const { graph } = await dagGraph(ctx, request.dagId);
  const run = await requireDagRun(ctx, request.dagId, request.runId);
  const tis = await runTaskInstances(ctx, run, graph);
  // Without a map index, every instance of the task is marked (Airflow's PATCH without `map_index`).
  const own = tis.filter((ti) => ti.task_id === request.taskId && (request.mapIndex === null || ti.map_index === request.mapIndex));
  if (own.length === 0) {
    throw notFound(
      `The Task Instance with dag_id: \`${request.dagId}\`, run_id: \`${request.runId}\`, task_id: \`${request.taskId}\` and map_index: \`${request.mapIndex ?? -1}\` was not found`,
    );
  }
  const taskIds = selectTasks(graph, { taskIds: [request.taskId], includeDownstream: request.includeDownstream, includeUpstream: request.includeUpstream });
  const selected = tis.filter((ti) => taskIds.has(ti.task_id) && (ti.task_id !== request.taskId || request.mapIndex === null || ti.map_index === request.mapIndex));
  const downstream = new Set<string>();
  for (const id of taskIds) for (const d of allDownstream(graph, id)) if (!taskIds.has(d)) downstream.add(d);
  return {
    run,
    taskIds: [...taskIds],
    changing: selected.filter((ti) => ti.state !== request.state),
    cleared: tis.filter((ti) => downstream.has(ti.task_id) && failedish(ti)),
  };
}

/** Airflow's `set_dag_run_state_to_*`: the unfinished task instances a run's new state marks (none for queued). */
export async function planMarkRun(ctx: UiContext, dagId: string, runId: string, state: MarkableRunState): Promise<{ run: DagRunRow; changing: TaskInstanceRow[] }> {
  const { graph } = await dagGraph(ctx, dagId);
  const run = await requireDagRun(ctx, dagId, runId);
  const changing = state === 'queued' ? [] : (await runTaskInstances(ctx, run, graph)).filter((ti) => !isFinished(ti.state));
  return { run, changing };
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
 * reprocessed), in run order. Refuses what the tick would refuse, with the same words.
 */
export async function planBackfill(ctx: UiContext, request: BackfillPlanRequest): Promise<{ infos: number; dates: string[] }> {
  const { spec } = await dagGraph(ctx, request.dagId);
  const timetable = timetableFor(spec.schedule, spec.timezone, ctx.timetableOptions);
  const range = { from: new Date(request.fromDate), to: new Date(request.toDate), reverse: request.runBackwards };
  const now = ctx.clock.now();
  const problem = backfillProblem(spec, timetable, range, request.reprocessBehavior, now);
  if (problem) throw new HttpError(400, problem);
  const infos = backfillRunInfos(timetable, range, now);
  const dates: string[] = [];
  for (const info of infos) {
    const existing = await findDagRunByLogicalDate(ctx.db, request.dagId, info.logical_date.toISOString());
    if (!existing || noCreateReason(existing.state, request.reprocessBehavior) === null) dates.push(info.logical_date.toISOString());
  }
  return { infos: infos.length, dates };
}

/** Airflow allows one active backfill per DAG (AlreadyRunningBackfill, a 409). */
export async function assertNoActiveBackfill(ctx: UiContext, dagId: string): Promise<void> {
  const [active] = await listBackfills(ctx.db, { dagId, activeOnly: true });
  if (active) throw new HttpError(409, `There is already a running backfill for dag ${dagId} (backfill id ${active.id})`);
}

