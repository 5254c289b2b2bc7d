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
import { getDagRun } from '../db/queries/dag-runs.js';
import { countActiveTaskInstancesByRun, countTaskInstances, listTaskInstances, runKey, updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { TickContext } from '../scheduler/context.js';
import { dagRows } from '../scheduler/run-lifecycle.js';
import { buildTaskPayload } from './payload.js';
import { claimKey, taskIdentity, taskKey } from './protocol.js';
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
  order: number;
}

export async function dispatchScheduled(ctx: TickContext): Promise<DispatchResult> {
  const result: DispatchResult = { dispatched: 0, adopted: 0, respawned: 0, spawnErrors: 0 };
  const candidates = await collectCandidates(ctx);
  if (candidates.length === 0) return result;

  const existing = await ctx.dict.getMany<TaskRecord>(candidates.map((c) => taskKey(c.ti)));
  const fresh: Candidate[] = [];
  // Adopt first and regardless of limits: those tries are already out there.
  for (const candidate of candidates) {
    const record = existing.get(taskKey(candidate.ti));
    if (record) await adopt(ctx, candidate, record, result);
    else fresh.push(candidate);
  }

  let active = await countTaskInstances(ctx.db, { states: ['queued', 'running'] });
  const activeByRun = await countActiveTaskInstancesByRun(ctx.db);
  for (const candidate of fresh) {
    if (active >= ctx.config.executor.parallelism) break;
    const loaded = await ctx.loadDag(candidate.ti.dag_id);
    if (!loaded) continue;
    const rk = runKey(candidate.run.dag_id, candidate.run.run_id);
    const inRun = activeByRun.get(rk) ?? 0;
    if (inRun >= loaded.spec.max_active_tasks) continue;
    if (await dispatchOne(ctx, candidate, result)) {
      active++;
      activeByRun.set(rk, inRun + 1);
    }
  }
  return result;
}

/** Scheduled tries of running runs of unpaused DAGs, oldest run first, then in the DAG's task order. */
async function collectCandidates(ctx: TickContext): Promise<Candidate[]> {
  const dagOf = dagRows(ctx);
  const runs = new Map<string, DagRunRow | undefined>();
  const out: Candidate[] = [];
  for (const ti of await listTaskInstances(ctx.db, { states: ['scheduled'] })) {
    const dag = await dagOf(ti.dag_id);
    if (!dag || dag.is_paused) continue;
    const rk = runKey(ti.dag_id, ti.run_id);
    if (!runs.has(rk)) runs.set(rk, await getDagRun(ctx.db, ti.dag_id, ti.run_id));
    const run = runs.get(rk);
    if (!run || run.state !== 'running') continue;
    const loaded = await ctx.loadDag(ti.dag_id);
    const order = loaded?.graph.order.get(ti.task_id);
    if (order === undefined) continue;
    out.push({ ti, run, order });
  }
  return out.sort(
    (a, b) => a.run.run_after.localeCompare(b.run.run_after) || a.run.id - b.run.id || a.order - b.order,
  );
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
    if (current) await adopt(ctx, { ti, run, order: 0 }, current, result);
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
