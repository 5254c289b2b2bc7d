/**
 * Clear and mark, as Airflow's CLI and REST API have them; the CLI (`tasks clear`, `runs clear`,
 * `tasks set-state`, `runs set-state`) and the REST API/UI call these same functions. A dry run reads the
 * database and answers exactly what would change; a real call queues `clear`/`set_state` commands (one per
 * run) that the next tick applies under the same rules (scheduler/commands.ts), so nothing here writes to
 * the database.
 *
 * Signatures:
 *   clearTaskInstances(environment, request: ClearRequest): Promise<ClearResult>
 *   clearRun(environment, { dagId, runId, onlyFailed?, dryRun?, by? }): Promise<ClearResult>
 *   setTaskInstanceState(environment, request: SetTaskStateRequest): Promise<SetTaskStateResult>
 *   setRunState(environment, request: SetRunStateRequest): Promise<SetRunStateResult>
 */
import type { DagSpec } from '../dag/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { getDagRun, listDagRuns } from '../db/queries/dag-runs.js';
import { getDag } from '../db/queries/dags.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import { listTaskInstancesForRun } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import { MARKABLE_RUN_STATES, MARKABLE_TASK_STATES } from '../executor/protocol.js';
import type { Command, MarkableRunState, MarkableTaskState } from '../executor/protocol.js';
import { isFinished } from '../model.js';
import { allDownstream, graphOf } from '../scheduler/dag-graph.js';
import type { DagGraph } from '../scheduler/dag-graph.js';
import type { CommandBody } from './commands.js';
import { pendingCommands, pendingPauseStates, queueCommands } from './commands.js';
import { assertDagExists } from './dags.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownRunError, UnknownTaskError, UserInputError } from './errors.js';
import type { DagRunJson, TaskInstanceJson } from './shapes.js';
import { dagRunJson, taskInstanceJson } from './shapes.js';

type Requester = Command['by'];

export interface ClearRequest {
  dagId: string;
  /** One run; otherwise every run whose logical date (or run_after) is within startDate..endDate. */
  runId?: string;
  startDate?: Date;
  endDate?: Date;
  /** Exact task ids (the REST API's `task_ids`); combined with taskRegex when both are given. */
  taskIds?: readonly string[];
  /** Airflow's `--task-regex`: tasks whose id the pattern matches anywhere (re.search). */
  taskRegex?: string;
  onlyFailed?: boolean;
  onlyRunning?: boolean;
  /** Also every task downstream / upstream of the selected ones (transitively). */
  includeDownstream?: boolean;
  includeUpstream?: boolean;
  dryRun?: boolean;
  by?: Requester;
}

export interface ClearResult {
  dry_run: boolean;
  /** The task instances cleared (or that a real call would clear), as they are now. */
  task_instances: TaskInstanceJson[];
  /** The runs they belong to; each goes back to queued. */
  dag_run_ids: string[];
  /** One `clear` command per run; empty for a dry run. */
  command_ids: string[];
  /** The DAG is paused: its cleared runs stay queued until it is unpaused (backfill runs excepted). */
  dag_is_paused: boolean;
}

/** The DAG's parsed spec and graph, as the last tick stored it. */
async function dagGraph(environment: Environment, db: DatabaseBackend, dagId: string): Promise<{ spec: DagSpec; graph: DagGraph }> {
  const spec = await loadDagSpec(db, dagId);
  if (!spec) {
    await assertDagExists(environment, dagId);
    throw new UserInputError(`DAG "${dagId}" has not been parsed by a tick yet, so it has no runs`);
  }
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
  request: Pick<ClearRequest, 'taskIds' | 'taskRegex' | 'includeDownstream' | 'includeUpstream'>,
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
  const all = [...graph.tasks.keys()];
  const picked = new Set(
    all.filter((id) => (request.taskIds === undefined || request.taskIds.includes(id)) && (regex === null || regex.test(id))),
  );
  const base = [...picked];
  if (request.includeDownstream) for (const id of relatives(graph, base, 'downstream')) picked.add(id);
  if (request.includeUpstream) for (const id of relatives(graph, base, 'upstream')) picked.add(id);
  return picked;
}

const inFlight = (ti: TaskInstanceRow) => ti.state === 'queued' || ti.state === 'running';
const failedish = (ti: TaskInstanceRow) => ti.state === 'failed' || ti.state === 'upstream_failed';

