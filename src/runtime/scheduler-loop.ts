/**
 * The local scheduler loop (`airflow-serverless scheduler --env dev`): a daemon around the one-pass tick
 * (STYLE 8). It ticks every `scheduler.interval_seconds` and at once when woken (a task finished and asked
 * for a tick, the CLI queued a command). A wake-up that only brings task reports from its warm workers
 * gets the narrow reports pass (`scope: 'reports'`); the interval and every other wake-up get a full
 * pass. It never dies on an error: it logs, backs off with jitter and
 * tries again with a freshly opened database. On stop it waits a bounded time for its task processes,
 * then leaves them running: they report through the state dict, and the next tick reconciles them (or,
 * if they died, treats them as zombies).
 */
import os from 'node:os';
import type { Config } from '../config/model.js';
import { processLeaseOwner } from '../db/lease-owner.js';
import type { Logger } from '../logger.js';
import { listenForWake } from '../providers/local/wake.js';
import type { TickResult } from '../scheduler/tick.js';
import { LocalRuntime } from './local-runtime.js';

export interface SchedulerLoopOptions {
  env: string;
  config: Config;
  home?: string;
  logger: Logger;
  /** Default: `config.scheduler.interval_seconds`. */
  intervalSeconds?: number;
  /** Return as soon as nothing is queued, running or in flight (after at least one tick). */
  untilIdle?: boolean;
  /** Return after this many seconds (the tick in progress finishes first). */
  timeoutSeconds?: number | null;
  /** Aborting stops the loop cleanly. */
  signal?: AbortSignal;
  /** Warm task processes to keep (default: min(parallelism, cores, 4)); 0 starts a process per try. */
  warmWorkers?: number;
  /** How long a stop waits for running task processes. Default 10 s. */
  shutdownGraceMs?: number;
  onTick?: (result: TickResult, tickNumber: number) => void;
}

export type LoopExit = 'idle' | 'timeout' | 'stopped';

export interface SchedulerLoopResult {
  exit: LoopExit;
  ticks: number;
  failedTicks: number;
  /** Task processes still running when the loop returned (left to finish on their own). */
  leftRunning: number;
  /** With `untilIdle`, when the timeout came first: what was still to do at that moment, in words (else empty). */
  pendingWork: string[];
}

const MAX_BACKOFF_MS = 60_000;

/** Exponential backoff from the interval, capped, with ±50% jitter so restarted loops don't beat in step. */
export function backoffDelayMs(intervalMs: number, consecutiveFailures: number, random: () => number = Math.random): number {
  const exponent = Math.min(consecutiveFailures - 1, 16);
  const base = Math.min(Math.max(MAX_BACKOFF_MS, intervalMs), intervalMs * 2 ** exponent);
  return Math.round(base * (0.5 + random()));
}

