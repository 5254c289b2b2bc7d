/**
 * Airflow 3's backfills (`airflow/models/backfill.py`): which logical dates a backfill covers, what it does
 * with a date that already has a run, and the `backfill_*` commands the tick applies.
 *
 * - The dates are the DAG's timetable between from_date and to_date (both included, catchup on), keeping
 *   only those whose data interval has ended; `--run-backwards` reverses them (sort_ordinal follows).
 * - A date with a queued or running run is skipped ("in flight"); with a finished run, reprocess `none`
 *   skips it ("already exists"), `failed` reprocesses it only if the run failed, `completed` always does.
 *   Reprocessing clears the run (every task back to none, run queued) and hands it to the backfill.
 * - One active backfill per DAG; depends_on_past DAGs cannot run backwards nor use reprocess `none`.
 * - The runs start in sort order, at most the backfill's `max_active_runs` at once, even when the DAG is
 *   paused (the DAG's own max_active_runs does not count them); cancelling pauses the backfill, ends it,
 *   and fails its queued runs (running ones finish).
 */
import type { DagSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import {
  getBackfill,
  insertBackfill,
  insertBackfillDagRun,
  listBackfills,
  listFinishedActiveBackfills,
  updateBackfill,
} from '../db/queries/backfills.js';
import type { BackfillExceptionReason, ReprocessBehavior } from '../db/queries/backfills.js';
import { adoptDagRunIntoBackfill, findDagRunByLogicalDate, getDagRun, insertDagRun } from '../db/queries/dag-runs.js';
import type { DagRunState } from '../model.js';
import { listTaskInstancesForRun } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { Command } from '../executor/protocol.js';
import { generateRunId } from '../timetable/index.js';
import type { DagRunInfo, Timetable } from '../timetable/index.js';
import { clearTaskInstances } from './clearing.js';
import type { TickContext } from './context.js';
import { timetableOf } from './next-dagrun.js';
import { createTaskInstances } from './task-instances.js';

/** Guards a timetable that never passes to_date from looping forever. */
const MAX_BACKFILL_DATES = 100_000;

export interface BackfillRange {
  from: Date;
  to: Date;
  reverse: boolean;
}

/** Airflow's `_get_info_list`: the runs the timetable has between the two dates, finished intervals only. */
export function backfillRunInfos(timetable: Timetable, range: BackfillRange, now: Date): DagRunInfo[] {
  const infos: DagRunInfo[] = [];
  const restriction = { earliest: range.from, latest: range.to, catchup: true };
  let info = timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction, now });
  while (info && infos.length < MAX_BACKFILL_DATES) {
    if (info.logical_date.getTime() > range.to.getTime()) break;
    infos.push(info);
    const next = timetable.nextDagrunInfo({ lastAutomatedDataInterval: info.data_interval, restriction, now });
    if (next && next.logical_date.getTime() <= info.logical_date.getTime()) break;
    info = next;
  }
  const done = infos.filter((i) => i.data_interval.end.getTime() < now.getTime());
  return range.reverse ? done.reverse() : done;
}

/** Airflow's `_get_dag_run_no_create_reason`: why an existing run is left alone, or null to reprocess it. */
export function noCreateReason(state: DagRunState, behavior: ReprocessBehavior): BackfillExceptionReason | null {
  if (state !== 'success' && state !== 'failed') return 'in flight';
  if (behavior === 'none') return 'already exists';
  if (behavior === 'failed' && state !== 'failed') return 'already exists';
  return null;
}

/** Airflow's `_validate_backfill_params` and the periodic-schedule check; the error text, or null. */
export function backfillProblem(spec: DagSpec, timetable: Timetable, range: BackfillRange, behavior: ReprocessBehavior, now: Date): string | null {
  if (!timetable.periodic) return `${spec.dag_id} has a non-periodic schedule that does not support backfills`;
  if (range.from.getTime() > range.to.getTime()) {
    return `from_date (${range.from.toISOString()}) must not be after to_date (${range.to.toISOString()})`;
  }
  if (range.from.getTime() >= now.getTime() && range.to.getTime() >= now.getTime()) return 'Backfill cannot be executed for future dates.';
  if (spec.tasks.some((t) => t.depends_on_past)) {
    if (range.reverse) return 'Backfill cannot be run in reverse when the DAG has tasks where depends_on_past=True';
    if (behavior === 'none') {
      return 'the DAG has tasks with depends_on_past=True: set the reprocess behavior to failed or completed';
    }
  }
  return null;
}

