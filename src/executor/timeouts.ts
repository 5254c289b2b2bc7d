/**
 * The sweeper half of step 5 (STYLE 7): tries that stopped reporting. A running try whose last heartbeat is
 * older than `scheduler.task_instance_heartbeat_timeout` is a zombie, and so is a queued try claimed by a
 * task function longer ago than that which never reported its start (the function died between its claim
 * and its RUNNING record, which comes once the operator's process exists: a few milliseconds to tens of
 * them). A queued try that never started within `scheduler.task_queued_timeout` was lost. All count as a
 * failed try (retried if retries remain), the provider is asked to cancel the call, and the try's records
 * are deleted after the commit.
 */
import { getDagRun } from '../db/queries/dag-runs.js';
import { listTaskInstances } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { TickContext } from '../scheduler/context.js';
import { recordTryOutcome } from '../scheduler/task-outcome.js';
import { claimKey, taskKey } from './protocol.js';
import type { ClaimRecord, TaskRecord } from './protocol.js';

export interface TimeoutResult {
  zombies: number;
  queuedTimeouts: number;
}

export async function failStalledTries(ctx: TickContext): Promise<TimeoutResult> {
  const result: TimeoutResult = { zombies: 0, queuedTimeouts: 0 };
  const heartbeatLimit = ctx.now.getTime() - ctx.config.scheduler.task_instance_heartbeat_timeout * 1000;
  const queuedLimit = ctx.now.getTime() - ctx.config.scheduler.task_queued_timeout * 1000;

  for (const ti of await listTaskInstances(ctx.db, { states: ['running', 'queued'] })) {
    let error: string | null = null;
    let claim: ClaimRecord | null;
    if (ti.state === 'running') {
      const last = ti.last_heartbeat_at ?? ti.start_date;
      if (last && Date.parse(last) < heartbeatLimit) {
        error = `zombie: no heartbeat since ${last} (task_instance_heartbeat_timeout ${ctx.config.scheduler.task_instance_heartbeat_timeout} s)`;
        result.zombies++;
      }
    } else if ((claim = await silentClaim(ctx, ti, heartbeatLimit)) !== null) {
      error =
        `zombie: claimed at ${claim.claimed_at}${claim.call_id ? ` by ${claim.call_id}` : ''} and never reported its start ` +
        `(task_instance_heartbeat_timeout ${ctx.config.scheduler.task_instance_heartbeat_timeout} s)`;
      result.zombies++;
    } else if (ti.queued_dttm && Date.parse(ti.queued_dttm) < queuedLimit) {
      error = `queued since ${ti.queued_dttm} without starting (task_queued_timeout ${ctx.config.scheduler.task_queued_timeout} s)`;
      result.queuedTimeouts++;
    }
    if (error !== null) await failTry(ctx, ti, error);
  }
  return result;
}

/**
 * The claim of a queued try when its task function claimed it before `heartbeatLimit` (ms) and its record
 * is still QUEUED: the function has had a whole heartbeat timeout to start the operator and say so.
 * Without a claim the try was never picked up, which the queued timeout covers.
 */
async function silentClaim(ctx: TickContext, ti: TaskInstanceRow, heartbeatLimit: number): Promise<ClaimRecord | null> {
  // A try queued since the limit cannot have been claimed before it (give or take the milliseconds between
  // a claim and the commit that queued it): no dict read for it, which on Modal is a round trip per try.
  if (ti.queued_dttm && !(Date.parse(ti.queued_dttm) < heartbeatLimit)) return null;
  const claim = await ctx.dict.get<ClaimRecord>(claimKey(ti));
  if (!claim || claim.token !== ti.dispatch_token || !(Date.parse(claim.claimed_at) < heartbeatLimit)) return null;
  const record = await ctx.dict.get<TaskRecord>(taskKey(ti));
  return record?.status === 'QUEUED' && record.token === ti.dispatch_token ? claim : null;
}

async function failTry(ctx: TickContext, ti: TaskInstanceRow, error: string): Promise<void> {
  const run = await getDagRun(ctx.db, ti.dag_id, ti.run_id);
  if (!run) return;
  const loaded = await ctx.loadDag(ti.dag_id);
  await endDeadTry(ctx, ti);
  ctx.logger.warn('failing a stalled try', { dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, try_number: ti.try_number, error });
  await ctx.ensureLease();
  const state = await ctx.db.transaction((tx) =>
    recordTryOutcome(tx, {
      ti,
      task: loaded?.graph.tasks.get(ti.task_id),
      run,
      graph: loaded?.graph,
      outcome: { result: 'failed', start_date: ti.start_date, end_date: ctx.nowIso, error },
      now: ctx.nowIso,
      fromStates: [ti.state],
    }),
  );
  if (state === null) return;
  if (ti.external_executor_id) await cancelQuietly(ctx, ti.external_executor_id);
  // A late report of this try is stale from now on; deleting the records also stops a slow starter from
  // claiming it (the task function requires its QUEUED record).
  ctx.afterCommit(async () => {
    await ctx.dict.delete(taskKey(ti));
    await ctx.dict.delete(claimKey(ti));
  });
}

/**
 * Ends whatever still runs of the try (its operator's process group, recorded in the dispatch record) before
 * the try is failed and its retry can be dispatched: a zombie's work must never run beside, or after, the
 * next try's. Airflow does not do this for a task instance without heartbeat (it cannot reach a dead
 * worker's processes); it fails the try and retries it if retries remain, and so do we.
 */
async function endDeadTry(ctx: TickContext, ti: TaskInstanceRow): Promise<void> {
  if (!ctx.spawner.endTry) return;
  try {
    const record = await ctx.dict.get<TaskRecord>(taskKey(ti));
    if (record && record.token === ti.dispatch_token && record.try_number === ti.try_number) await ctx.spawner.endTry(record);
  } catch (error) {
    ctx.logger.warn('could not end a dead try', { key: taskKey(ti), error: (error as Error).message });
  }
}

export async function cancelQuietly(ctx: TickContext, callId: string): Promise<void> {
  try {
    await ctx.spawner.cancel(callId);
  } catch (error) {
    ctx.logger.warn('could not cancel a task function call', { call_id: callId, error: (error as Error).message });
  }
}