async function runsToClear(db: DatabaseBackend, request: ClearRequest): Promise<DagRunRow[]> {
  if (request.runId !== undefined) {
    const run = await getDagRun(db, request.dagId, request.runId);
    if (!run) throw new UnknownRunError(request.dagId, request.runId);
    return [run];
  }
  const from = request.startDate?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = request.endDate?.getTime() ?? Number.POSITIVE_INFINITY;
  return (await listDagRuns(db, { dagId: request.dagId })).filter((run) => {
    const at = Date.parse(run.logical_date ?? run.run_after);
    return at >= from && at <= to;
  });
}

export async function clearTaskInstances(environment: Environment, request: ClearRequest): Promise<ClearResult> {
  if (request.startDate && request.endDate && request.startDate.getTime() > request.endDate.getTime()) {
    throw new UserInputError('--start-date must not be after --end-date');
  }
  const planned = await withReadDatabase(environment, async (db) => {
    const { graph } = await dagGraph(environment, db, request.dagId);
    const paused = (await getDag(db, request.dagId))?.is_paused ?? false;
    const taskIds = selectTasks(graph, request);
    const perRun: Array<{ run: DagRunRow; present: string[]; matched: TaskInstanceRow[] }> = [];
    for (const run of await runsToClear(db, request)) {
      const tis = (await listTaskInstancesForRun(db, run.dag_id, run.run_id)).filter((ti) => taskIds.has(ti.task_id));
      const matched = tis.filter((ti) => (!request.onlyFailed || failedish(ti)) && (!request.onlyRunning || inFlight(ti)));
      if (matched.length > 0) perRun.push({ run, present: [...new Set(tis.map((ti) => ti.task_id))], matched });
    }
    return { perRun, paused };
  }).catch(noDatabaseMeansNoRuns(request.dagId));
  const { perRun: plan } = planned;
  const result: ClearResult = {
    dry_run: request.dryRun === true,
    task_instances: plan.flatMap(({ run, matched }) => matched.map((ti) => taskInstanceJson(ti, run))),
    dag_run_ids: plan.map(({ run }) => run.run_id),
    command_ids: [],
    // A pause or unpause still waiting for its tick decides, as for a trigger.
    dag_is_paused: pendingPauseStates(await pendingCommands(await environment.provider.stateDict())).get(request.dagId) ?? planned.paused,
  };
  if (request.dryRun || plan.length === 0) return result;
  const bodies: CommandBody[] = plan.map(({ run, present }) => ({
    kind: 'clear',
    dag_id: request.dagId,
    run_id: run.run_id,
    // The tick re-applies the state filters to these tasks as they are when it runs.
    task_ids: present,
    only_failed: request.onlyFailed === true,
    only_running: request.onlyRunning === true,
  }));
  result.command_ids = await queueCommands(environment, bodies, request.by);
  return result;
}

function noDatabaseMeansNoRuns(dagId: string) {
  return (error: unknown): never => {
    if (error instanceof NoDatabaseYetError) throw new UserInputError(`DAG "${dagId}" has no runs yet (no tick has run)`);
    throw error;
  };
}

/** Airflow's `POST .../dagRuns/{run_id}/clear` and `runs clear`: every task (or only the failed ones) of one run. */
export async function clearRun(
  environment: Environment,
  request: { dagId: string; runId: string; onlyFailed?: boolean; dryRun?: boolean; by?: Requester },
): Promise<ClearResult> {
  return clearTaskInstances(environment, request);
}

export interface SetTaskStateRequest {
  dagId: string;
  runId: string;
  taskId: string;
  /** Only this mapped instance of the task; default every instance (an unmapped task has map index -1). */
  mapIndex?: number;
  state: MarkableTaskState;
  includeDownstream?: boolean;
  includeUpstream?: boolean;
  dryRun?: boolean;
  by?: Requester;
}

export interface SetTaskStateResult {
  dry_run: boolean;
  /** The task instances that change state (those already in it are left out), as they are now. */
  task_instances: TaskInstanceJson[];
  /** Downstream task instances that are failed or upstream_failed: marking clears them so they run again. */
  cleared: TaskInstanceJson[];
  command_id: string | null;
}

export function parseTaskState(state: string): MarkableTaskState {
  if (!(MARKABLE_TASK_STATES as readonly string[]).includes(state)) {
    throw new UserInputError(`cannot set a task instance to "${state}"; use one of ${MARKABLE_TASK_STATES.join(', ')}`);
  }
  return state as MarkableTaskState;
}

