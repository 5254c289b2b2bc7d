/**
 * The task process's side of the forking helper (the programs and their protocol: forking-helper-program.ts
 * for Perl, forking-helper-python.ts for Python). One helper per process, started on the first operator
 * start and kept for the process's lifetime: each start is a message and a reply on its pipes instead of a
 * fork of this process, and the helper ends the operators' groups when this process dies, however it dies.
 *
 * Two programs speak the protocol. Perl starts in a few milliseconds but can only fork; Python takes ~25 ms
 * more to start and spawns with posix_spawn (vfork), which costs a fraction of a fork per start where
 * forks are dear. A process that runs one try (a cold task process) prefers Perl; one that runs many (a
 * warm worker, see `preferForkingHelper`) prefers Python. Either is used when the other cannot run; Python
 * only as a real interpreter (a version manager's shell-script shim costs ~300 ms a start).
 *
 * Linux only; elsewhere, or where neither can run, `sharedForkingHelper` returns null and the caller
 * spawns the command itself (process-group.ts).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { signalGroup } from '../process-table.js';
import { findOnPath, findPythonInterpreter } from './find-on-path.js';
import { FORKING_HELPER_PROGRAM } from './forking-helper-program.js';
import { PYTHON_FORKING_HELPER_PROGRAM } from './forking-helper-python.js';
import { ProcessStartError } from './process-start-error.js';

export interface HelperStartRequest {
  command: string;
  args: readonly string[];
  /** Exactly the command's environment (entries whose value is undefined are left out, as spawn does). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Opened with O_APPEND onto the command's stdout and stderr. */
  outputPath: string;
}

export interface LeaderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The signal's number, when Node has no name for it (a real-time signal). */
  signalNumber?: number;
  /** The helper found no process left in the leader's group when it reaped it: there is nothing to stop. */
  groupEmpty?: boolean;
}

export interface StartedLeader {
  /** The leader's pid, which is also its process group's id. */
  pid: number;
  /**
   * The leader's start time (clock ticks since boot, /proc/<pid>/stat field 22), read by the helper before
   * it could reap the leader: with the pid, what tells this group from a later one under a reused id.
   */
  startTime: number | null;
  exited: Promise<LeaderExit>;
  /** True once the helper has reported the leader's exit (it may come in the same reply as the start). */
  hasExited(): boolean;
  /**
   * The try is over: the helper forgets the group, so its death no longer kills that (reusable) id. A no-op
   * when the helper already forgot it (nothing of the group was left when the leader was reaped).
   */
  release(): void;
}

/** The helper never became ready (it could not run here): the caller starts the command another way. */
export class HelperUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelperUnavailableError';
  }
}

/** prctl's syscall number where we know it (Perl calls it by number); elsewhere EOF alone tells the death. */
export const PRCTL_SYSCALL: Partial<Record<NodeJS.Architecture, number>> = { x64: 157, arm64: 167 };

export type HelperKind = 'perl' | 'python';

export interface HelperInterpreter {
  kind: HelperKind;
  path: string;
}

/**
 * How long the Python helper waits, after a start, for the command to end before it replies with the pid
 * alone (forking-helper-python.ts). `bash -c true` takes 1-2 ms on a VM where exec is cheap and 4-9 ms on
 * one where it is dear (two at once); 20 ms covers both, so a quick command wakes its task process once and
 * needs no RUNNING record. A longer command's RUNNING record is written 20 ms later, which nobody can see.
 * Tests set a long one to make "ended at once" certain.
 */
let pythonExitGraceMs = 20;

/** For helpers started from now on; returns the grace it replaces, for a test to put back. */
export function setPythonHelperExitGrace(ms: number): number {
  const previous = pythonExitGraceMs;
  pythonExitGraceMs = ms;
  return previous;
}

function helperArguments(kind: HelperKind): string[] {
  if (kind === 'python') {
    // -I: no PYTHON* variables, no user site; -S: no site (nothing to import but the standard library).
    const linux = process.platform === 'linux' ? '1' : '0';
    return ['-I', '-S', '-c', PYTHON_FORKING_HELPER_PROGRAM, linux, String(process.pid), String(pythonExitGraceMs / 1000)];
  }
  const prctl = process.platform === 'linux' ? (PRCTL_SYSCALL[process.arch] ?? 0) : 0;
  return ['-e', FORKING_HELPER_PROGRAM, String(prctl), String(process.pid)];
}

