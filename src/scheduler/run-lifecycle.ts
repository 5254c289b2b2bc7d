/**
 * Step 6b-d: move DAG runs through their states. Queued runs start (oldest `run_after` first) while their
 * DAG is below `max_active_runs`; paused or stale DAGs keep their runs queued, as Airflow does. A running run
 * past `dagrun_timeout` fails and its unfinished task instances are skipped (Airflow 3). A run whose task
 * instances have all finished takes its state from its leaf tasks.
 */
import { cancelQuietly } from '../executor/timeouts.js';
import { claimKey, taskKey } from '../executor/protocol.js';
import { countRunningBackfillRuns, listStartableBackfillRuns } from '../db/queries/backfills.js';
import { listDagRuns, updateDagRun } from '../db/queries/dag-runs.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { getDag } from '../db/queries/dags.js';
import type { DagRow } from '../db/queries/dags.js';
import {
  countTaskInstanceStatesForRun,
  listTaskInstanceStatesForRun,
  listTaskInstancesForRun,
  runKey,
  updateTaskInstance,
} from '../db/queries/task-instances.js';
import { isFinished } from '../model.js';
import type { DagRunState, TaskInstanceState } from '../model.js';
import type { LoadedDag, TickContext } from './context.js';
import { createTaskInstances } from './task-instances.js';

/** Memoised `dag` rows for one step. */
export function dagRows(ctx: TickContext): (dagId: string) => Promise<DagRow | undefined> {
  const cache = new Map<string, DagRow | undefined>();
  return async (dagId) => {
    if (!cache.has(dagId)) cache.set(dagId, await getDag(ctx.db, dagId));
    return cache.get(dagId);
  };
}

/**
 * A paused DAG's runs wait for its unpause, except a backfill's: Airflow 3 runs a backfill of a paused DAG
 * (the backfill has its own pause).
 */
export function runIsHeld(dag: Pick<DagRow, 'is_paused'>, run: Pick<DagRunRow, 'backfill_id'>): boolean {
  return dag.is_paused && run.backfill_id === null;
}

export async function startQueuedRuns(ctx: TickContext): Promise<number> {
  const dagOf = dagRows(ctx);
  const runningByDag = new Map<string, number>();
  for (const run of await listDagRuns(ctx.db, { states: ['running'] })) {
    // A backfill's runs count against the backfill's max_active_runs, not the DAG's (Airflow 3).
    if (run.backfill_id !== null) continue;
    runningByDag.set(run.dag_id, (runningByDag.get(run.dag_id) ?? 0) + 1);
  }
  let started = await startQueuedBackfillRuns(ctx);
  for (const run of await listDagRuns(ctx.db, { states: ['queued'] })) {
    if (run.backfill_id !== null) continue;
    const dag = await dagOf(run.dag_id);
    if (!dag || dag.is_paused || dag.is_stale) continue;
    if (Date.parse(run.run_after) > ctx.now.getTime()) continue;
    const loaded = await ctx.loadDag(run.dag_id);
    if (!loaded) continue;
    const running = runningByDag.get(run.dag_id) ?? 0;
    if (running >= (dag.max_active_runs ?? loaded.spec.max_active_runs)) continue;
    if (await startRun(ctx, run, run.start_date ?? ctx.nowIso, loaded)) {
      runningByDag.set(run.dag_id, running + 1);
      started++;
    }
  }
  return started;
}

/** queued -> running (only if still queued), with its task instances; true when this call moved it. */
async function startRun(ctx: TickContext, run: { dag_id: string; run_id: string }, startDate: string, loaded: LoadedDag): Promise<boolean> {
  await ctx.ensureLease();
  return ctx.db.transaction(async (tx) => {
    const moved = await updateDagRun(tx, run, { state: 'running', start_date: startDate, end_date: null, updated_at: ctx.nowIso }, 'queued');
    if (moved) await createTaskInstances(tx, run, loaded.spec.tasks, ctx.nowIso);
    return moved;
  });
}

/** Queued runs of unpaused backfills, in each backfill's sort order, up to its `max_active_runs`. */
async function startQueuedBackfillRuns(ctx: TickContext): Promise<number> {
  const dagOf = dagRows(ctx);
  const running = await countRunningBackfillRuns(ctx.db);
  let started = 0;
  for (const candidate of await listStartableBackfillRuns(ctx.db)) {
    const active = running.get(candidate.backfill_id) ?? 0;
    if (active >= candidate.max_active_runs) continue;
    const dag = await dagOf(candidate.dag_id);
    if (!dag || dag.is_stale) continue;
    const loaded = await ctx.loadDag(candidate.dag_id);
    if (!loaded) continue;
    if (await startRun(ctx, candidate, ctx.nowIso, loaded)) {
      running.set(candidate.backfill_id, active + 1);
      started++;
    }
  }
  return started;
}