/** Thrown inside a command's transaction to refuse it (the tick records the message). */
export class BackfillRejected extends Error {}

type Of<K extends Command['kind']> = Extract<Command, { kind: K }>;

export interface BackfillApplied {
  message: string;
  backfillId: number;
  /** In-flight tries of reprocessed runs (none in practice: only finished runs are reprocessed). */
  ended: TaskInstanceRow[];
}

/** Airflow's `_create_backfill`: the backfill row, then one `backfill_dag_run` per date, creating or reprocessing runs. */
export async function createBackfill(ctx: TickContext, tx: Queryable, command: Of<'backfill_create'>): Promise<BackfillApplied> {
  const loaded = await ctx.loadDag(command.dag_id);
  if (!loaded) throw new BackfillRejected(`DAG '${command.dag_id}' has never been parsed successfully; fix its import errors first`);
  const behavior = command.reprocess_behavior;
  if (!['none', 'failed', 'completed'].includes(behavior)) throw new BackfillRejected(`unknown reprocess behavior '${String(behavior)}'`);
  if (!Number.isInteger(command.max_active_runs) || command.max_active_runs < 1) throw new BackfillRejected('max_active_runs must be a positive integer');
  const range = { from: new Date(command.from_date), to: new Date(command.to_date), reverse: command.run_backwards === true };
  if (Number.isNaN(range.from.getTime()) || Number.isNaN(range.to.getTime())) throw new BackfillRejected('from_date and to_date must be ISO instants');
  if ((await listBackfills(tx, { dagId: command.dag_id, activeOnly: true })).length > 0) {
    throw new BackfillRejected(`Another backfill is running for DAG ${command.dag_id}. There can be only one running backfill per DAG.`);
  }
  const timetable = timetableOf(loaded.spec, ctx.config);
  const problem = backfillProblem(loaded.spec, timetable, range, behavior, ctx.now);
  if (problem) throw new BackfillRejected(problem);
  const infos = backfillRunInfos(timetable, range, ctx.now);
  if (infos.length === 0) throw new BackfillRejected(`No runs to create for DAG ${command.dag_id}`);

  const conf = command.dag_run_conf && typeof command.dag_run_conf === 'object' ? command.dag_run_conf : {};
  const backfill = await insertBackfill(tx, {
    dag_id: command.dag_id,
    from_date: range.from.toISOString(),
    to_date: range.to.toISOString(),
    dag_run_conf: conf,
    reprocess_behavior: behavior,
    max_active_runs: command.max_active_runs,
    triggering_user_name: command.triggering_user_name ?? null,
    now: ctx.nowIso,
  });
  const counts = { created: 0, reprocessed: 0, skipped: 0 };
  const ended: TaskInstanceRow[] = [];
  for (const [index, info] of infos.entries()) {
    const logical = info.logical_date.toISOString();
    const entry = { backfill_id: backfill.id, logical_date: logical, sort_ordinal: index + 1 };
    const existing = await findDagRunByLogicalDate(tx, command.dag_id, logical);
    if (existing) {
      const reason = noCreateReason(existing.state, behavior);
      if (reason) {
        await insertBackfillDagRun(tx, { ...entry, dag_run_id: null, exception_reason: reason });
        counts.skipped++;
        continue;
      }
      // Airflow's _handle_clear_run: clear the whole run, then make it this backfill's.
      const tis = await listTaskInstancesForRun(tx, existing.dag_id, existing.run_id);
      ended.push(...(await clearTaskInstances(tx, existing, tis, loaded.graph, ctx.nowIso)));
      await adoptDagRunIntoBackfill(tx, existing, backfill.id, command.dag_run_conf ? conf : null, ctx.nowIso);
      await insertBackfillDagRun(tx, { ...entry, dag_run_id: existing.id, exception_reason: null });
      counts.reprocessed++;
      continue;
    }
    const runId = generateRunId('backfill', info.logical_date);
    const inserted = await insertDagRun(tx, {
      dag_id: command.dag_id,
      run_id: runId,
      logical_date: logical,
      run_type: 'backfill',
      triggered_by: 'backfill',
      triggering_user_name: command.triggering_user_name ?? null,
      conf,
      data_interval_start: info.data_interval.start.toISOString(),
      data_interval_end: info.data_interval.end.toISOString(),
      run_after: info.run_after.toISOString(),
      backfill_id: backfill.id,
      now: ctx.nowIso,
    });
    const run = inserted ? await getDagRun(tx, command.dag_id, runId) : undefined;
    if (!run) {
      // Airflow's IntegrityError path: the run id is taken by a run of another date.
      await insertBackfillDagRun(tx, { ...entry, dag_run_id: null, exception_reason: 'in flight' });
      counts.skipped++;
      continue;
    }
    await createTaskInstances(tx, run, loaded.spec.tasks, ctx.nowIso);
    await insertBackfillDagRun(tx, { ...entry, dag_run_id: run.id, exception_reason: null });
    counts.created++;
  }
  return {
    message: `created backfill ${backfill.id} of DAG '${command.dag_id}': ${counts.created} run(s) created, ${counts.reprocessed} reprocessed, ${counts.skipped} date(s) skipped`,
    backfillId: backfill.id,
    ended,
  };
}

