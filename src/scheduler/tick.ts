/**
 * The tick (DESIGN.md data flow 2): one bounded scheduler pass. Every step is its own module, writes in short
 * transactions and is idempotent, so a crash at any line is repaired by the next tick. The local loop, the
 * Modal Period and `--until-idle` all call `runTick`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { countPendingWork } from '../db/queries/activity.js';
import { countDagRuns } from '../db/queries/dag-runs.js';
import { upsertJob } from '../db/queries/jobs.js';
import { dispatchScheduled } from '../executor/dispatch.js';
import { KEY_PREFIX, TICK_REQUESTED_KEY } from '../executor/protocol.js';
import { reconcileReports } from '../executor/reconcile.js';
import { failStalledTries } from '../executor/timeouts.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { Clock, StateDict, TaskSpawner, VolumeMount } from '../providers/ports.js';
import { completeFinishedBackfills } from './backfill.js';
import { applyCommands } from './commands.js';
import { createTickContext, LeaseLostError, SCHEDULER_LOCK } from './context.js';
import type { TickContext } from './context.js';
import { pruneCommandResults } from './housekeeping.js';
import { syncManifests } from './manifest-sync.js';
import { scheduleReadyTasks } from './readiness.js';
import { createScheduledRuns } from './run-creation.js';
import { finishRuns, startQueuedRuns, timeOutRuns } from './run-lifecycle.js';

export interface TickDeps {
  db: DatabaseBackend;
  dict: StateDict;
  spawner: TaskSpawner;
  clock: Clock;
  config: Config;
  /** Manifests are read from `${volume.root}/dags` (recursive, *.yaml|*.yml). */
  volume: VolumeMount;
  /** Lock owner id (hostname:pid:random). */
  owner: string;
  logger?: Logger;
  /**
   * Run one more pass when a tick was requested during this one (default true). A caller woken by every
   * request itself (the local scheduler loop) turns it off: otherwise each request costs it two passes.
   */
  fastFollow?: boolean;
}

export interface TickResult {
  /** False when the lock was held elsewhere (a tick request was recorded instead). */
  ran: boolean;
  /** True when the lease was lost mid-pass: the pass stopped before writing more. */
  leaseLost: boolean;
  /** Passes run: 1, or 2 when a tick was requested during the first (fast-follow). */
  passes: number;
  manifestsParsed: number;
  importErrors: number;
  commandsApplied: number;
  commandsFailed: number;
  reportsReconciled: number;
  zombies: number;
  queuedTimeouts: number;
  runsCreated: number;
  runsStarted: number;
  runsTimedOut: number;
  runsFinished: number;
  /** Backfills all of whose runs finished this pass (their completed_at was set). */
  backfillsCompleted: number;
  tasksScheduled: number;
  tasksSkipped: number;
  tasksUpstreamFailed: number;
  emptySucceeded: number;
  dispatched: number;
  adopted: number;
  spawnErrors: number;
  /** A tick was requested while this one ran, so it ran one more pass. */
  requestedAgain: boolean;
}

type Counters = Omit<TickResult, 'ran' | 'leaseLost' | 'passes' | 'requestedAgain'>;

function emptyCounters(): Counters {
  return {
    manifestsParsed: 0,
    importErrors: 0,
    commandsApplied: 0,
    commandsFailed: 0,
    reportsReconciled: 0,
    zombies: 0,
    queuedTimeouts: 0,
    runsCreated: 0,
    runsStarted: 0,
    runsTimedOut: 0,
    runsFinished: 0,
    backfillsCompleted: 0,
    tasksScheduled: 0,
    tasksSkipped: 0,
    tasksUpstreamFailed: 0,
    emptySucceeded: 0,
    dispatched: 0,
    adopted: 0,
    spawnErrors: 0,
  };
}

/** The lease outlives the longest tick: at least a minute, and three scheduler intervals. */
export function leaseMs(config: Config): number {
  return Math.max(60_000, 3 * config.scheduler.interval_seconds * 1000);
}

