/**
 * Step 7: decide which task instances of running runs can go. For each task instance in state none, the
 * trigger rule over its direct upstream states says run / wait / skip / upstream_failed; decisions are
 * applied in memory in topological order and repeated until nothing changes, so a chain of skips or
 * upstream failures resolves in one pass. A task that may run becomes `scheduled` with its try number
 * incremented (Airflow increments when scheduling; the first try is 1), unless `depends_on_past` holds it
 * back; an EmptyOperator succeeds on the spot and is never dispatched. `up_for_retry` tries become
 * scheduled once `next_retry_at` has passed. Concurrency limits apply at dispatch, not here (Airflow's
 * `scheduled` means "dependencies met").
 */
import type { TaskSpec } from '../dag/model.js';
import { getPreviousDagRun, listDagRuns } from '../db/queries/dag-runs.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import {
  countTaskInstanceStatesForRun,
  getTaskInstance,
  listTaskInstanceStatesForRun,
  runKey,
  updateTaskInstance,
} from '../db/queries/task-instances.js';
import type { TaskInstancePatch, TaskInstanceStateRow } from '../db/queries/task-instances.js';
import type { TaskInstanceState } from '../model.js';
import { LeaseLostError } from './context.js';
import type { LoadedDag, TickContext } from './context.js';
import { dagRows, runIsHeld } from './run-lifecycle.js';
import { needsIntegrityFix, verifyRunIntegrity } from './task-instances.js';
import { countUpstreamStates, decideTask } from './trigger-rules.js';

export interface ReadinessResult {
  scheduled: number;
  skipped: number;
  upstreamFailed: number;
  emptySucceeded: number;
  /**
   * Each evaluated run's task instance count per state after this step's own writes (keyed by `runKey`),
   * so `finishRuns`, which runs right after, need not count again. Runs that failed to evaluate are absent.
   */
  stateCounts: Map<string, Map<TaskInstanceState, number>>;
}

interface Change {
  ti: TaskInstanceStateRow;
  patch: TaskInstancePatch;
}

/** `only`: evaluate just these runs (`runKey`s), the ones a reports-only pass saw a try of finish in. */
export async function scheduleReadyTasks(ctx: TickContext, options: { only?: ReadonlySet<string> } = {}): Promise<ReadinessResult> {
  const result: ReadinessResult = { scheduled: 0, skipped: 0, upstreamFailed: 0, emptySucceeded: 0, stateCounts: new Map() };
  const dagOf = dagRows(ctx);
  for (const run of await listDagRuns(ctx.db, { states: ['running'] })) {
    if (options.only && !options.only.has(runKey(run.dag_id, run.run_id))) continue;
    const dag = await dagOf(run.dag_id);
    // Airflow does not schedule tasks of paused DAGs' runs (a backfill's excepted); in-flight tries still report and finish.
    if (!dag || runIsHeld(dag, run)) continue;
    const loaded = await ctx.loadDag(run.dag_id);
    if (!loaded) continue;
    try {
      await scheduleRun(ctx, run, loaded, result);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      ctx.logger.error('could not evaluate a DAG run', { dag_id: run.dag_id, run_id: run.run_id, error: (error as Error).message });
    }
  }
  return result;
}

