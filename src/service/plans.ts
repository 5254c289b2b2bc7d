/**
 * What a clear, a mark or a backfill would change, read from a database handle: the dry runs, and the
 * selection a real request hands to its `cmd:*` command (the tick re-applies the state filters when it runs
 * it). The CLI's operations (operations.ts, backfills.ts) are these plus an environment; the UI server, which
 * holds a database handle rather than an environment, can call them as they are.
 *
 * Signatures:
 *   selectTasks(graph, { taskIds?, taskRegex?, includeDownstream?, includeUpstream? }): Set<string>
 *   planClear(db, request: ClearPlanRequest): Promise<RunClearPlan[]>
 *   planMarkTask(db, request: MarkTaskPlanRequest): Promise<MarkPlan>
 *   planMarkRun(db, dagId, runId, state): Promise<{ run, changing }>
 *   planBackfill(db, timetableOptions, request: BackfillPlanRequest, now): Promise<{ infos, dates }>
 * They throw DagNotParsedError, UnknownRunError, UnknownTaskError, UnknownMapIndexError, PartialMapIndexClearError
 * or UserInputError (one line each; all are UserInputErrors).
 */
import type { DagSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import type { ReprocessBehavior } from '../db/queries/backfills.js';
import { findDagRunByLogicalDate, getDagRun, listDagRuns } from '../db/queries/dag-runs.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import { listTaskInstancesForRun } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { MarkableRunState, MarkableTaskState } from '../executor/protocol.js';
import { isFinished } from '../model.js';
import { backfillProblem, backfillRunInfos, noCreateReason } from '../scheduler/backfill.js';
import { allDownstream, graphOf } from '../scheduler/dag-graph.js';
import type { DagGraph } from '../scheduler/dag-graph.js';
import { timetableFor } from '../timetable/index.js';
import type { TimetableOptions } from '../timetable/index.js';
import { UnknownRunError, UnknownTaskError, UserInputError } from './errors.js';

/** The DAG has no serialized version: no tick has parsed it (it may still be unknown altogether). */
export class DagNotParsedError extends UserInputError {
  constructor(readonly dagId: string) {
    super(`DAG "${dagId}" has not been parsed by a tick yet, so it has no runs`);
    this.name = 'DagNotParsedError';
  }
}

/** A clear narrowed a task to some of its map indexes, which a `clear` command (whole tasks) cannot honour. */
export class PartialMapIndexClearError extends UserInputError {
  constructor(readonly taskId: string) {
    super(`clearing some map indexes of task "${taskId}" is not supported; clear the whole task`);
    this.name = 'PartialMapIndexClearError';
  }
}

/** A mark named a map index the task has no instance for in the run. */
export class UnknownMapIndexError extends UserInputError {
  constructor(runId: string, taskId: string, mapIndex: number) {
    super(`task "${taskId}" of run "${runId}" has no map index ${mapIndex}`);
    this.name = 'UnknownMapIndexError';
  }
}

export async function dagGraph(db: Queryable, dagId: string): Promise<{ spec: DagSpec; graph: DagGraph }> {
  const spec = await loadDagSpec(db, dagId);
  if (!spec) throw new DagNotParsedError(dagId);
  return { spec, graph: graphOf(spec) };
}

function relatives(graph: DagGraph, ids: Iterable<string>, direction: 'upstream' | 'downstream'): Set<string> {
  const edges = direction === 'upstream' ? graph.upstream : graph.downstream;
  const seen = new Set<string>();
  const stack = [...ids];
  while (stack.length > 0) {
    for (const next of edges.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** Airflow's `partial_subset`: the selected tasks plus, when asked, their upstream and downstream tasks. */
export function selectTasks(
  graph: DagGraph,
  request: { taskIds?: readonly string[] | undefined; taskRegex?: string | undefined; includeDownstream?: boolean | undefined; includeUpstream?: boolean | undefined },
): Set<string> {
  let regex: RegExp | null = null;
  if (request.taskRegex !== undefined) {
    try {
      regex = new RegExp(request.taskRegex);
    } catch (error) {
      throw new UserInputError(`--task-regex "${request.taskRegex}" is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  for (const id of request.taskIds ?? []) if (!graph.tasks.has(id)) throw new UserInputError(`the DAG has no task "${id}"`);
  const picked = new Set(
    [...graph.tasks.keys()].filter((id) => (request.taskIds === undefined || request.taskIds.includes(id)) && (regex === null || regex.test(id))),
  );
  const base = [...picked];
  if (request.includeDownstream) for (const id of relatives(graph, base, 'downstream')) picked.add(id);
  if (request.includeUpstream) for (const id of relatives(graph, base, 'upstream')) picked.add(id);
  return picked;
}

const inFlight = (ti: { state: string | null }) => ti.state === 'queued' || ti.state === 'running';
const failedish = (ti: { state: string | null }) => ti.state === 'failed' || ti.state === 'upstream_failed';

/** A run's task instances in the DAG's task order (upstream first), as a confirmation lists them. */
async function runTaskInstances(db: Queryable, run: DagRunRow, graph: DagGraph): Promise<TaskInstanceRow[]> {
  const position = (taskId: string) => graph.order.get(taskId) ?? Number.MAX_SAFE_INTEGER;
  return (await listTaskInstancesForRun(db, run.dag_id, run.run_id)).sort(
    (a, b) => position(a.task_id) - position(b.task_id) || a.task_id.localeCompare(b.task_id) || a.map_index - b.map_index,
  );
}

async function requireRun(db: Queryable, dagId: string, runId: string): Promise<DagRunRow> {
  const run = await getDagRun(db, dagId, runId);
  if (!run) throw new UnknownRunError(dagId, runId);
  return run;
}

export interface ClearPlanRequest {
  dagId: string;
  /** One run; otherwise every run whose logical date (or run_after, without one) is within the bounds. */
  runId?: string | undefined;
  startDate?: Date | undefined;
  endDate?: Date | undefined;
  /** Tasks by id; a non-null `map_index` narrows that task to those instances. Default: every task. */
  tasks?: ReadonlyArray<{ task_id: string; map_index: number | null }> | undefined;
  /** Tasks whose id the pattern matches anywhere (re.search); combined with `tasks` when both are given. */
  taskRegex?: string | undefined;
  onlyFailed?: boolean | undefined;
  onlyRunning?: boolean | undefined;
  includeDownstream?: boolean | undefined;
  includeUpstream?: boolean | undefined;
}

export interface RunClearPlan {
  run: DagRunRow;
  /** Selected task ids present in the run: the command's `task_ids`. */
  taskIds: string[];
  /** The task instances that will be cleared, as they are now. */
  matched: TaskInstanceRow[];
}

/** Airflow's clear selection (`dag.clear` over `partial_subset`), run by run; runs with nothing to clear are left out. */
export async function planClear(db: Queryable, request: ClearPlanRequest): Promise<RunClearPlan[]> {
  if (request.startDate && request.endDate && request.startDate.getTime() > request.endDate.getTime()) {
    throw new UserInputError('the start date must not be after the end date');
  }
  const { graph } = await dagGraph(db, request.dagId);
  const taskIds = selectTasks(graph, {
    taskIds: request.tasks ? [...new Set(request.tasks.map((t) => t.task_id))] : undefined,
    taskRegex: request.taskRegex,
    includeDownstream: request.includeDownstream,
    includeUpstream: request.includeUpstream,
  });
  const mapIndexes = new Map<string, Set<number>>();
  for (const selector of request.tasks ?? []) {
    if (selector.map_index !== null) mapIndexes.set(selector.task_id, (mapIndexes.get(selector.task_id) ?? new Set()).add(selector.map_index));
  }
  let runs: DagRunRow[];
  if (request.runId !== undefined) {
    runs = [await requireRun(db, request.dagId, request.runId)];
  } else {
    const from = request.startDate?.getTime() ?? Number.NEGATIVE_INFINITY;
    const to = request.endDate?.getTime() ?? Number.POSITIVE_INFINITY;
    runs = (await listDagRuns(db, { dagId: request.dagId })).filter((run) => {
      const at = Date.parse(run.logical_date ?? run.run_after);
      return at >= from && at <= to;
    });
  }
  const plans: RunClearPlan[] = [];
  for (const run of runs) {
    const tis = (await runTaskInstances(db, run, graph)).filter((ti) => taskIds.has(ti.task_id));
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
        throw new PartialMapIndexClearError(taskId);
      }
    }
    plans.push({ run, taskIds: [...new Set(tis.map((ti) => ti.task_id))], matched });
  }
  return plans;
}

export interface MarkTaskPlanRequest {
  dagId: string;
  runId: string;
  taskId: string;
  /** Only this mapped instance; null or absent: every instance of the task. */
  mapIndex?: number | null | undefined;
  state: MarkableTaskState;
  includeUpstream?: boolean | undefined;
  includeDownstream?: boolean | undefined;
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
export async function planMarkTask(db: Queryable, request: MarkTaskPlanRequest): Promise<MarkPlan> {
  const { graph } = await dagGraph(db, request.dagId);
  const run = await requireRun(db, request.dagId, request.runId);
  const tis = await runTaskInstances(db, run, graph);
  const mapIndex = request.mapIndex ?? null;
  const own = tis.filter((ti) => ti.task_id === request.taskId);
  if (own.length === 0) throw new UnknownTaskError(request.dagId, request.runId, request.taskId);
  if (mapIndex !== null && !own.some((ti) => ti.map_index === mapIndex)) {
    throw new UnknownMapIndexError(request.runId, request.taskId, mapIndex);
  }
  const taskIds = selectTasks(graph, { taskIds: [request.taskId], includeDownstream: request.includeDownstream, includeUpstream: request.includeUpstream });
  const selected = tis.filter((ti) => taskIds.has(ti.task_id) && (ti.task_id !== request.taskId || mapIndex === null || ti.map_index === mapIndex));
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
export async function planMarkRun(db: Queryable, dagId: string, runId: string, state: MarkableRunState): Promise<{ run: DagRunRow; changing: TaskInstanceRow[] }> {
  const { graph } = await dagGraph(db, dagId);
  const run = await requireRun(db, dagId, runId);
  const changing = state === 'queued' ? [] : (await runTaskInstances(db, run, graph)).filter((ti) => !isFinished(ti.state));
  return { run, changing };
}

export interface BackfillPlanRequest {
  dagId: string;
  fromDate: Date;
  toDate: Date;
  runBackwards: boolean;
  reprocessBehavior: ReprocessBehavior;
}

/**
 * Airflow's backfill dry run (`_do_dry_run`): refuses what the tick would refuse, with the same words, and
 * answers how many dates the timetable has in the range and which would get a run (created, or an existing
 * finished run reprocessed), in run order.
 */
export async function planBackfill(db: Queryable, timetableOptions: TimetableOptions, request: BackfillPlanRequest, now: Date): Promise<{ infos: number; dates: string[] }> {
  const { spec } = await dagGraph(db, request.dagId);
  const timetable = timetableFor(spec.schedule, spec.timezone, timetableOptions);
  const range = { from: request.fromDate, to: request.toDate, reverse: request.runBackwards };
  const problem = backfillProblem(spec, timetable, range, request.reprocessBehavior, now);
  if (problem) throw new UserInputError(problem);
  const infos = backfillRunInfos(timetable, range, now);
  const dates: string[] = [];
  for (const info of infos) {
    const existing = await findDagRunByLogicalDate(db, request.dagId, info.logical_date.toISOString());
    if (!existing || noCreateReason(existing.state, request.reprocessBehavior) === null) dates.push(info.logical_date.toISOString());
  }
  return { infos: infos.length, dates };
}