/** Cancel (Airflow's `_cancel_backfill`), pause or unpause a backfill. */
export async function changeBackfill(ctx: TickContext, tx: Queryable, command: Of<'backfill_cancel' | 'backfill_pause' | 'backfill_unpause'>): Promise<string> {
  const backfill = await getBackfill(tx, Number(command.backfill_id));
  if (!backfill || backfill.dag_id !== command.dag_id) throw new BackfillRejected(`backfill ${String(command.backfill_id)} of DAG '${command.dag_id}' not found`);
  if (backfill.completed_at !== null) throw new BackfillRejected(`backfill ${backfill.id} is already completed`);
  if (command.kind === 'backfill_pause' || command.kind === 'backfill_unpause') {
    await updateBackfill(tx, backfill.id, { is_paused: command.kind === 'backfill_pause', updated_at: ctx.nowIso });
    return `backfill ${backfill.id} ${command.kind === 'backfill_pause' ? 'paused' : 'unpaused'}`;
  }
  await updateBackfill(tx, backfill.id, { is_paused: true, completed_at: ctx.nowIso, updated_at: ctx.nowIso });
  const failed = await tx.run(
    `UPDATE dag_run SET state = 'failed', end_date = ?, updated_at = ? WHERE backfill_id = ? AND state = 'queued'`,
    [ctx.nowIso, ctx.nowIso, backfill.id],
  );
  return `backfill ${backfill.id} cancelled; ${failed.changes} queued run(s) marked failed, running runs finish`;
}

/** Airflow's `_mark_backfills_complete`: a backfill none of whose runs is queued or running is completed. */
export async function completeFinishedBackfills(ctx: TickContext): Promise<number> {
  // Every pass calls this, idle ones too (a run marked by a command may have been a backfill's last):
  // without an active backfill, one look at the small backfill table is all it costs, no dag_run query.
  if ((await listBackfills(ctx.db, { activeOnly: true })).length === 0) return 0;
  const ids = await listFinishedActiveBackfills(ctx.db);
  if (ids.length === 0) return 0;
  await ctx.ensureLease();
  await ctx.db.transaction(async (tx) => {
    for (const id of ids) await updateBackfill(tx, id, { completed_at: ctx.nowIso, updated_at: ctx.nowIso });
  });
  return ids.length;
}
