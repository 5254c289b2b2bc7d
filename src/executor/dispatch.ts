/**
 * Step 8: hand `scheduled` tries to task functions, within `executor.parallelism` (queued + running tries of
 * the whole environment) and each DAG's `max_active_tasks` per run (Airflow 3).
 *
 * Invariant: a try is spawned at most once. The dispatch record is written with putIfAbsent BEFORE the spawn;
 * only the writer that created it spawns. When the record already exists (a tick crashed after writing it
 * and before committing `queued`), the try is adopted: the database takes the record's token, and if no task
 * function has claimed the try and the record is still QUEUED, it is spawned again with the SAME token. That
 * second spawn is safe: the task function claims its try with putIfAbsent, so at most one of them runs it.
 * A spawn that throws leaves the task instance `scheduled` and deletes the record, so the next tick retries.
 */
import { randomUUID } from 'node:crypto';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { listDagRuns } from '../db/queries/dag-runs.js';
import {
  countActiveTaskInstancesByRun,
  getTaskInstance,
  listTaskInstancesByIds,
  runKey,
  updateTaskInstance,
} from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { LoadedDag, TickContext } from '../scheduler/context.js';
import { dagRows, runIsHeld } from '../scheduler/run-lifecycle.js';
import { DispatchQueue } from './dispatch-queue.js';
import { buildTaskPayload } from './payload.js';
import { claimKey, KEY_PREFIX, taskIdentity, taskKey } from './protocol.js';
import type { TaskRecord } from './protocol.js';

export interface DispatchResult {
  /** Tries spawned for the first time. */
  dispatched: number;
  /** Records found already written and taken over (including re-spawns of unclaimed ones). */
  adopted: number;
  /** Of the adopted, how many were spawned again because nobody had claimed them. */
  respawned: number;
  /** Spawns that threw. */
  spawnErrors: number;
}

interface Candidate {
  ti: TaskInstanceRow;
  run: DagRunRow;
}

/** A running run of an unpaused DAG whose parse is known: the only runs whose tries may go out. */
interface EligibleRun {
  run: DagRunRow;
  loaded: LoadedDag;
}

export interface DispatchOptions {
  /**
   * Rebuild every run's dispatch queue from the database rather than trust the kept one (full passes do,
   * which bounds how long a change made by another process can go unseen; see DispatchQueue).
   */
  refresh?: boolean;
  /**
   * The records reconcile found for the current try of a `scheduled` task instance, when it ran in this
   * pass: the only candidates for adoption, so dispatch need not walk the state dict again.
   */
  unrecorded?: ReadonlyArray<readonly [string, TaskRecord]>;
}

export async function dispatchScheduled(ctx: TickContext, options: DispatchOptions = {}): Promise<DispatchResult> {
  const result: DispatchResult = { dispatched: 0, adopted: 0, respawned: 0, spawnErrors: 0 };
  const runs = await eligibleRuns(ctx);
  if (runs.length === 0) return result;
  // Adopt first and regardless of limits: those tries are already out there.
  await adoptUnrecordedDispatches(ctx, runs, result, options.unrecorded);
  // Dropped up front, not only where a slot is free: a queue kept through a full pass without room would
  // escape the refresh that bounds its staleness. Queues of runs that ended go with them.
  if (options.refresh) for (const { loaded } of runs) loaded.dispatchQueues.clear();

  const { parallelism } = ctx.config.executor;
  // One aggregate answers both limits: the environment's in-flight tries are the sum over its runs.
  const activeByRun = await countActiveTaskInstancesByRun(ctx.db);
  let active = [...activeByRun.values()].reduce((a, b) => a + b, 0);
  if (active >= parallelism) return result;
  for (const { run, loaded } of runs) {
    const rk = runKey(run.dag_id, run.run_id);
    let inRun = activeByRun.get(rk) ?? 0;
    const room = () => Math.min(parallelism - active, loaded.spec.max_active_tasks - inRun);
    if (room() <= 0) continue;
    const queue = await queueOf(ctx, run, loaded);
    // Only the few tries that go out now are read in full. `next` counts the tries looked at and left in
    // the queue (a spawn that failed stays for the next pass); the ones sent leave it.
    let next = 0;
    let moved = false;
    while (room() > 0 && next < queue.size) {
      const batch = queue.peek(next, room());
      next += batch.length;
      const rows = new Map((await listTaskInstancesByIds(ctx.db, batch.map((ti) => ti.id))).map((ti) => [ti.id, ti]));
      for (const { id } of batch) {
        const ti = rows.get(id);
        if (!ti || ti.state !== 'scheduled') {
          moved = true; // changed behind the queue's back: read it afresh next time
          continue;
        }
        if (room() <= 0) continue;
        if (await dispatchOne(ctx, { ti, run }, result)) {
          queue.remove(id);
          next--;
          active++;
          inRun++;
        }
      }
    }
    if (moved) loaded.dispatchQueues.delete(rk);
    activeByRun.set(rk, inRun);
    if (active >= parallelism) break;
  }
  return result;
}

/** The run's kept dispatch queue while it is current, else one read afresh (and kept). */
async function queueOf(ctx: TickContext, run: DagRunRow, loaded: LoadedDag): Promise<DispatchQueue> {
  const rk = runKey(run.dag_id, run.run_id);
  const kept = loaded.dispatchQueues.get(rk);
  if (kept && (await kept.isCurrent(ctx.db, run))) return kept;
  const fresh = await DispatchQueue.load(ctx.db, run, loaded.graph);
  loaded.dispatchQueues.set(rk, fresh);
  return fresh;
}