export async function runSchedulerLoop(options: SchedulerLoopOptions): Promise<SchedulerLoopResult> {
  const { logger } = options;
  const intervalMs = Math.max(0.05, options.intervalSeconds ?? options.config.scheduler.interval_seconds) * 1000;
  const deadline = options.timeoutSeconds != null ? Date.now() + options.timeoutSeconds * 1000 : Infinity;

  // Wake-ups arriving while a tick runs are remembered, so the next pass starts without waiting. Each
  // says whether it needs a full pass: a warm worker's tick request (a try finished) or a task process
  // exit only brings task reports, which the narrow reports pass serves; the wake socket (CLI commands,
  // uploads, cold tries) and anything else asks for a full one.
  let pendingWake = false;
  let pendingFull = true; // the first pass is a full one
  let wakeSleeper: (() => void) | null = null;
  const wake = (full: boolean): void => {
    pendingWake = true;
    if (full) pendingFull = true;
    wakeSleeper?.();
  };
  const wakeForReports = (): void => wake(false);
  const onAbort = (): void => wakeSleeper?.();
  options.signal?.addEventListener('abort', onAbort);

  const runtime = new LocalRuntime({
    env: options.env,
    // A loop (or one-shot tick) started after this one was killed takes its lease over at once: the owner
    // names this process, which a later process on this host can prove gone.
    owner: processLeaseOwner('scheduler-loop'),
    config: options.config,
    logger,
    // A try that reported asked for a tick itself, and one that died is found by its heartbeat, not by a
    // pass now: waking on every exit only bought an empty pass per try. What does wait on exits is the
    // idle check of `--until-idle`, which needs every task process gone.
    onTaskProcessExit: () => {
      if (runtime.spawner.inFlight().length === 0) wakeForReports();
    },
    onTickRequested: wakeForReports,
    warmWorkers:
      options.warmWorkers ?? Math.min(options.config.executor.parallelism, Math.max(2, Math.min(4, os.availableParallelism()))),
    ...(options.home !== undefined ? { home: options.home } : {}),
  });
  let listener;
  try {
    listener = await listenForWake(runtime.paths, () => wake(true));
  } catch (error) {
    await runtime.close();
    throw error;
  }

  runtime.spawner.startWarmWorkers();
  let ticks = 0;
  let failedTicks = 0;
  let consecutiveFailures = 0;
  // The full pass runs at least every interval, however busy the narrow passes keep the loop.
  let lastFullAt = -Infinity;
  let exit: LoopExit = 'stopped';
  try {
    while (true) {
      if (options.signal?.aborted) break;
      if (Date.now() >= deadline) {
        exit = 'timeout';
        break;
      }
      const startedAt = Date.now();
      const scope = pendingFull || startedAt - lastFullAt >= intervalMs ? 'full' : 'reports';
      pendingWake = false;
      pendingFull = false;
      let delayMs = intervalMs;
      try {
        // A request made during the tick also woke us (pendingWake): the next iteration serves it, so the
        // tick's own fast-follow pass would be a second pass for the same request.
        const result = await runtime.tick({ fastFollow: false, scope });
        ticks++;
        consecutiveFailures = 0;
        if (result.fullPass) lastFullAt = startedAt;
        else if (scope === 'full') pendingFull = true; // the lease was elsewhere (or lost): the full pass is still owed
        if (result.fullPassNeeded) wake(true); // a run finished: the next one may start now
        // Sleep until the next full pass is due; after a full pass that could not run, one interval.
        delayMs = result.fullPass || scope === 'reports' ? Math.max(0, lastFullAt + intervalMs - Date.now()) : intervalMs;
        options.onTick?.(result, ticks);
        if (options.untilIdle && !pendingWake && (await runtime.idle())) {
          exit = 'idle';
          break;
        }
      } catch (error) {
        failedTicks++;
        consecutiveFailures++;
        pendingFull = true;
        delayMs = backoffDelayMs(intervalMs, consecutiveFailures);
        logger.error('tick failed; retrying', {
          error: error instanceof Error ? error.message : String(error),
          retry_in_ms: delayMs,
        });
        await runtime.resetDatabase();
      }
      if (pendingWake && consecutiveFailures === 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, Math.min(delayMs, deadline - Date.now())));
        function done(): void {
          clearTimeout(timer);
          wakeSleeper = null;
          resolve();
        }
        wakeSleeper = done;
        if (pendingWake || options.signal?.aborted) done();
      });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await listener.close();
  }

  // Said only when it matters (the idle check above stops at its first finding, which a busy loop needs), and
  // as it stood at the timeout, before the wait for running tasks below.
  const pending = options.untilIdle && exit === 'timeout' ? await runtime.pendingWork().catch((error: unknown) => [`could not tell (${(error as Error).message})`]) : [];
  let leftRunning = runtime.spawner.inFlight().length;
  if (leftRunning > 0 && exit !== 'idle') {
    logger.info('waiting for running tasks', { count: leftRunning });
    await runtime.spawner.waitForChildren(options.shutdownGraceMs ?? 10_000);
    leftRunning = runtime.spawner.inFlight().length;
    if (leftRunning > 0) logger.warn('leaving tasks running; the next tick picks up their reports', { count: leftRunning });
  }
  await runtime.close();
  return { exit, ticks, failedTicks, leftRunning, pendingWork: pending };
}