export function defaultOwner(): string {
  return `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
}

async function acquire(deps: TickDeps): Promise<boolean> {
  const take = () => deps.db.acquireLock(SCHEDULER_LOCK, { owner: deps.owner, ttlMs: leaseMs(deps.config), now: deps.clock.now() });
  try {
    return await take();
  } catch (error) {
    // A brand-new database has no lock table yet: migrate (safe concurrently) and try once more.
    deps.logger?.debug('taking the lease failed; migrating and retrying', { error: (error as Error).message });
    await deps.db.migrate();
    return take();
  }
}

export async function runTick(deps: TickDeps): Promise<TickResult> {
  const logger = deps.logger ?? silentLogger;
  const result: TickResult = { ran: false, leaseLost: false, passes: 0, requestedAgain: false, ...emptyCounters() };
  if (!(await acquire(deps))) {
    // Someone else is ticking: ask them for one more pass instead of waiting.
    await deps.dict.put(TICK_REQUESTED_KEY, deps.clock.now().toISOString());
    logger.debug('scheduler lease held elsewhere; recorded a tick request');
    return result;
  }
  result.ran = true;
  try {
    // Requests made before this pass starts are served by it.
    await deps.dict.delete(TICK_REQUESTED_KEY);
    add(result, await runPass(deps, logger));
    result.passes = 1;
    // Fast-follow, bounded: a request written during the pass gets exactly one more pass.
    if (deps.fastFollow !== false && (await deps.dict.get(TICK_REQUESTED_KEY)) !== undefined) {
      await deps.dict.delete(TICK_REQUESTED_KEY);
      result.requestedAgain = true;
      add(result, await runPass(deps, logger));
      result.passes = 2;
    }
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    result.leaseLost = true;
    logger.warn(error.message);
  } finally {
    try {
      await deps.db.releaseLock(SCHEDULER_LOCK);
    } catch (error) {
      logger.warn('could not release the scheduler lease; it will expire', { error: (error as Error).message });
    }
  }
  return result;
}

function add(into: Counters, from: Counters): void {
  for (const key of Object.keys(from) as Array<keyof Counters>) into[key] += from[key];
}

async function runPass(deps: TickDeps, logger: Logger): Promise<Counters> {
  const started = performance.now();
  const now = deps.clock.now();
  const ctx = createTickContext({
    db: deps.db,
    dict: deps.dict,
    spawner: deps.spawner,
    config: deps.config,
    logger,
    now,
    ensureLease: async () => {
      if (!(await deps.db.holdsLock(SCHEDULER_LOCK, deps.clock.now()))) throw new LeaseLostError();
    },
  });
  const c = emptyCounters();

  await deps.volume.reload();
  await deps.db.migrate();

  const manifests = await syncManifests(ctx, deps.volume.root);
  c.manifestsParsed = manifests.parsed;
  c.importErrors = manifests.failed;

  const commands = await applyCommands(ctx);
  c.commandsApplied = commands.applied;
  c.commandsFailed = commands.failed;
  await pruneCommandResults(ctx);

  const reports = await reconcileReports(ctx);
  c.reportsReconciled = reports.finished;
  const stalled = await failStalledTries(ctx);
  c.zombies = stalled.zombies;
  c.queuedTimeouts = stalled.queuedTimeouts;

  c.runsCreated = await createScheduledRuns(ctx);
  // Every step below works on queued or running runs only. With none (an idle environment, however many
  // DAGs it has) one count replaces their five queries: on Postgres each is a round trip.
  if ((await countDagRuns(ctx.db, { states: ['queued', 'running'] })) > 0) await runActiveRunSteps(ctx, c);
  // Outside the guard: a command that marked a backfill's last run (`runs set-state`) leaves no active
  // run, and the backfill still has to be marked completed.
  c.backfillsCompleted = await completeFinishedBackfills(ctx);

  await ctx.ensureLease();

  await upsertJob(deps.db, {
    job_type: 'SchedulerJob',
    state: 'running',
    start_date: now.toISOString(),
    latest_heartbeat: deps.clock.now().toISOString(),
    hostname: os.hostname(),
    last_duration: (performance.now() - started) / 1000,
  });
  await deps.volume.commit();
  // Only now are this pass's database changes durable everywhere: reports and commands may go.
  await ctx.flushAfterCommit();
  logger.debug('tick pass done', { ...c });
  return c;
}

/** Time-outs, starting queued runs, readiness, finishing runs and dispatch: the steps on active runs. */
async function runActiveRunSteps(ctx: TickContext, c: Counters): Promise<void> {
  c.runsTimedOut = await timeOutRuns(ctx);
  c.runsStarted = await startQueuedRuns(ctx);

  const ready = await scheduleReadyTasks(ctx);
  c.tasksScheduled = ready.scheduled;
  c.tasksSkipped = ready.skipped;
  c.tasksUpstreamFailed = ready.upstreamFailed;
  c.emptySucceeded = ready.emptySucceeded;
  c.runsFinished = await finishRuns(ctx, ready.stateCounts);

  const dispatch = await dispatchScheduled(ctx);
  c.dispatched = dispatch.dispatched;
  c.adopted = dispatch.adopted;
  c.spawnErrors = dispatch.spawnErrors;
}

/**
 * True when nothing will progress without new input: no commands or task records in the state dict, no
 * try in flight or waiting (in unpaused DAGs), no running run or startable queued run of an unpaused DAG,
 * and (given `now`) no scheduled run due. Paused DAGs' queued runs do not count: they wait for an unpause.
 */
export async function isIdle(db: DatabaseBackend, dict: StateDict, now: Date = new Date()): Promise<boolean> {
  if ((await dict.entries(KEY_PREFIX.command)).length > 0) return false;
  if ((await dict.entries(KEY_PREFIX.task)).length > 0) return false;
  const work = await countPendingWork(db, now.toISOString());
  return Object.values(work).every((n) => n === 0);
}
