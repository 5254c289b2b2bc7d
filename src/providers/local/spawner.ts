/**
 * The local TaskSpawner: one child process per try, running the task entry (`dist/runtime/task-main.js`).
 * Each child leads its own process group (so `cancel` reaches the operator's subprocesses too) and is
 * detached from the spawner's lifetime: a scheduler loop that dies, or a one-shot `tick` command that
 * returns, leaves running tries to finish and report through the state dict. The payload travels in a
 * file, which survives the parent exiting before the child has read it.
 */
import { spawn as spawnProcess } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskPayload, TaskRecord } from '../../executor/protocol.js';
import { TICK_REQUESTED_KEY } from '../../executor/protocol.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import { readProcessStat } from '../../process-table.js';
import { pythonExecutable } from '../../python-package.js';
import { operatorGroupLeaders } from '../../runtime/child-groups.js';
import type { WarmWorkerMessage } from '../../runtime/warm-worker.js';
import { taskBaseEnvironment } from '../../task-environment.js';
import { stopGroups } from '../../worker/process-group.js';
import type { StateDict, TaskSpawner } from '../ports.js';
import { endRecordedOperatorGroup } from './end-try.js';
import { pruneStalePayloads, rotateProcessLog } from './housekeeping.js';
import type { LocalEnvironmentPaths } from './paths.js';
import { wakeScheduler } from './wake.js';

/** The compiled task entry, next to this module in dist/. */
export const TASK_MAIN_PATH = fileURLToPath(new URL('../../runtime/task-main.js', import.meta.url));
/** The compiled warm worker entry. */
export const WARM_WORKER_PATH = fileURLToPath(new URL('../../runtime/warm-worker.js', import.meta.url));

export interface LocalTaskSpawnerOptions {
  paths: LocalEnvironmentPaths;
  /** `executor.parallelism`: at most this many children of this spawner run at once; `spawn` waits for a slot. */
  parallelism: number;
  /** The state dict, for `requestTick`. */
  dict: StateDict;
  /**
   * The program and leading arguments of a task process; the spawner appends `--env <env> --payload <file>`.
   * Default: this Node binary running TASK_MAIN_PATH.
   */
  command?: readonly string[];
  /**
   * Warm workers to keep ready (default 0: a fresh process per try). A warm worker is a task process with
   * the code loaded, taking one try at a time over IPC; worth it for a long-lived scheduler loop, where it
   * saves a Node start and module loading on every hop. Tries beyond the idle warm workers start cold.
   */
  warmWorkers?: number;
  /** Program and leading arguments of a warm worker; `--env <env>` is appended. Default: WARM_WORKER_PATH. */
  warmCommand?: readonly string[];
  /** Extra environment for children (the home is always passed on). */
  childEnv?: NodeJS.ProcessEnv;
  /**
   * Called when a warm worker's try asks for a tick (default: the environment's wake socket). The request
   * arrives with the try's `done` and is not written to the dict: the loop that owns this spawner serves it.
   */
  onTickRequested?: () => void;
  /** Called when a child exits, whatever the reason, and when a warm worker finishes a try. */
  onChildExit?: (callId: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /** How long a cancelled try gets to stop after SIGTERM before SIGKILL (default 5 s). */
  cancelGraceMs?: number;
  logger?: Logger;
}

interface WarmWorker {
  child: ChildProcess;
  pid: number;
  ready: boolean;
  /** The call id of the try it runs, or null when idle. */
  busyWith: string | null;
  tries: number;
}

const HOUSEKEEPING_EVERY_MS = 10 * 60 * 1000;
/**
 * Warm workers that in a row exited before they were ready: after this many the spawner stops starting
 * them (tries go to cold task processes) instead of restarting a worker that cannot start, forever.
 */
const MAX_WARM_START_FAILURES = 3;

export class LocalTaskSpawner implements TaskSpawner {
  /** Cold children: call id -> pid. */
  private readonly running = new Map<string, number>();
  private readonly warm = new Set<WarmWorker>();
  private closing = false;
  private warmStartFailures = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private readonly logger: Logger;

