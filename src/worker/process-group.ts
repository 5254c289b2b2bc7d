/**
 * Runs an operator's process in its own process group, so a timeout or an abort reaches everything it
 * started (`cmd & other`, pipelines, subshells), not just the leader. Output goes straight to the log
 * file's descriptor: nothing is buffered in memory and stdout/stderr stay interleaved as written.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { listProcesses, signalGroup } from '../process-table.js';
import { guardedCommand } from './parent-death-guard.js';

export interface ProcessGroupOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Receives both stdout and stderr. */
  outputFd: number;
  /** Seconds; null or <= 0 means no limit. */
  timeoutSeconds: number | null;
  /** SIGTERM first; SIGKILL after this grace (Airflow gives on_kill a few seconds too). */
  killGraceMs?: number;
  /** Stops the group early (the try's record was taken away from us). */
  abortSignal?: AbortSignal;
  /** Called with the group's id once it runs, so the try can record it (the tick ends a zombie's group). */
  onSpawn?: (pgid: number) => void;
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

export class ProcessStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProcessStartError';
  }
}

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

export function runProcessGroup(options: ProcessGroupOptions): Promise<ProcessGroupResult> {
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  return new Promise((resolve, reject) => {
    let child;
    try {
      // The group dies with this process (see parent-death-guard.ts): a killed task's work never runs on.
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
    const pgid = child.pid;
    if (pgid !== undefined) options.onSpawn?.(pgid);
    let timedOut = false;
    let aborted = false;
    let stopping: Promise<void> | null = null;
    const stop = () => {
      if (pgid !== undefined && stopping === null) stopping = stopGroup(pgid, graceMs);
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

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      options.abortSignal?.removeEventListener('abort', onAbort);
    };

    child.once('error', (error) => {
      cleanup();
      reject(new ProcessStartError(`Could not start ${options.command}: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      void (async () => {
        let strayProcessesStopped = false;
        if (stopping) await stopping;
        else if (pgid !== undefined && groupAlive(pgid)) {
          // The leader is done but something it started in the background is still running: a try owns
          // everything it starts, and a finished try must not leave processes behind.
          strayProcessesStopped = true;
          await stopGroup(pgid, graceMs);
        }
        const signalNumber = signal ? (os.constants.signals[signal] ?? 0) : 0;
        resolve({ exitCode: code ?? -signalNumber, signal, timedOut, aborted, strayProcessesStopped });
      })();
    });
  });
}
