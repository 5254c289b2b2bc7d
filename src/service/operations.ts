/**
 * Clear and mark, as Airflow's CLI and REST API have them; the CLI (`tasks clear`, `runs clear`,
 * `tasks set-state`, `runs set-state`) and the REST API/UI call these same functions. A dry run reads the
 * database and answers exactly what would change; a real call queues `clear`/`set_state` commands (one per
 * run) that the next tick applies under the same rules (scheduler/commands.ts), so nothing here writes to
 * the database.
 *
 * The reading half (what would change) is plans.ts, on a bare database handle; these add the environment
 * and the commands.
 *
 * Signatures:
 *   clearTaskInstances(environment, request: ClearRequest): Promise<ClearResult>
 *   clearRun(environment, { dagId, runId, onlyFailed?, dryRun?, by? }): Promise<ClearResult>
 *   setTaskInstanceState(environment, request: SetTaskStateRequest): Promise<SetTaskStateResult>
 *   setRunState(environment, request: SetRunStateRequest): Promise<SetRunStateResult>
 */
import { getDag } from '../db/queries/dags.js';
import { MARKABLE_RUN_STATES, MARKABLE_TASK_STATES } from '../executor/protocol.js';
import type { Command, MarkableRunState, MarkableTaskState } from '../executor/protocol.js';
import type { CommandBody } from './commands.js';
import { pendingCommands, pendingPauseStates, queueCommands } from './commands.js';
import { assertDagExists } from './dags.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';
import { DagNotParsedError, planClear, planMarkRun, planMarkTask } from './plans.js';
import type { DagRunJson, TaskInstanceJson } from './shapes.js';
import { dagRunJson, taskInstanceJson } from './shapes.js';

/** Task selection lives with the planners (plans.ts); re-exported for callers that import it from here. */
export { selectTasks } from './plans.js';

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

/** A DAG no tick has parsed: unknown altogether (one line saying so), or just not parsed yet. */
function explainUnparsed(environment: Environment) {
  return async (error: unknown): Promise<never> => {
    if (error instanceof DagNotParsedError) await assertDagExists(environment, error.dagId);
    if (error instanceof NoDatabaseYetError) throw new UserInputError('no tick has run in this environment yet, so there are no runs');
    throw error;
  };
}

export async function clearTaskInstances(environment: Environment, request: ClearRequest): Promise<ClearResult> {
  const planned = await withReadDatabase(environment, async (db) => ({
    plans: await planClear(db, {
      ...request,
      ...(request.taskIds !== undefined ? { tasks: request.taskIds.map((task_id) => ({ task_id, map_index: null })) } : {}),
    }),
    paused: (await getDag(db, request.dagId))?.is_paused ?? false,
  })).catch(explainUnparsed(environment));
  const { plans } = planned;
  const result: ClearResult = {
    dry_run: request.dryRun === true,
    task_instances: plans.flatMap(({ run, matched }) => matched.map((ti) => taskInstanceJson(ti, run))),
    dag_run_ids: plans.map(({ run }) => run.run_id),
    command_ids: [],
    // A pause or unpause still waiting for its tick decides, as for a trigger.
    dag_is_paused: pendingPauseStates(await pendingCommands(await environment.provider.stateDict())).get(request.dagId) ?? planned.paused,
  };
  if (request.dryRun || plans.length === 0) return result;
  const bodies: CommandBody[] = plans.map(({ run, taskIds }) => ({
    kind: 'clear',
    dag_id: request.dagId,
    run_id: run.run_id,
    // The tick re-applies the state filters to these tasks as they are when it runs.
    task_ids: taskIds,
    only_failed: request.onlyFailed === true,
    only_running: request.onlyRunning === true,
  }));
  result.command_ids = await queueCommands(environment, bodies, request.by);
  return result;
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
  const plan = await withReadDatabase(environment, (db) => planMarkTask(db, { ...request, state })).catch(explainUnparsed(environment));
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
        task_ids: plan.taskIds,
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
  const plan = await withReadDatabase(environment, (db) => planMarkRun(db, request.dagId, request.runId, state)).catch(explainUnparsed(environment));
  const result: SetRunStateResult = {
    dry_run: request.dryRun === true,
    dag_run: dagRunJson(plan.run),
    task_instances: plan.changing.map((ti) => taskInstanceJson(ti, plan.run)),
    command_id: null,
  };
  if (request.dryRun) return result;
  const [id] = await queueCommands(environment, [{ kind: 'set_state', dag_id: request.dagId, run_id: request.runId, task_ids: null, state }], request.by);
  result.command_id = id ?? null;
  return result;
}