export function parseMarkableRunState(state: string): MarkableRunState {
  if (!(MARKABLE_RUN_STATES as readonly string[]).includes(state)) {
    throw new UserInputError(`cannot set a DAG run to "${state}"; use one of ${MARKABLE_RUN_STATES.join(', ')}`);
  }
  return state as MarkableRunState;
}

/** Airflow's `set_task_instance_state` (PATCH taskInstances `new_state`, `tasks set-state`). */
export async function setTaskInstanceState(environment: Environment, request: SetTaskStateRequest): Promise<SetTaskStateResult> {
  const state = parseTaskState(request.state);
  const plan = await withReadDatabase(environment, async (db) => {
    const { graph } = await dagGraph(environment, db, request.dagId);
    const run = await getDagRun(db, request.dagId, request.runId);
    if (!run) throw new UnknownRunError(request.dagId, request.runId);
    const tis = await listTaskInstancesForRun(db, run.dag_id, run.run_id);
    const own = tis.filter((ti) => ti.task_id === request.taskId);
    if (own.length === 0) throw new UnknownTaskError(request.dagId, request.runId, request.taskId);
    if (request.mapIndex !== undefined && !own.some((ti) => ti.map_index === request.mapIndex)) {
      throw new UserInputError(`task "${request.taskId}" of run "${request.runId}" has no map index ${request.mapIndex}`);
    }
    const taskIds = selectTasks(graph, { taskIds: [request.taskId], includeDownstream: request.includeDownstream, includeUpstream: request.includeUpstream });
    const selected = tis.filter(
      (ti) => taskIds.has(ti.task_id) && (ti.task_id !== request.taskId || request.mapIndex === undefined || ti.map_index === request.mapIndex),
    );
    const downstream = new Set<string>();
    for (const id of taskIds) for (const d of allDownstream(graph, id)) if (!taskIds.has(d)) downstream.add(d);
    return {
      run,
      ids: [...taskIds],
      changing: selected.filter((ti) => ti.state !== state),
      cleared: tis.filter((ti) => downstream.has(ti.task_id) && failedish(ti)),
    };
  }).catch(noDatabaseMeansNoRuns(request.dagId));
  const result: SetTaskStateResult = {
    dry_run: request.dryRun === true,
    task_instances: plan.changing.map((ti) => taskInstanceJson(ti, plan.run)),
    cleared: plan.cleared.map((ti) => taskInstanceJson(ti, plan.run)),
    command_id: null,
  };
  if (request.dryRun) return result;
  const [id] = await queueCommands(
    environment,
    [
      {
        kind: 'set_state',
        dag_id: request.dagId,
        run_id: request.runId,
        task_ids: plan.ids,
        ...(request.mapIndex !== undefined ? { map_indexes: { [request.taskId]: request.mapIndex } } : {}),
        state,
      },
    ],
    request.by,
  );
  result.command_id = id ?? null;
  return result;
}

export interface SetRunStateRequest {
  dagId: string;
  runId: string;
  state: MarkableRunState;
  dryRun?: boolean;
  by?: Requester;
}

export interface SetRunStateResult {
  dry_run: boolean;
  /** The run as it is now (the tick applies the change). */
  dag_run: DagRunJson;
  /** Task instances the change marks: unfinished ones for success/failed, none for queued. */
  task_instances: TaskInstanceJson[];
  command_id: string | null;
}

/** Airflow's `set_dag_run_state_to_success|failed|queued` (PATCH dagRuns `state`, `runs set-state`). */
export async function setRunState(environment: Environment, request: SetRunStateRequest): Promise<SetRunStateResult> {
  const state = parseMarkableRunState(request.state);
  const plan = await withReadDatabase(environment, async (db) => {
    const run = await getDagRun(db, request.dagId, request.runId);
    if (!run) {
      await assertDagExists(environment, request.dagId);
      throw new UnknownRunError(request.dagId, request.runId);
    }
    const tis = state === 'queued' ? [] : (await listTaskInstancesForRun(db, run.dag_id, run.run_id)).filter((ti) => !isFinished(ti.state));
    return { run, tis };
  }).catch(noDatabaseMeansNoRuns(request.dagId));
  const result: SetRunStateResult = {
    dry_run: request.dryRun === true,
    dag_run: dagRunJson(plan.run),
    task_instances: plan.tis.map((ti) => taskInstanceJson(ti, plan.run)),
    command_id: null,
  };
  if (request.dryRun) return result;
  const [id] = await queueCommands(environment, [{ kind: 'set_state', dag_id: request.dagId, run_id: request.runId, task_ids: null, state }], request.by);
  result.command_id = id ?? null;
  return result;
}