/** Running runs of unpaused DAGs, oldest first (`run_after`, then id): the order their tries go out in. */
async function eligibleRuns(ctx: TickContext): Promise<EligibleRun[]> {
  const dagOf = dagRows(ctx);
  const out: EligibleRun[] = [];
  for (const run of await listDagRuns(ctx.db, { states: ['running'] })) {
    const dag = await dagOf(run.dag_id);
    if (!dag || runIsHeld(dag, run)) continue;
    const loaded = await ctx.loadDag(run.dag_id);
    if (loaded) out.push({ run, loaded });
  }
  return out.sort((a, b) => a.run.run_after.localeCompare(b.run.run_after) || a.run.id - b.run.id);
}

/**
 * Dispatch records the database does not know yet: the current try of a `scheduled` task instance already
 * has its record (a tick crashed between putIfAbsent and committing `queued`). The state dict holds only
 * in-flight records, so walking them is cheaper than looking up every scheduled try; when reconcile walked
 * them this pass, its list of such records is all there is to look at.
 */
async function adoptUnrecordedDispatches(
  ctx: TickContext,
  runs: readonly EligibleRun[],
  result: DispatchResult,
  unrecorded?: ReadonlyArray<readonly [string, Partial<TaskRecord>]>,
): Promise<void> {
  const byRun = new Map(runs.map((r) => [runKey(r.run.dag_id, r.run.run_id), r]));
  for (const [key, record] of unrecorded ?? (await ctx.dict.entries<Partial<TaskRecord>>(KEY_PREFIX.task))) {
    if (typeof record?.dag_id !== 'string' || typeof record.run_id !== 'string' || typeof record.task_id !== 'string') continue;
    if (typeof record.try_number !== 'number' || typeof record.token !== 'string') continue;
    const eligible = byRun.get(runKey(record.dag_id, record.run_id));
    if (!eligible || !eligible.loaded.graph.order.has(record.task_id)) continue;
    const ti = await getTaskInstance(ctx.db, { dag_id: record.dag_id, task_id: record.task_id, run_id: record.run_id, map_index: record.map_index ?? -1 });
    if (!ti || ti.state !== 'scheduled' || taskKey(ti) !== key) continue;
    await adopt(ctx, { ti, run: eligible.run }, record as TaskRecord, result);
    // It left `scheduled` without going through the queue.
    eligible.loaded.dispatchQueues.delete(runKey(record.dag_id, record.run_id));
  }
}

async function dispatchOne(ctx: TickContext, { ti, run }: Candidate, result: DispatchResult): Promise<boolean> {
  const loaded = await ctx.loadDag(ti.dag_id);
  const task = loaded?.graph.tasks.get(ti.task_id);
  if (!loaded || !task) return false;
  const token = randomUUID();
  const identity = taskIdentity(ti);
  const record: TaskRecord = { ...identity, status: 'QUEUED', token, queued_at: ctx.nowIso };
  const key = taskKey(identity);

  await ctx.ensureLease();
  if (!(await ctx.dict.putIfAbsent(key, record))) {
    // Written between our read and now: someone else owns this dispatch; adopt what is there.
    const current = await ctx.dict.get<TaskRecord>(key);
    if (current) await adopt(ctx, { ti, run }, current, result);
    return current !== undefined;
  }
  let callId: string;
  try {
    callId = await ctx.spawner.spawn(buildTaskPayload({ ti, run, spec: loaded.spec, task, token, config: ctx.config }));
  } catch (error) {
    result.spawnErrors++;
    ctx.logger.error('spawn failed; the try stays scheduled for the next tick', { key, error: (error as Error).message });
    await ctx.dict.delete(key);
    return false;
  }
  await markQueued(ctx, ti, token, callId, ctx.nowIso);
  result.dispatched++;
  return true;
}

async function adopt(ctx: TickContext, { ti, run }: Candidate, record: TaskRecord, result: DispatchResult): Promise<void> {
  result.adopted++;
  let callId: string | null = record.call_id ?? null;
  let queuedAt = record.queued_at;
  if (record.status === 'QUEUED' && (await ctx.dict.get(claimKey(record))) === undefined) {
    const loaded = await ctx.loadDag(ti.dag_id);
    const task = loaded?.graph.tasks.get(ti.task_id);
    if (loaded && task) {
      await ctx.ensureLease();
      try {
        callId = await ctx.spawner.spawn(buildTaskPayload({ ti, run, spec: loaded.spec, task, token: record.token, config: ctx.config }));
        result.respawned++;
        queuedAt = ctx.nowIso; // the queued timeout counts from this spawn
      } catch (error) {
        result.spawnErrors++;
        ctx.logger.error('re-spawn of an adopted try failed; the queued timeout will settle it', {
          key: taskKey(ti),
          error: (error as Error).message,
        });
      }
    }
  }
  ctx.logger.info('adopted a dispatch record the database did not know', { key: taskKey(ti), status: record.status });
  await markQueued(ctx, ti, record.token, callId, queuedAt);
}

async function markQueued(ctx: TickContext, ti: TaskInstanceRow, token: string, callId: string | null, queuedAt: string): Promise<void> {
  await ctx.ensureLease();
  await updateTaskInstance(
    ctx.db,
    ti.id,
    { state: 'queued', queued_dttm: queuedAt, dispatch_token: token, external_executor_id: callId, updated_at: ctx.nowIso },
    { states: ['scheduled'], tryNumber: ti.try_number },
  );
}
