/**
 * The tick (DESIGN.md data flow 2): one bounded scheduler pass. Every step is its own module, writes in short
 * transactions and is idempotent, so a crash at any line is repaired by the next tick. The local loop, the
 * Modal Period and `--until-idle` all call `runTick`.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Config } from '../config/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { countPendingWork, describePendingWork, listInFlightTries } from '../db/queries/activity.js';
import { countDagRuns } from '../db/queries/dag-runs.js';
import { upsertJob } from '../db/queries/jobs.js';
import { listRunsWithRetryDue } from '../db/queries/task-instances.js';
import { dispatchScheduled } from '../executor/dispatch.js';
import type { DispatchOptions } from '../executor/dispatch.js';
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
  /**
   * `full` (default): every step. `reports`: only what a finished try can change, for a caller that knows
   * the only news since its last pass are task reports (the local loop woken by its warm workers): record
   * the reports, decide readiness and finish in the runs they belong to, dispatch into the freed slots.
   * DAG files, commands, run creation, stalled tries, backfills and the job heartbeat wait for the next
   * full pass, which runs at once within this tick when the reports finished a run (see `ReportsPass`).
   * Runs with a retry due get readiness too, so a retry does not wait for the interval on a busy loop.
   */
  scope?: TickScope;
}

export type TickScope = 'full' | 'reports';