interface Run {
  command: string;
  pid: number | null;
  exited: boolean;
  /** The helper forgot the group when it reaped the leader: no `F` to send. */
  forgotten: boolean;
  onStarted: (pid: number, startTime: number | null) => void;
  onFailed: (error: Error) => void;
  onExit: (exit: LeaderExit) => void;
}

function signalName(number: number): NodeJS.Signals | null {
  const entry = Object.entries(os.constants.signals).find(([, value]) => value === number);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

/** `<byte length>\n` and the fields joined by NUL. */
function frame(fields: readonly string[]): Buffer {
  const body = Buffer.from(fields.join('\0'));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/** The start message's fields after the id; a NUL in any of them is refused as spawn refuses it. */
function startFields(request: HelperStartRequest): string[] {
  const env: string[] = [];
  for (const [name, value] of Object.entries(request.env)) if (value !== undefined) env.push(`${name}=${value}`);
  const argv = [request.command, ...request.args];
  // Absolute: the helper's working directory is this process's at the helper's start, not now.
  const fields = [path.resolve(request.cwd), path.resolve(request.outputPath), String(argv.length), ...argv, ...env];
  if (fields.some((field) => field.includes('\0'))) {
    throw new ProcessStartError(`Could not start ${request.command}: arguments, environment and paths must not contain null bytes`);
  }
  return fields;
}

export class ForkingHelper {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly runs = new Map<number, Run>();
  private nextId = 1;
  private replies = '';
  private ready = false;
  private gone = false;
  private closing = false;

  /** `onGone(ready)`: the helper exited; `ready` says whether it had ever started to serve. */
  constructor(
    readonly interpreter: HelperInterpreter,
    private readonly onGone: (wasReady: boolean) => void,
  ) {
    this.child = spawn(interpreter.path, helperArguments(interpreter.kind), {
      // Its stderr is this process's (the interpreter's own complaints); an empty environment: no PERL5OPT,
      // PYTHONPATH or the like of ours reaches it, and nothing of ours (secrets included) is in it for its children.
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {},
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onReplies(chunk));
    // A closed pipe (EPIPE) means the helper died; 'close' below deals with that.
    this.child.stdin.on('error', () => {});
    this.child.once('error', () => this.onClose());
    this.child.once('close', () => this.onClose());
    this.updateRef();
  }

  /** True while it takes starts. */
  get alive(): boolean {
    return !this.gone && !this.closing;
  }

  /** The helper's pid (its operators' parent). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Ends the helper as this process's death would (EOF on its stdin): it SIGKILLs every group it was not
   * told to forget, and exits. Runs still waiting for their exit are reported killed.
   */
  close(): void {
    if (!this.alive) return;
    this.closing = true;
    this.child.stdin.end();
  }

  /** Starts `request` as the leader of a new process group; rejects with ProcessStartError when nothing runs. */
  start(request: HelperStartRequest): Promise<StartedLeader> {
    if (!this.alive) return Promise.reject(new HelperUnavailableError('the forking helper has exited'));
    const id = this.nextId++;
    const message = frame(['S', String(id), ...startFields(request)]);
    return new Promise((resolve, reject) => {
      let onExit: (exit: LeaderExit) => void = () => {};
      const exited = new Promise<LeaderExit>((resolveExit) => (onExit = resolveExit));
      const run: Run = {
        command: request.command,
        pid: null,
        exited: false,
        forgotten: false,
        onStarted: (pid, startTime) => resolve({ pid, startTime, exited, hasExited: () => run.exited, release: () => this.release(id) }),
        onFailed: reject,
        onExit,
      };
      this.runs.set(id, run);
      this.updateRef();
      this.child.stdin.write(message);
    });
  }

  private send(fields: readonly string[]): void {
    if (this.alive) this.child.stdin.write(frame(fields));
  }

  private release(id: number): void {
    const run = this.runs.get(id);
    if (run === undefined) return;
    this.runs.delete(id);
    if (!run.forgotten) this.send(['F', String(id)]);
    this.updateRef();
  }

  private onReplies(chunk: string): void {
    this.replies += chunk;
    let newline: number;
    while ((newline = this.replies.indexOf('\n')) >= 0) {
      const line = this.replies.slice(0, newline);
      this.replies = this.replies.slice(newline + 1);
      this.onReply(line);
    }
  }

  private onReply(line: string): void {
    const [type, idText, ...rest] = line.split(' ');
    if (type === 'R') {
      this.ready = true;
      return;
    }
    const id = Number(idText);
    const run = this.runs.get(id);
    if (run === undefined) return;
    if (type === 'P') {
      run.pid = Number(rest[0]);
      const startTime = Number(rest[1]);
      run.onStarted(run.pid, Number.isInteger(startTime) && startTime > 0 ? startTime : null);
    } else if (type === 'E') {
      this.runs.delete(id);
      this.updateRef();
      run.onFailed(new ProcessStartError(`Could not start ${run.command}: ${rest.join(' ')}`));
    } else if (type === 'X') {
      run.exited = true;
      const [code, signal, forgotten] = rest;
      run.forgotten = forgotten === '1';
      this.updateRef();
      const signalNumber = signal === undefined || signal === '-' ? null : Number(signal);
      run.onExit({
        code: code === undefined || code === '-' ? null : Number(code),
        signal: signalNumber === null ? null : signalName(signalNumber),
        ...(signalNumber === null ? {} : { signalNumber }),
        ...(run.forgotten ? { groupEmpty: true } : {}),
      });
    }
  }

  /**
   * The helper is gone (killed: it never exits on its own while we live). Nothing can report those groups'
   * exits any more, nor end them if we die, so they are ended now and reported as killed; a start still
   * waiting for its reply fails (it may have been forked; it would lead its own group, unknown to us).
   */
  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    for (const run of this.runs.values()) {
      if (run.pid === null) {
        run.onFailed(
          this.ready
            ? new ProcessStartError(`Could not start ${run.command}: the forking helper exited`)
            : new HelperUnavailableError('the forking helper exited before it was ready'),
        );
      } else if (!run.exited) {
        signalGroup(run.pid, 'SIGKILL');
        run.exited = true;
        run.onExit({ code: null, signal: 'SIGKILL' });
      }
    }
    this.runs.clear();
    // Closed on purpose before it was ready says nothing about whether a helper can run here.
    this.onGone(this.ready || this.closing);
  }

  /** Like a child process of our own, the helper keeps the event loop alive only while a command runs. */
  private updateRef(): void {
    const busy = !this.gone && [...this.runs.values()].some((run) => !run.exited);
    const stdout = this.child.stdout as Partial<Socket>;
    if (busy) {
      this.child.ref();
      stdout.ref?.();
    } else {
      this.child.unref();
      stdout.unref?.();
    }
    (this.child.stdin as Partial<Socket>).unref?.();
  }
}

let preference: readonly HelperKind[] = ['perl', 'python'];
const interpreters = new Map<HelperKind, string | null>();
let shared: ForkingHelper | null = null;
/** Kinds that failed to come up here: this process does not try them again. */
const unusable = new Set<HelperKind>();

/**
 * Which helper this process tries first: `python` for a process that starts many operators (its cheaper
 * starts pay for its dearer start-up), `perl` (the default) for one that starts one. Takes effect for the
 * next helper started.
 */
export function preferForkingHelper(kind: HelperKind): void {
  preference = kind === 'python' ? ['python', 'perl'] : ['perl', 'python'];
}

function interpreterFor(kind: HelperKind): string | null {
  if (!interpreters.has(kind)) interpreters.set(kind, kind === 'perl' ? findOnPath('perl') : findPythonInterpreter());
  return interpreters.get(kind) ?? null;
}

/** This process's helper, started on first use; null where none can run (not Linux, no interpreter, they failed). */
export function sharedForkingHelper(): ForkingHelper | null {
  if (process.platform !== 'linux') return null;
  if (shared?.alive) return shared;
  for (const kind of preference) {
    if (unusable.has(kind)) continue;
    const interpreterPath = interpreterFor(kind);
    if (interpreterPath === null) continue;
    const helper = new ForkingHelper({ kind, path: interpreterPath }, (wasReady) => {
      if (shared === helper) shared = null;
      if (!wasReady) unusable.add(kind);
    });
    shared = helper;
    return helper;
  }
  return null;
}
