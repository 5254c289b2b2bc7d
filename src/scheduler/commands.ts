/**
 * Step 4: apply the write requests the CLI and UI leave in the state dict (`cmd:*`), oldest first. Each
 * command's database effect and its `command_log` row commit in one transaction; only then is the result
 * published under `cmdresult:{id}` and the command deleted. A command found already in `command_log` (a
 * crash after the commit) is not applied twice: its recorded result is published again. A bad command (an
 * unknown DAG, a duplicate run) gets a failed result; it never stops the tick.
 */
import { paramsProblem } from '../dag/params.js';
import type { Queryable } from '../db/backend.js';
import { getCommandLog, insertCommandLog } from '../db/queries/command-log.js';
import { findDagRunByLogicalDate, getDagRun, insertDagRun, updateDagRun } from '../db/queries/dag-runs.js';
import { getDag, setDagPaused } from '../db/queries/dags.js';
import { listTaskInstancesForRun, updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import { claimKey, commandResultKey, KEY_PREFIX, taskKey } from '../executor/protocol.js';
import type { Command, CommandResult } from '../executor/protocol.js';
import { cancelQuietly } from '../executor/timeouts.js';
import { isFinished } from '../model.js';
import type { TaskInstanceState } from '../model.js';
import { LeaseLostError } from './context.js';
import type { TickContext } from './context.js';
import { refreshNextDagrun, timetableOf } from './next-dagrun.js';
import { BackfillRejected, changeBackfill, createBackfill } from './backfill.js';
import { clearTaskInstances, inFlight, isFailedState } from './clearing.js';
import { allDownstream } from './dag-graph.js';
import { createTaskInstances } from './task-instances.js';

/** Thrown inside a command's transaction to reject it with a message (rolls back its effect). */
class Rejected extends Error {}

interface Applied {
  message: string;
  /** In-flight tries the command ended: cancelled and their records deleted after the commit. */
  ended: TaskInstanceRow[];
  detail?: Record<string, unknown>;
}

export interface CommandsResult {
  applied: number;
  failed: number;
}

export async function applyCommands(ctx: TickContext): Promise<CommandsResult> {
  const result: CommandsResult = { applied: 0, failed: 0 };
  const entries = await ctx.dict.entries<Command>(KEY_PREFIX.command);
  const commands = entries
    .map(([key, command]) => ({ key, command }))
    .sort((a, b) => String(a.command?.requested_at).localeCompare(String(b.command?.requested_at)) || a.key.localeCompare(b.key));

  for (const { key, command } of commands) {
    const id = typeof command?.id === 'string' ? command.id : key.slice(KEY_PREFIX.command.length);
    const logged = await getCommandLog(ctx.db, id);
    if (logged) {
      ctx.afterCommit(() => publish(ctx, key, { id, ok: logged.ok, message: logged.message ?? '', applied_at: logged.applied_at }));
      continue;
    }
    // Warm the DAG cache outside the transaction: inside it, only `tx` may touch the database.
    if (typeof command?.dag_id === 'string') await ctx.loadDag(command.dag_id);
    await ctx.ensureLease();
    let outcome: CommandResult;
    let ended: TaskInstanceRow[] = [];
    try {
      const applied = await ctx.db.transaction(async (tx) => {
        const done = await applyOne(ctx, tx, command);
        await log(tx, ctx, id, command, true, done.message);
        return done;
      });
      ended = applied.ended;
      outcome = { id, ok: true, message: applied.message, applied_at: ctx.nowIso, ...(applied.detail ? { detail: applied.detail } : {}) };
      result.applied++;
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      // A rejection is the user's request being refused (unknown DAG, duplicate run): say so where the
      // tick's output goes, not only in command_log and cmdresult:, which nobody may read.
      if (error instanceof Rejected || error instanceof BackfillRejected) ctx.logger.warn('command rejected', { id, kind: command?.kind, dag_id: command?.dag_id, reason: message });
      else ctx.logger.error('command failed', { id, error: message });
      await ctx.db.transaction((tx) => log(tx, ctx, id, command, false, message));
      outcome = { id, ok: false, message, applied_at: ctx.nowIso };
      result.failed++;
    }
    // Awaited before the pass goes on to dispatch: a cleared try is stopped (its process group with it)
    // before its next try can start.
    for (const ti of ended) {
      if (ti.external_executor_id) await cancelQuietly(ctx, ti.external_executor_id);
      ctx.afterCommit(async () => {
        await ctx.dict.delete(taskKey(ti));
        await ctx.dict.delete(claimKey(ti));
      });
    }
    const published = outcome;
    ctx.afterCommit(() => publish(ctx, key, published));
  }
  return result;
}

async function publish(ctx: TickContext, key: string, outcome: CommandResult): Promise<void> {
  await ctx.dict.put(commandResultKey(outcome.id), outcome);
  await ctx.dict.delete(key);
}

async function log(tx: Queryable, ctx: TickContext, id: string, command: Command | undefined, ok: boolean, message: string): Promise<void> {
  await insertCommandLog(tx, {
    id,
    kind: typeof command?.kind === 'string' ? command.kind : 'unknown',
    dag_id: typeof command?.dag_id === 'string' ? command.dag_id : null,
    payload: JSON.stringify(command ?? null),
    requested_by: typeof command?.by === 'string' ? command.by : null,
    requested_at: typeof command?.requested_at === 'string' && !Number.isNaN(Date.parse(command.requested_at)) ? command.requested_at : null,
    applied_at: ctx.nowIso,
    ok,
    message,
  });
}

async function applyOne(ctx: TickContext, tx: Queryable, command: Command | undefined): Promise<Applied> {
  if (!command || typeof command !== 'object' || typeof command.dag_id !== 'string') throw new Rejected('malformed command: no dag_id');
  const dag = await getDag(tx, command.dag_id);
  if (!dag) throw new Rejected(`DAG '${command.dag_id}' not found`);
  switch (command.kind) {
    case 'trigger':
      return trigger(ctx, tx, command);
    case 'pause':
    case 'unpause': {
      const paused = command.kind === 'pause';
      await setDagPaused(tx, command.dag_id, paused);
      if (!paused) {
        // While paused nothing advanced next_dagrun; recompute it as of now (catchup still fills gaps).
        const loaded = await ctx.loadDag(command.dag_id);
        if (loaded) await refreshNextDagrun(tx, loaded.spec, ctx.config, ctx.now);
      }
      return { message: `DAG '${command.dag_id}' ${paused ? 'paused' : 'unpaused'}`, ended: [] };
    }
    case 'clear':
      return clear(ctx, tx, command);
    case 'set_state':
      return setState(ctx, tx, command);
    case 'backfill_create': {
      const created = await createBackfill(ctx, tx, command);
      return { message: created.message, ended: created.ended, detail: { backfill_id: created.backfillId } };
    }
    case 'backfill_cancel':
    case 'backfill_pause':
    case 'backfill_unpause':
      return { message: await changeBackfill(ctx, tx, command), ended: [] };
    default:
      throw new Rejected(`unknown command kind '${String((command as { kind?: unknown }).kind)}'`);
  }
}

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

async function trigger(ctx: TickContext, tx: Queryable, command: Of<'trigger'>): Promise<Applied> {
  const loaded = await ctx.loadDag(command.dag_id);
  if (!loaded) throw new Rejected(`DAG '${command.dag_id}' has never been parsed successfully; fix its import errors first`);
  if (typeof command.run_id !== 'string' || command.run_id === '') throw new Rejected('trigger needs a run_id');
  // Checked where the trigger was accepted too; again here because the DAG's params may have changed since.
  const paramsIssue = paramsProblem(loaded.spec, command.conf && typeof command.conf === 'object' ? command.conf : {});
  if (paramsIssue) throw new Rejected(paramsIssue);
  const requested = Date.parse(command.requested_at);
  // Airflow's run_after for a manual run is the moment it was triggered; never later than this tick.
  let runAfter = new Date(Number.isNaN(requested) ? ctx.now.getTime() : Math.min(requested, ctx.now.getTime()));
  let interval: { start: string; end: string } | null = null;
  let logicalDate: string | null = null;
  if (command.logical_date !== null && command.logical_date !== undefined) {
    const logical = new Date(command.logical_date);
    if (Number.isNaN(logical.getTime())) throw new Rejected(`invalid logical_date '${command.logical_date}'`);
    logicalDate = logical.toISOString();
    // Airflow 3: the data interval is inferred from the logical date, and the run may start at its end.
    const inferred = timetableOf(loaded.spec, ctx.config).inferManualDataInterval(logical);
    interval = { start: inferred.start.toISOString(), end: inferred.end.toISOString() };
    runAfter = inferred.end;
  }
  const inserted = await insertDagRun(tx, {
    dag_id: command.dag_id,
    run_id: command.run_id,
    logical_date: logicalDate,
    run_type: 'manual',
    triggered_by: command.by,
    conf: command.conf && typeof command.conf === 'object' ? command.conf : {},
    data_interval_start: interval?.start ?? null,
    data_interval_end: interval?.end ?? null,
    run_after: runAfter.toISOString(),
    note: command.note ?? null,
    now: ctx.nowIso,
  });
  if (!inserted) {
    if (await getDagRun(tx, command.dag_id, command.run_id)) {
      throw new Rejected(`DAG run '${command.run_id}' of DAG '${command.dag_id}' already exists`);
    }
    const clash = logicalDate ? await findDagRunByLogicalDate(tx, command.dag_id, logicalDate) : undefined;
    throw new Rejected(
      `a DAG run of DAG '${command.dag_id}' with logical date ${logicalDate} already exists${clash ? ` ('${clash.run_id}')` : ''}`,
    );
  }
  await createTaskInstances(tx, { dag_id: command.dag_id, run_id: command.run_id }, loaded.spec.tasks, ctx.nowIso);
  const dag = await getDag(tx, command.dag_id);
  const note = dag?.is_paused ? ' (the DAG is paused: the run stays queued until it is unpaused)' : '';
  return { message: `triggered DAG run '${command.run_id}'${note}`, ended: [] };
}

async function runAndTasks(tx: Queryable, command: Of<'clear'> | Of<'set_state'>) {
  const run = await getDagRun(tx, command.dag_id, command.run_id);
  if (!run) throw new Rejected(`DAG run '${command.run_id}' of DAG '${command.dag_id}' not found`);
  const tis = await listTaskInstancesForRun(tx, command.dag_id, command.run_id);
  if (command.task_ids) {
    const known = new Set(tis.map((ti) => ti.task_id));
    const unknown = command.task_ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Rejected(`unknown task id(s) in run '${command.run_id}': ${unknown.join(', ')}`);
  }
  const wanted = command.task_ids ? new Set(command.task_ids) : null;
  return { run, tis, selected: tis.filter((ti) => !wanted || wanted.has(ti.task_id)) };
}

/**
 * Airflow's clear of one run: the selected task instances (only those failed or upstream_failed with
 * `only_failed`, only those queued or running with `only_running`) go back to none and the run to queued;
 * see clearing.ts.
 */
async function clear(ctx: TickContext, tx: Queryable, command: Of<'clear'>): Promise<Applied> {
  const { run, selected } = await runAndTasks(tx, command);
  const loaded = await ctx.loadDag(command.dag_id);
  const targets = selected.filter((ti) => (!command.only_failed || isFailedState(ti)) && (!command.only_running || inFlight(ti)));
  // Nothing matched (the failed task was already rerun, say): the run is left as it is, as Airflow does.
  if (targets.length === 0) return { message: `nothing to clear in run '${run.run_id}'`, ended: [] };
  const ended = await clearTaskInstances(tx, run, targets, loaded?.graph, ctx.nowIso);
  return { message: `cleared ${targets.length} task instance(s) of run '${run.run_id}'`, ended };
}

/**
 * Marking state. A whole run (Airflow's set_dag_run_state_to_*): success marks every unfinished task
 * success; failed marks in-flight tries failed and not-yet-started ones skipped; queued only requeues the
 * run. Listed tasks (Airflow's set_task_instance_state): set as asked, then their downstream task instances
 * that are failed or upstream_failed are cleared so they run again; the run goes back to queued when
 * anything was cleared, and a finished run otherwise back to running so the finish check recomputes its
 * state from the leaves.
 */
async function setState(ctx: TickContext, tx: Queryable, command: Of<'set_state'>): Promise<Applied> {
  const runStates = ['success', 'failed', 'queued'];
  const taskStates = ['success', 'failed', 'skipped'];
  if (!(command.task_ids === null ? runStates : taskStates).includes(command.state)) {
    throw new Rejected(`cannot set ${command.task_ids === null ? 'a run' : 'task instances'} to state '${String(command.state)}'`);
  }
  const { run, tis, selected: byTask } = await runAndTasks(tx, command);
  const mapIndexes = command.map_indexes ?? {};
  const selected = byTask.filter((ti) => mapIndexes[ti.task_id] === undefined || mapIndexes[ti.task_id] === ti.map_index);
  const mark = async (ti: TaskInstanceRow, state: TaskInstanceState) =>
    updateTaskInstance(tx, ti.id, {
      state,
      start_date: ti.start_date ?? ctx.nowIso,
      end_date: ctx.nowIso,
      next_retry_at: null,
      updated_at: ctx.nowIso,
    });

  if (command.task_ids === null) {
    if (command.state === 'queued') {
      await updateDagRun(tx, run, { state: 'queued', start_date: null, end_date: null, queued_at: ctx.nowIso, updated_at: ctx.nowIso });
      return { message: `marked run '${run.run_id}' queued`, ended: [] };
    }
    const ended = selected.filter(inFlight);
    for (const ti of selected) {
      if (isFinished(ti.state)) continue;
      await mark(ti, command.state === 'success' ? 'success' : inFlight(ti) ? 'failed' : 'skipped');
    }
    await updateDagRun(tx, run, { state: command.state as 'success' | 'failed', start_date: run.start_date ?? ctx.nowIso, end_date: ctx.nowIso, updated_at: ctx.nowIso });
    return { message: `marked run '${run.run_id}' ${command.state}`, ended };
  }
  const changing = selected.filter((ti) => ti.state !== command.state);
  for (const ti of changing) await mark(ti, command.state as TaskInstanceState);
  const ended = changing.filter(inFlight);
  const loaded = await ctx.loadDag(command.dag_id);
  const marked = new Set(selected.map((ti) => ti.task_id));
  const downstream = new Set<string>();
  if (loaded) for (const id of marked) for (const d of allDownstream(loaded.graph, id)) if (!marked.has(d)) downstream.add(d);
  const toClear = tis.filter((ti) => downstream.has(ti.task_id) && isFailedState(ti));
  if (toClear.length > 0) {
    const current = (await getDagRun(tx, run.dag_id, run.run_id)) ?? run;
    ended.push(...(await clearTaskInstances(tx, current, toClear, loaded?.graph, ctx.nowIso)));
  } else if (run.state === 'success' || run.state === 'failed') {
    await updateDagRun(tx, run, { state: 'running', end_date: null, updated_at: ctx.nowIso });
  }
  const cleared = toClear.length > 0 ? `; cleared ${toClear.length} failed downstream task instance(s)` : '';
  return { message: `marked ${changing.length} task instance(s) of run '${run.run_id}' ${command.state}${cleared}`, ended };
}