export interface TickResult {
  /** False when the lock was held elsewhere (a tick request was recorded instead). */
  ran: boolean;
  /** True when the lease was lost mid-pass: the pass stopped before writing more. */
  leaseLost: boolean;
  /**
   * Passes run: 1, or 2 when a tick was requested during the first (fast-follow) or a reports pass
   * finished a run and a full pass followed.
   */
  passes: number;
  /** One of the passes was a full one (the local loop times its next full pass from it). */
  fullPass: boolean;
  /**
   * The last pass finished a run: a full pass should follow now rather than at the interval, to start a
   * run queued behind `max_active_runs`, create the next scheduled run, complete a backfill. (Within a
   * reports tick that full pass already ran; the local loop runs one after a full pass that finished runs.)
   */
  fullPassNeeded: boolean;
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

type Counters = Omit<TickResult, 'ran' | 'leaseLost' | 'passes' | 'fullPass' | 'fullPassNeeded' | 'requestedAgain'>;

export function emptyCounters(): Counters {
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
  const result: TickResult = {
    ran: false,
    leaseLost: false,
    passes: 0,
    fullPass: false,
    fullPassNeeded: false,
    requestedAgain: false,
    ...emptyCounters(),
  };
  if (!(await acquire(deps))) {
    // Someone else is ticking: ask them for one more pass instead of waiting.
    await deps.dict.put(TICK_REQUESTED_KEY, deps.clock.now().toISOString());
    logger.debug('scheduler lease held elsewhere; recorded a tick request');
    return result;
  }
  result.ran = true;
  try {
    const full = async () => {
      const counters = await runPass(deps, logger);
      add(result, counters);
      result.passes++;
      result.fullPass = true;
      result.fullPassNeeded = counters.runsFinished > 0;
    };
    if (deps.scope === 'reports') {
      const pass = await runReportsPass(deps, logger);
      add(result, pass.counters);
      result.passes++;
      // What the reports changed reaches further than this pass looked: a full pass now, not at the interval.
      if (pass.needsFullPass) await full();
      return result;
    }
    // Requests made before this pass starts are served by it. (A reports pass leaves the request alone:
    // every finished try writes one, and only a full pass serves what else it may stand for.)
    await deps.dict.delete(TICK_REQUESTED_KEY);
    await full();
    // Fast-follow, bounded: a request written during the pass gets exactly one more pass.
    if (deps.fastFollow !== false && (await deps.dict.get(TICK_REQUESTED_KEY)) !== undefined) {
      await deps.dict.delete(TICK_REQUESTED_KEY);
      result.requestedAgain = true;
      await full();
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

function passContext(deps: TickDeps, logger: Logger, now: Date): TickContext {
  return createTickContext({
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
}

async function runPass(deps: TickDeps, logger: Logger): Promise<Counters> {
  const started = performance.now();
  const now = deps.clock.now();
  const ctx = passContext(deps, logger, now);
  const c = emptyCounters();

  await deps.volume.reload();
  await deps.db.migrate();

  const manifests = await syncManifests(ctx, deps.volume.root);
  c.manifestsParsed = manifests.parsed;
  c.importErrors = manifests.failed;
  // Everything below is stamped with when it happens, not with when the parse began.
  if (manifests.parsed > 0) ctx.advanceNow(deps.clock.now());

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
  if ((await countDagRuns(ctx.db, { states: ['queued', 'running'] })) > 0) await runActiveRunSteps(ctx, c, reports.unrecorded);
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
async function runActiveRunSteps(ctx: TickContext, c: Counters, unrecorded: DispatchOptions['unrecorded']): Promise<void> {
  c.runsTimedOut = await timeOutRuns(ctx);
  c.runsStarted = await startQueuedRuns(ctx);

  await scheduleAndFinish(ctx, c);
  // The full pass reads every run's dispatch order afresh: see DispatchQueue for what that bounds.
  await dispatchInto(ctx, c, { refresh: true, unrecorded });
}

/** Readiness, then finishing the runs it leaves done: in `only` these runs, else every running one. */
async function scheduleAndFinish(ctx: TickContext, c: Counters, only?: ReadonlySet<string>): Promise<void> {
  const options = only ? { only } : {};
  const ready = await scheduleReadyTasks(ctx, options);
  c.tasksScheduled = ready.scheduled;
  c.tasksSkipped = ready.skipped;
  c.tasksUpstreamFailed = ready.upstreamFailed;
  c.emptySucceeded = ready.emptySucceeded;
  c.runsFinished = await finishRuns(ctx, ready.stateCounts, options);
}

async function dispatchInto(ctx: TickContext, c: Counters, options: DispatchOptions): Promise<void> {
  const dispatch = await dispatchScheduled(ctx, options);
  c.dispatched = dispatch.dispatched;
  c.adopted = dispatch.adopted;
  c.spawnErrors = dispatch.spawnErrors;
}

/** A reports pass's counters, and whether what it changed needs a full pass now. */
interface ReportsPass {
  counters: Counters;
  /**
   * A run finished: that frees a `max_active_runs` slot (a queued run may start, a schedule may create the
   * next run) and may complete a backfill, all steps of the full pass only.
   */
  needsFullPass: boolean;
}

/**
 * The narrow pass for "tries finished": the same lease, the same order of steps and the same crash safety
 * (reports are deleted only after the volume commit), but only the steps a report can affect. Everything
 * it skips is idempotent and time- or input-driven, and the full pass, still run on every interval and on
 * every other wake-up, does it.
 */
async function runReportsPass(deps: TickDeps, logger: Logger): Promise<ReportsPass> {
  const ctx = passContext(deps, logger, deps.clock.now());
  await deps.volume.reload();
  // One commit for the whole pass where the backend gains from it (SQLite): a crash or a lost lease
  // before it undoes the pass, which the invariants already allow (reports are deleted only after the
  // commit, a dispatch the database never recorded is adopted).
  const c = deps.db.batch ? await deps.db.batch(() => reportsPassSteps(ctx)) : await reportsPassSteps(ctx);
  await deps.volume.commit();
  await ctx.flushAfterCommit();
  logger.debug('reports pass done', { ...c });
  return { counters: c, needsFullPass: c.runsFinished > 0 };
}

async function reportsPassSteps(ctx: TickContext): Promise<Counters> {
  const c = emptyCounters();
  const reports = await reconcileReports(ctx);
  c.reportsReconciled = reports.finished;
  // Readiness where a try finished, and where a retry fell due: a full pass would schedule that retry at
  // once, and a busy loop may not run one for a whole interval.
  const runs = new Set([...reports.finishedRuns, ...(await listRunsWithRetryDue(ctx.db, ctx.nowIso))]);
  if (runs.size > 0) await scheduleAndFinish(ctx, c, runs);
  await dispatchInto(ctx, c, { unrecorded: reports.unrecorded });
  await ctx.ensureLease();
  return c;
}

/**
 * What will still progress without new input, in words (empty when nothing will): commands or task records
 * in the state dict, tries in flight or waiting (in unpaused DAGs), running runs and startable queued runs
 * of unpaused DAGs, and (given `now`) scheduled runs due. Paused DAGs' queued runs do not count: they wait
 * for an unpause. In-flight tries are named, a few of them, since one that never settles is what keeps an
 * environment busy for good. Stops once it has `limit` reasons (an idle check needs one).
 */
export async function pendingWork(db: DatabaseBackend, dict: StateDict, now: Date = new Date(), limit = Infinity): Promise<string[]> {
  const reasons: string[] = [];
  const commands = (await dict.entries(KEY_PREFIX.command)).length;
  if (commands > 0) reasons.push(`${commands} commands waiting in the state dict`);
  if (reasons.length >= limit) return reasons;
  const records = await dict.entries(KEY_PREFIX.task);
  if (records.length > 0) reasons.push(`${records.length} task records in the state dict (${records[0]![0]}${records.length > 1 ? ', …' : ''})`);
  if (reasons.length >= limit) return reasons;
  const work = await countPendingWork(db, now.toISOString());
  reasons.push(...describePendingWork(work));
  if (reasons.length >= limit) return reasons;
  if (work.inFlightTries > 0) {
    const named = (await listInFlightTries(db, 3)).map((t) => `${t.dag_id}.${t.task_id}${t.map_index >= 0 ? `[${t.map_index}]` : ''} of ${t.run_id}, try ${t.try_number}, ${t.state}`);
    reasons.push(`in flight: ${named.join('; ')}${work.inFlightTries > named.length ? '; …' : ''}`);
  }
  return reasons;
}

/** True when nothing will progress without new input: pendingWork finds not even one reason. */
export async function isIdle(db: DatabaseBackend, dict: StateDict, now: Date = new Date()): Promise<boolean> {
  return (await pendingWork(db, dict, now, 1)).length === 0;
}