  constructor(private readonly options: LocalTaskSpawnerOptions) {
    if (!Number.isInteger(options.parallelism) || options.parallelism < 1) {
      throw new RangeError(`executor.parallelism must be a positive integer, got ${options.parallelism}`);
    }
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * A task process's environment: never the scheduler's (its database URL, tokens, anything it exported),
   * only what tasks inherit (task-environment.ts), what the process needs to open its environment and to
   * run Python tasks with the interpreter the tick parsed their files with (AIRFLOW_SERVERLESS_PYTHON),
   * and the caller's `childEnv`.
   */
  private childEnvironment(): NodeJS.ProcessEnv {
    const passed: NodeJS.ProcessEnv = {};
    if (process.env['AIRFLOW_SERVERLESS_DEBUG'] !== undefined) passed['AIRFLOW_SERVERLESS_DEBUG'] = process.env['AIRFLOW_SERVERLESS_DEBUG'];
    // Worked out once here (python-package.ts: behind a pyenv shim that is a subprocess of its own), not
    // by every task process.
    passed['AIRFLOW_SERVERLESS_PYTHON'] = pythonExecutable();
    return {
      ...taskBaseEnvironment(),
      ...passed,
      ...this.options.childEnv,
      AIRFLOW_SERVERLESS_HOME: this.options.paths.home,
    };
  }

  /** Call ids of the tries started by this spawner that are still running. */
  inFlight(): string[] {
    const warmBusy = [...this.warm].map((w) => w.busyWith).filter((id): id is string => id !== null);
    return [...this.running.keys(), ...warmBusy];
  }

  private inFlightCount(): number {
    let count = this.running.size;
    for (const worker of this.warm) if (worker.busyWith !== null) count++;
    return count;
  }

  /** Warm workers ready for a try right now. */
  idleWarmWorkers(): number {
    return [...this.warm].filter((w) => w.ready && w.busyWith === null && w.child.connected).length;
  }

  /** Starts warm workers up to the configured count (call once the loop is up; replacements are automatic). */
  startWarmWorkers(): void {
    const wanted = this.options.warmWorkers ?? 0;
    if (this.warmStartFailures >= MAX_WARM_START_FAILURES) return;
    while (!this.closing && this.warm.size < wanted) {
      if (!this.startWarmWorker()) return;
    }
  }

  /** Housekeeping of the environment folder, at most every HOUSEKEEPING_EVERY_MS per spawner. */
  private lastHousekeeping = 0;
  private housekeeping(): void {
    const now = Date.now();
    if (now - this.lastHousekeeping < HOUSEKEEPING_EVERY_MS) return;
    this.lastHousekeeping = now;
    try {
      rotateProcessLog(path.join(this.options.paths.root, 'task-processes.log'));
      pruneStalePayloads(path.join(this.options.paths.root, 'payloads'), now);
    } catch (error) {
      this.logger.warn('housekeeping of the environment folder failed', { error: (error as Error).message });
    }
  }

  private startWarmWorker(): boolean {
    this.housekeeping();
    const processLog = fs.openSync(path.join(this.options.paths.root, 'task-processes.log'), 'a');
    const [program, ...leading] = this.options.warmCommand ?? [process.execPath, WARM_WORKER_PATH];
    let child: ChildProcess;
    try {
      child = spawnProcess(program as string, [...leading, '--env', this.options.paths.env], {
        // Its own process group, like a cold task process, so `cancel` can stop it and its operator.
        detached: true,
        stdio: ['ignore', processLog, processLog, 'ipc'],
        env: this.childEnvironment(),
      });
    } finally {
      fs.closeSync(processLog);
    }
    if (child.pid === undefined) return false;
    const worker: WarmWorker = { child, pid: child.pid, ready: false, busyWith: null, tries: 0 };
    this.warm.add(worker);
    // Idle warm workers must not keep a finished loop alive; busy ones are waited for explicitly.
    child.unref();
    child.channel?.unref();
    child.on('message', (message: WarmWorkerMessage) => {
      if (message.type === 'ready') {
        worker.ready = true;
        this.warmStartFailures = 0;
        this.releaseSlot();
      } else if (message.type === 'done' && worker.busyWith === message.callId) {
        // The slot is free before the tick the try asked for, so that pass can fill it.
        worker.busyWith = null;
        this.releaseSlot();
        this.options.onChildExit?.(message.callId, 0, null);
        if (message.tick) {
          if (this.options.onTickRequested) this.options.onTickRequested();
          else void wakeScheduler(this.options.paths);
        }
      }
    });
    child.once('error', (error) => this.logger.warn('warm worker error', { pid: worker.pid, error: error.message }));
    child.once('exit', (code, signal) => {
      this.warm.delete(worker);
      const callId = worker.busyWith;
      worker.busyWith = null;
      this.releaseSlot();
      if (callId !== null) {
        this.logger.debug('warm worker exited during a try', { call_id: callId, code, signal });
        this.options.onChildExit?.(callId, code, signal);
      }
      if (!worker.ready && !this.closing && ++this.warmStartFailures === MAX_WARM_START_FAILURES) {
        this.logger.warn('warm workers keep exiting before they are ready; running tries in one-shot task processes instead', {
          code,
          signal,
          log: path.join(this.options.paths.root, 'task-processes.log'),
        });
      }
      if (!this.closing) this.startWarmWorkers();
    });
    return true;
  }

  /** Hands the payload to an idle warm worker; null when none is idle (or the hand-over failed). */
  private dispatchWarm(payload: TaskPayload): string | null {
    for (const worker of this.warm) {
      if (!worker.ready || worker.busyWith !== null || !worker.child.connected) continue;
      worker.tries++;
      // One worker runs many tries: the suffix tells them apart, so `cancel` never stops a later try.
      const callId = `local-${worker.pid}-${worker.tries}`;
      worker.busyWith = callId;
      try {
        worker.child.send({ type: 'run', payload, callId });
      } catch (error) {
        worker.busyWith = null;
        this.logger.warn('warm worker hand-over failed; starting a fresh process', { error: (error as Error).message });
        continue;
      }
      this.logger.debug('task handed to a warm worker', { call_id: callId, key: payload.key });
      return callId;
    }
    return null;
  }

  /**
   * Lets idle warm workers exit now and busy ones after their try (they finish and report on their own).
   * Waits, at most `idleExitTimeoutMs`, for the idle ones to be gone: they close the state dict as they
   * exit, and a caller that deletes the environment right after `close` must not race them for its files.
   */
  async close(idleExitTimeoutMs = 5_000): Promise<void> {
    this.closing = true;
    const exits: Array<Promise<void>> = [];
    for (const worker of this.warm) {
      const { child } = worker;
      if (worker.busyWith === null && child.exitCode === null && child.signalCode === null) {
        exits.push(new Promise<void>((resolve) => child.once('exit', () => resolve())));
      }
      if (child.connected) child.disconnect();
    }
    if (exits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, idleExitTimeoutMs);
    });
    try {
      await Promise.race([Promise.all(exits), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async spawn(payload: TaskPayload): Promise<string> {
    // `start` registers the child synchronously, so no other spawn can slip in between check and start.
    if (this.inFlightCount() >= this.options.parallelism) {
      // Children are unref'd, so while we wait only this timer keeps the process from exiting mid-tick.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        while (this.inFlightCount() >= this.options.parallelism) {
          await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        }
      } finally {
        clearInterval(keepAlive);
      }
    }
    return this.dispatchWarm(payload) ?? this.start(payload);
  }

  private start(payload: TaskPayload): string {
    this.housekeeping();
    const payloadDir = path.join(this.options.paths.root, 'payloads');
    fs.mkdirSync(payloadDir, { recursive: true });
    const payloadFile = path.join(payloadDir, `${crypto.randomUUID()}.json`);
    fs.writeFileSync(payloadFile, JSON.stringify(payload));

    const processLog = fs.openSync(path.join(this.options.paths.root, 'task-processes.log'), 'a');
    const [program, ...leading] = this.options.command ?? [process.execPath, TASK_MAIN_PATH];
    let child;
    try {
      child = spawnProcess(program as string, [...leading, '--env', this.options.paths.env, '--payload', payloadFile], {
        detached: true,
        stdio: ['ignore', processLog, processLog],
        env: this.childEnvironment(),
      });
    } finally {
      fs.closeSync(processLog);
    }
    if (child.pid === undefined) {
      fs.rmSync(payloadFile, { force: true });
      throw new Error(`could not start a task process for ${payload.key}`);
    }
    const callId = `local-${child.pid}`;
    this.running.set(callId, child.pid);
    // Children outlive the spawner by design (see the module comment); don't hold our event loop open.
    child.unref();
    child.once('exit', (code, signal) => {
      this.running.delete(callId);
      this.releaseSlot();
      this.logger.debug('task process exited', { call_id: callId, key: payload.key, code, signal });
      this.options.onChildExit?.(callId, code, signal);
    });
    child.once('error', (error) => this.logger.warn('task process error', { call_id: callId, error: error.message }));
    this.logger.debug('task process started', { call_id: callId, key: payload.key });
    return callId;
  }

  /**
   * Stops a try and waits until it is gone: SIGTERM to its process group (which holds its forking helper)
   * and to the groups of the operators it started (each runs in its own group, see worker/process-group.ts
   * and runtime/child-groups.ts), SIGKILL to whatever is left after the grace period. Resolving only once they are gone is what lets a tick that clears a
   * running try dispatch its next try right after, with nothing of the old one still running.
   */
  async cancel(callId: string): Promise<void> {
    const parsed = parseCallId(callId);
    if (parsed === null) return;
    const warm = [...this.warm].find((w) => w.pid === parsed.pid);
    // A warm worker of ours is stopped only for the try it is running now.
    if (warm && warm.busyWith !== callId) return;
    if (!isOurTaskProcess(parsed.pid)) return;
    // Read the operators' groups now: once the task process exits they are re-parented and unfindable.
    const groups = [parsed.pid, ...operatorGroupLeaders(parsed.pid)];
    await stopGroups(groups, this.options.cancelGraceMs ?? 5_000);
  }

  async endTry(record: TaskRecord): Promise<void> {
    await endRecordedOperatorGroup(record);
  }

  async requestTick(): Promise<void> {
    await requestLocalTick(this.options.paths, this.options.dict);
  }

  /** Resolves once no child of this spawner runs, or after `timeoutMs`; true if none is left. */
  async waitForChildren(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlightCount() > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(200, Math.max(1, deadline - Date.now())));
        this.slotWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.inFlightCount() === 0;
  }

  private releaseSlot(): void {
    const waiters = this.slotWaiters.splice(0);
    for (const wake of waiters) wake();
  }
}

/** Records the request in the dict (a loop that starts later still sees it) and wakes a running loop. */
export async function requestLocalTick(paths: LocalEnvironmentPaths, dict: StateDict): Promise<void> {
  await dict.put(TICK_REQUESTED_KEY, new Date().toISOString());
  await wakeScheduler(paths);
}

/** `local-<pid>` (a process per try) or `local-<pid>-<n>` (the n-th try of a warm worker). */
export function parseCallId(callId: string): { pid: number; warmTry: number | null } | null {
  const match = /^local-(\d+)(?:-(\d+))?$/.exec(callId);
  if (!match) return null;
  return { pid: Number(match[1]), warmTry: match[2] === undefined ? null : Number(match[2]) };
}

/**
 * Guards `cancel` against pid reuse: a call id from an earlier scheduler may name a pid the OS has since
 * given to an unrelated process. On Linux we check that the pid still leads its own process group (as our
 * detached task processes do); elsewhere we only check that it exists.
 */
function isOurTaskProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readProcessStat(pid);
  return stat === null || stat.pgrp === pid;
}
