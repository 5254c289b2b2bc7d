/**
 * Runs an operator's process in its own process group, so a timeout or an abort reaches everything it
 * started (`cmd & other`, pipelines, subshells), not just the leader. Output goes straight to the log
 * file: nothing is buffered in memory and stdout/stderr stay interleaved as written.
 *
 * The group also dies with this process, so a killed task's work never runs on (see forking-helper.ts):
 * this process's forking helper starts the command and SIGKILLs its group if this process dies. Where no
 * helper can run, the command is spawned from here under a per-start Python guard (parent-death-guard.ts),
 * and without one (or off Linux) unguarded; the tick still ends a dead try's recorded group before its retry
 * (providers/local/end-try.ts). Timeouts and aborts signal the group from here, by its id, in every case.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { listProcesses, readProcessStat, signalGroup } from '../process-table.js';
import { HelperUnavailableError, sharedForkingHelper, type LeaderExit } from './forking-helper.js';
import { guardedCommand } from './parent-death-guard.js';
import { ProcessStartError } from './process-start-error.js';

export interface ProcessGroupOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Receives both stdout and stderr. */
  outputFd: number;
  /**
   * The same file by name, for the forking helper, which opens it in the child with O_APPEND (so lines the
   * caller appends meanwhile interleave). Without it the helper opens the descriptor through /proc.
   */
  outputPath?: string;
  /** Seconds; null or <= 0 means no limit. */
  timeoutSeconds: number | null;
  /** SIGTERM first; SIGKILL after this grace (Airflow gives on_kill a few seconds too). */
  killGraceMs?: number;
  /** Stops the group early (the try's record was taken away from us). */
  abortSignal?: AbortSignal;
  /**
   * Called with the group's id once it runs, so the try can record it (the tick ends a zombie's group), and
   * the leader's start time (clock ticks since boot) that tells this group from a later one under the same
   * id. `exited`: the leader's exit was reported with its start (it ran for a moment); nothing is running
   * to announce, and what it may have left in its group is stopped below, like after any exit.
   */
  onSpawn?: (pgid: number, startTime: number | null, exited: boolean) => void;
}

export interface ProcessGroupResult {
  /** Exit code of the leader; for a leader killed by a signal, minus the signal number (as Python reports it). */
  exitCode: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** True when processes of the group outlived the leader and had to be stopped. */
  strayProcessesStopped: boolean;
}

export { ProcessStartError };

const DEFAULT_KILL_GRACE_MS = 5_000;
const GROUP_POLL_MS = 50;

/**
 * Pids of the group's members that still run. Zombies do not count: once dead, an orphan waits for PID 1
 * to reap it, which some container inits do slowly or never, and waiting for that would only stall us.
 * Reads /proc on Linux; elsewhere any member the kernel reports counts.
 */
function liveMembers(pgid: number): number[] {
  const processes = listProcesses();
  if (processes === null) return signalReaches(pgid) ? [pgid] : [];
  return processes.filter((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X').map((p) => p.pid);
}

function signalReaches(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while any process of the group is still running. */
export function groupAlive(pgid: number): boolean {
  return signalReaches(pgid) && liveMembers(pgid).length > 0;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the group is gone or `ms` passed; true if gone. */
async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await pause(GROUP_POLL_MS);
  }
  return true;
}

/** Several groups at once (a task process and its operators' groups): SIGTERM, the grace, SIGKILL, a brief wait. */
export async function stopGroups(pgids: readonly number[], graceMs: number): Promise<void> {
  for (const pgid of pgids) signalGroup(pgid, 'SIGTERM');
  const allGone = async (ms: number) => (await Promise.all(pgids.map((pgid) => waitGroupGone(pgid, ms)))).every(Boolean);
  if (await allGone(graceMs)) return;
  for (const pgid of pgids) if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  await allGone(1_000);
}

/** SIGTERM, wait the grace, SIGKILL, wait briefly for the kernel to reap. */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 1_000);
}

/** A started group leader, however it was started. */
interface Leader {
  pid: number;
  startTime: number | null;
  exited: Promise<LeaderExit>;
  /** The exit is known already: the command ended before its start was reported (see the helpers). */
  hasExited(): boolean;
  release(): void;
}

/**
 * Starts the command through this process's forking helper (forking-helper.ts). Where none can run, the
 * command is spawned from here, under the per-start guard where one exists (parent-death-guard.ts).
 */
async function startLeader(options: ProcessGroupOptions): Promise<Leader> {
  // A helper that could not come up is not tried again, so the next call offers the other kind (or none).
  for (let helper = sharedForkingHelper(); helper !== null; helper = sharedForkingHelper()) {
    try {
      return await helper.start({
        command: options.command,
        args: options.args,
        env: options.env,
        cwd: options.cwd,
        // Without a path, the helper's child opens our descriptor through /proc (the same file).
        outputPath: options.outputPath ?? `/proc/${process.pid}/fd/${options.outputFd}`,
      });
    } catch (error) {
      if (!(error instanceof HelperUnavailableError)) throw error;
    }
  }
  return spawnLeader(options);
}

function spawnLeader(options: ProcessGroupOptions): Promise<Leader> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      const guarded = guardedCommand(options.command, options.args);
      child = spawn(guarded.command, guarded.args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: ['ignore', options.outputFd, options.outputFd],
      });
    } catch (error) {
      reject(new ProcessStartError(`Could not start ${options.command}: ${(error as Error).message}`, { cause: error }));
      return;
    }
    const exited = new Promise<LeaderExit>((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    // Emitted instead of a pid when the spawn failed (once started, we never signal it through `child`).
    child.once('error', (error) => reject(new ProcessStartError(`Could not start ${options.command}: ${error.message}`, { cause: error })));
    // Still unreaped here (Node reaps on a later turn of the event loop), so /proc has its start time.
    if (child.pid !== undefined) {
      resolve({ pid: child.pid, startTime: readProcessStat(child.pid)?.startTime ?? null, exited, hasExited: () => false, release: () => {} });
    }
  });
}

export async function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupResult> {
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const leader = await startLeader(options);
  const pgid = leader.pid;
  try {
    options.onSpawn?.(pgid, leader.startTime, leader.hasExited());
    let timedOut = false;
    let aborted = false;
    let stopping: Promise<void> | null = null;
    const stop = () => {
      stopping ??= stopGroup(pgid, graceMs);
    };
    const timer =
      options.timeoutSeconds !== null && options.timeoutSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutSeconds * 1000)
        : null;
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.abortSignal?.aborted) onAbort();
    else options.abortSignal?.addEventListener('abort', onAbort, { once: true });

    let exit: LeaderExit;
    try {
      exit = await leader.exited;
    } finally {
      if (timer) clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
    }
    let strayProcessesStopped = false;
    if (stopping) await stopping;
    // The helper says so when it already looked (an empty group cannot gain members again).
    else if (!exit.groupEmpty && groupAlive(pgid)) {
      // The leader is done but something it started in the background is still running: a try owns
      // everything it starts, and a finished try must not leave processes behind.
      strayProcessesStopped = true;
      await stopGroup(pgid, graceMs);
    }
    const signalNumber = exit.signalNumber ?? (exit.signal ? (os.constants.signals[exit.signal] ?? 0) : 0);
    return { exitCode: exit.code ?? -signalNumber, signal: exit.signal, timedOut, aborted, strayProcessesStopped };
  } finally {
    leader.release();
  }
}
