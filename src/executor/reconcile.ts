/**
 * Step 5 of the tick: read the task functions' reports (`task:*` records) into the database.
 *
 * A record counts only when its try is the task instance's current try and the task instance is in flight
 * (queued or running). A record for the current try of a `scheduled` task instance is a dispatch the
 * database never recorded (a crash between putIfAbsent and commit): it is left for dispatch to adopt.
 * Every other record is stale (an older try, a cleared or already-reconciled try) and is deleted.
 *
 * Invariant: a final report and its claim are deleted only after the transaction recording them committed;
 * a crash in between replays the same report next tick, and the conditioned updates make that a no-op.
 */
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { getDagRun } from '../db/queries/dag-runs.js';
import { getTaskInstance, runKey, updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { TickContext } from '../scheduler/context.js';
import { IN_FLIGHT_STATES, recordTryOutcome } from '../scheduler/task-outcome.js';
import type { TryOutcome } from '../scheduler/task-outcome.js';
import { claimKey, FINAL_STATUSES, KEY_PREFIX } from './protocol.js';
import type { TaskRecord } from './protocol.js';

export interface ReconcileResult {
  /** Final reports written to the database (and then deleted). */
  finished: number;
  /** Tries moved to (or refreshed as) running. */
  running: number;
  /** Stale records deleted. */
  stale: number;
  /** Runs (`runKey`) in which a try finished: the only ones whose readiness or state a report can change. */
  finishedRuns: Set<string>;
  /**
   * Records of the current try of a `scheduled` task instance (a dispatch the database never recorded),
   * left for dispatch to adopt.
   */
  unrecorded: Array<[string, TaskRecord]>;
}

export async function deleteReport(ctx: TickContext, record: TaskRecord, key: string): Promise<void> {
  await ctx.dict.delete(key);
  await ctx.dict.delete(claimKey(record));
}

export function isTaskRecord(value: unknown): value is TaskRecord {
  const r = value as Partial<TaskRecord> | null;
  return !!r && typeof r === 'object' && typeof r.dag_id === 'string' && typeof r.task_id === 'string' &&
    typeof r.run_id === 'string' && typeof r.try_number === 'number' && typeof r.status === 'string';
}

/**
 * Whether a report speaks for the task instance as it stands: the same try, still queued or running.
 * The tick records only such reports; readers that show reports before a tick (`tasks list`) use the same rule.
 */
export function reportCounts(ti: Pick<TaskInstanceRow, 'try_number' | 'state'> | undefined, record: Pick<TaskRecord, 'try_number'>): boolean {
  return ti !== undefined && ti.try_number === record.try_number && IN_FLIGHT_STATES.includes(ti.state);
}

export async function reconcileReports(ctx: TickContext): Promise<ReconcileResult> {
  const result: ReconcileResult = { finished: 0, running: 0, stale: 0, finishedRuns: new Set(), unrecorded: [] };
  const runs = new Map<string, DagRunRow | undefined>();
  const runOf = async (dagId: string, runId: string) => {
    const k = `${dagId}\u0000${runId}`;
    if (!runs.has(k)) runs.set(k, await getDagRun(ctx.db, dagId, runId));
    return runs.get(k);
  };

  for (const [key, record] of await ctx.dict.entries<unknown>(KEY_PREFIX.task)) {
    if (!isTaskRecord(record)) {
      ctx.logger.warn('deleting a malformed task record', { key });
      await ctx.dict.delete(key);
      result.stale++;
      continue;
    }
    const ti = await getTaskInstance(ctx.db, { ...record, map_index: record.map_index ?? -1 });
    if (ti && ti.try_number === record.try_number && ti.state === 'scheduled') {
      result.unrecorded.push([key, record]); // dispatch adopts it
      continue;
    }
    if (!ti || !reportCounts(ti, record)) {
      await ctx.ensureLease();
      await deleteReport(ctx, record, key);
      result.stale++;
      continue;
    }

    if (record.status === 'RUNNING') {
      if (await markRunning(ctx, ti, record)) result.running++;
    } else if (FINAL_STATUSES.has(record.status)) {
      const run = await runOf(ti.dag_id, ti.run_id);
      if (!run) continue; // cannot happen: task instances cascade with their run
      const loaded = await ctx.loadDag(ti.dag_id);
      await ctx.ensureLease();
      await ctx.db.transaction((tx) =>
        recordTryOutcome(tx, {
          ti,
          task: loaded?.graph.tasks.get(ti.task_id),
          run,
          graph: loaded?.graph,
          outcome: outcomeOf(record, ctx.nowIso),
          now: ctx.nowIso,
        }),
      );
      // The report goes only once the outcome is durable (after the pass's volume commit).
      ctx.afterCommit(() => deleteReport(ctx, record, key));
      result.finished++;
      result.finishedRuns.add(runKey(ti.dag_id, ti.run_id));
    }
  }
  return result;
}

function outcomeOf(record: TaskRecord, now: string): TryOutcome {
  const result = record.status === 'SUCCESS' ? 'success' : record.status === 'SKIPPED' ? 'skipped' : 'failed';
  return {
    result,
    start_date: record.started_at ?? null,
    end_date: record.ended_at ?? now,
    hostname: record.hostname ?? null,
    pid: record.pid ?? null,
    external_executor_id: record.call_id ?? null,
    error: record.error ?? (result === 'failed' && record.exit_code != null ? `exit code ${record.exit_code}` : null),
    no_retry: record.no_retry ?? false,
    follow_task_ids: record.follow_task_ids,
    short_circuit: record.short_circuit,
  };
}

async function markRunning(ctx: TickContext, ti: TaskInstanceRow, record: TaskRecord): Promise<boolean> {
  const startDate = record.started_at ?? ti.start_date ?? ctx.nowIso;
  const heartbeat = record.heartbeat_at ?? record.started_at ?? ctx.nowIso;
  if (ti.state === 'running' && ti.last_heartbeat_at === heartbeat && ti.start_date === startDate) return false;
  await ctx.ensureLease();
  return updateTaskInstance(
    ctx.db,
    ti.id,
    {
      state: 'running',
      start_date: startDate,
      end_date: null,
      last_heartbeat_at: heartbeat,
      hostname: record.hostname ?? ti.hostname,
      pid: record.pid ?? ti.pid,
      external_executor_id: record.call_id ?? ti.external_executor_id,
      updated_at: ctx.nowIso,
    },
    { states: IN_FLIGHT_STATES, tryNumber: ti.try_number },
  );
}