async function scheduleRun(ctx: TickContext, run: DagRunRow, loaded: LoadedDag, result: ReadinessResult): Promise<void> {
  const { spec, graph } = loaded;
  // Most passes of a wide run find nothing to decide (every task already scheduled or further on): one
  // aggregate says so without reading a thousand rows, once the rows were checked against this spec.
  const rk = runKey(run.dag_id, run.run_id);
  const counts = await countTaskInstanceStatesForRun(ctx.db, run.dag_id, run.run_id);
  const rows = [...counts.values()].reduce((a, b) => a + b, 0);
  const undecided = (counts.get(null) ?? 0) + (counts.get('up_for_retry') ?? 0);
  if (undecided === 0 && loaded.verifiedRuns.get(rk) === rows) {
    result.stateCounts.set(rk, counts);
    return;
  }

  let tis = await listTaskInstanceStatesForRun(ctx.db, run.dag_id, run.run_id);
  if (needsIntegrityFix(spec, tis)) {
    await ctx.ensureLease();
    await ctx.db.transaction((tx) => verifyRunIntegrity(tx, run, spec, tis, ctx.nowIso));
    tis = await listTaskInstanceStatesForRun(ctx.db, run.dag_id, run.run_id);
  }
  loaded.verifiedRuns.set(rk, tis.length);
  const byTask = new Map(tis.map((ti) => [ti.task_id, ti]));
  const states = new Map<string, TaskInstanceState>(tis.map((ti) => [ti.task_id, ti.state]));
  const changes = new Map<string, Change>();
  const pastOk = pastChecker(ctx, run);

  const decide = (ti: TaskInstanceStateRow, state: TaskInstanceState, patch: Omit<TaskInstancePatch, 'updated_at'>) => {
    states.set(ti.task_id, state);
    changes.set(ti.task_id, { ti, patch: { ...patch, state, updated_at: ctx.nowIso } });
  };

  for (let progressed = true; progressed; ) {
    progressed = false;
    for (const task of spec.tasks) {
      const ti = byTask.get(task.task_id);
      if (!ti || changes.has(task.task_id)) continue;
      const state = states.get(task.task_id) ?? null;
      if (state === 'up_for_retry') {
        // Airflow's ready_for_retry: strictly after next_retry_datetime.
        if (ti.next_retry_at && Date.parse(ti.next_retry_at) >= ctx.now.getTime()) continue;
        decide(ti, 'scheduled', nextTry(ti, ctx.nowIso));
        progressed = true;
        continue;
      }
      if (state !== null) continue;
      const upstreamIds = graph.upstream.get(task.task_id) ?? [];
      const upstream = upstreamIds.map((id) => states.get(id) ?? null);
      const decision = decideTask(
        task.trigger_rule,
        countUpstreamStates(upstream, upstreamIds.map((id) => graph.tasks.get(id)?.is_setup === true)),
        (graph.indirectSetups.get(task.task_id) ?? []).map((id) => states.get(id) ?? null),
      );
      if (decision === 'wait') continue;
      if (decision === 'skip' || decision === 'upstream_failed') {
        const finalState = decision === 'skip' ? 'skipped' : 'upstream_failed';
        decide(ti, finalState, { start_date: ctx.nowIso, end_date: ctx.nowIso, duration: 0 });
        progressed = true;
        continue;
      }
      if (task.depends_on_past && !(await pastOk(task))) continue;
      if (task.operator === 'empty') {
        decide(ti, 'success', { try_number: ti.try_number + 1, start_date: ctx.nowIso, end_date: ctx.nowIso, duration: 0 });
      } else {
        decide(ti, 'scheduled', nextTry(ti, ctx.nowIso));
      }
      progressed = true;
    }
  }
  const after = countStates(tis);
  if (changes.size > 0) {
    const scheduledBefore = result.scheduled;
    await applyChanges(ctx, changes, after, result);
    // New `scheduled` tries: the run's kept dispatch order no longer holds them all.
    if (result.scheduled > scheduledBefore) loaded.dispatchQueues.delete(rk);
  }
  result.stateCounts.set(rk, after);
}

function countStates(tis: readonly TaskInstanceStateRow[]): Map<TaskInstanceState, number> {
  const out = new Map<TaskInstanceState, number>();
  for (const ti of tis) out.set(ti.state, (out.get(ti.state) ?? 0) + 1);
  return out;
}

async function applyChanges(
  ctx: TickContext,
  changes: ReadonlyMap<string, Change>,
  counts: Map<TaskInstanceState, number>,
  result: ReadinessResult,
): Promise<void> {
  const moved: Change[] = [];
  await ctx.ensureLease();
  await ctx.db.transaction(async (tx) => {
    moved.length = 0; // a retried transaction starts over
    for (const change of changes.values()) {
      const { ti, patch } = change;
      if (!(await updateTaskInstance(tx, ti.id, patch, { states: [ti.state], tryNumber: ti.try_number }))) continue;
      moved.push(change);
      if (patch.state === 'scheduled') result.scheduled++;
      else if (patch.state === 'skipped') result.skipped++;
      else if (patch.state === 'upstream_failed') result.upstreamFailed++;
      else if (patch.state === 'success') result.emptySucceeded++;
    }
  });
  for (const { ti, patch } of moved) {
    const to = patch.state ?? ti.state;
    counts.set(ti.state, (counts.get(ti.state) ?? 0) - 1);
    counts.set(to, (counts.get(to) ?? 0) + 1);
  }
}

/** A new try: the number goes up now, and the previous try's timing is cleared. */
function nextTry(ti: TaskInstanceStateRow, now: string): Omit<TaskInstancePatch, 'updated_at'> {
  return {
    try_number: ti.try_number + 1,
    scheduled_dttm: now,
    next_retry_at: null,
    start_date: null,
    end_date: null,
    duration: null,
    hostname: null,
    pid: null,
    last_heartbeat_at: null,
    dispatch_token: null,
  };
}

/**
 * `depends_on_past`: the same task in the previous run (by logical date) must have succeeded or been
 * skipped; the first run, or a task the previous run did not have, passes.
 */
function pastChecker(ctx: TickContext, run: DagRunRow): (task: TaskSpec) => Promise<boolean> {
  let previous: DagRunRow | null | undefined;
  return async (task) => {
    if (previous === undefined) previous = (await getPreviousDagRun(ctx.db, run)) ?? null;
    if (previous === null) return true;
    const ti = await getTaskInstance(ctx.db, { dag_id: run.dag_id, task_id: task.task_id, run_id: previous.run_id, map_index: -1 });
    return !ti || ti.state === 'success' || ti.state === 'skipped';
  };
}