export async function timeOutRuns(ctx: TickContext): Promise<number> {
  let timedOut = 0;
  for (const run of await listDagRuns(ctx.db, { states: ['running'] })) {
    const loaded = await ctx.loadDag(run.dag_id);
    const timeout = loaded?.spec.dagrun_timeout;
    if (!timeout || !run.start_date) continue;
    if (Date.parse(run.start_date) + timeout * 1000 >= ctx.now.getTime()) continue;
    ctx.logger.warn('DAG run timed out', { dag_id: run.dag_id, run_id: run.run_id, dagrun_timeout: timeout });
    await failRunAndSkipUnfinished(ctx, run);
    timedOut++;
  }
  return timedOut;
}

/**
 * Ends a run as failed: unfinished task instances become skipped, in-flight calls are cancelled and their
 * records deleted after the commit (a late report is stale anyway).
 */
export async function failRunAndSkipUnfinished(ctx: TickContext, run: DagRunRow, finalState: DagRunState = 'failed'): Promise<void> {
  const tis = await listTaskInstancesForRun(ctx.db, run.dag_id, run.run_id);
  const inFlight = tis.filter((ti) => ti.state === 'queued' || ti.state === 'running');
  await ctx.ensureLease();
  await ctx.db.transaction(async (tx) => {
    await updateDagRun(tx, run, { state: finalState, end_date: ctx.nowIso, updated_at: ctx.nowIso });
    for (const ti of tis) {
      if (isFinished(ti.state)) continue;
      await updateTaskInstance(
        tx,
        ti.id,
        { state: 'skipped', end_date: ctx.nowIso, start_date: ti.start_date ?? ctx.nowIso, updated_at: ctx.nowIso },
        { states: [ti.state], tryNumber: ti.try_number },
      );
    }
  });
  for (const ti of inFlight) {
    if (ti.external_executor_id) await cancelQuietly(ctx, ti.external_executor_id);
    ctx.afterCommit(async () => {
      await ctx.dict.delete(taskKey(ti));
      await ctx.dict.delete(claimKey(ti));
    });
  }
}

/** The state a run ends in once every task instance finished: success iff every leaf succeeded or skipped. */
export function finalRunState(leafStates: ReadonlyArray<string | null>): DagRunState {
  return leafStates.every((s) => s === 'success' || s === 'skipped' || s === 'removed') ? 'success' : 'failed';
}

/**
 * `knownCounts`: runs' task instance counts per state as readiness left them this pass (keyed by `runKey`);
 * a run not in it is counted here. `only`: look at just these runs (a reports-only pass).
 */
export async function finishRuns(
  ctx: TickContext,
  knownCounts?: ReadonlyMap<string, ReadonlyMap<TaskInstanceState, number>>,
  options: { only?: ReadonlySet<string> } = {},
): Promise<number> {
  let finished = 0;
  for (const run of await listDagRuns(ctx.db, { states: ['running'] })) {
    if (options.only && !options.only.has(runKey(run.dag_id, run.run_id))) continue;
    // An aggregate first: a run with a thousand task instances is unfinished on nearly every pass.
    const counts =
      knownCounts?.get(runKey(run.dag_id, run.run_id)) ?? (await countTaskInstanceStatesForRun(ctx.db, run.dag_id, run.run_id));
    if ([...counts].some(([state, n]) => n > 0 && !isFinished(state))) continue;
    const tis = await listTaskInstanceStatesForRun(ctx.db, run.dag_id, run.run_id);
    if (tis.some((ti) => !isFinished(ti.state))) continue;
    const loaded = await ctx.loadDag(run.dag_id);
    if (!loaded) continue;
    const leaves = new Set(loaded.graph.leaves);
    const state = finalRunState(tis.filter((ti) => leaves.has(ti.task_id)).map((ti) => ti.state));
    await ctx.ensureLease();
    if (await updateDagRun(ctx.db, run, { state, end_date: ctx.nowIso, updated_at: ctx.nowIso }, 'running')) finished++;
  }
  return finished;
}
