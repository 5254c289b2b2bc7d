/**
 * The TypeScript end of the parse worker (python/PROTOCOL.md, "Parse worker"): one long-lived
 * `python3 python/parse_worker.py` reused for every file of a tick (or of one upload), JSON lines both ways.
 *
 * The process starts on the first parse, never before: an idle tick that finds no changed file starts no
 * Python. Each file gets `core.dagbag_import_timeout` inside the worker (signal.alarm, as Airflow does)
 * plus a grace period here; a worker that still has not answered by then (a C extension holding the GIL,
 * an import blocked in a system call) is killed with its process group, the file gets a timeout error, and
 * the next file starts a fresh worker. A worker that dies mid-file fails that file with its exit status.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PARSE_WORKER_PATH, pythonExecutable } from '../python-package.js';
import { taskBaseEnvironment } from '../task-environment.js';

export type ParseAnswer =
  | { ok: true; dags: unknown[]; modules: string[]; warnings: string[] }
  | { ok: false; error: string; traceback: string; line: number | null };

export interface ParseWorkerOptions {
  /** Absolute path of the dags folder the files are relative to. */
  dagsDir: string;
  /** `core.dagbag_import_timeout`, seconds. */
  timeoutSeconds: number;
  /** Extra wait before the worker is killed, ms (default 2 s). */
  graceMs?: number;
  /** The worker's command line; default `defaultParseWorkerCommand()`. */
  command?: readonly string[];
  /** What user code printed while its file was imported (the worker's stderr). */
  onOutput?: (text: string) => void;
}

/** How much of the worker's stderr is kept to explain a crash. */
const STDERR_TAIL = 4000;

/**
 * `python3 python/parse_worker.py` (the interpreter: python-package.ts `pythonExecutable`);
 * AIRFLOW_SERVERLESS_PARSE_WORKER another worker script (tests use a protocol stand-in).
 */
export function defaultParseWorkerCommand(): string[] {
  return [pythonExecutable(), process.env['AIRFLOW_SERVERLESS_PARSE_WORKER'] ?? PARSE_WORKER_PATH];
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  answers: Map<number, (answer: Record<string, unknown>) => void>;
  stderr: string;
  exited: Promise<void>;
  exitStatus: string | null;
}

export class ParseWorker {
  private running: Running | null = null;
  private nextId = 1;
  /** Processes started, for tests and for the tick's log. */
  started = 0;

  constructor(private readonly options: ParseWorkerOptions) {}

  /** Parses one file (relative to dagsDir). Never throws for the file's own faults: they are answers. */
  async parse(fileloc: string): Promise<ParseAnswer> {
    const worker = this.ensureRunning();
    const id = this.nextId++;
    const timeout = this.options.timeoutSeconds;
    const request = { id, path: `${this.options.dagsDir}/${fileloc}`, fileloc, dags_dir: this.options.dagsDir, timeout };
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<Record<string, unknown> | 'timeout' | 'exit'>((resolve) => {
      worker.answers.set(id, resolve);
      timer = setTimeout(() => resolve('timeout'), timeout * 1000 + (this.options.graceMs ?? 2000));
      void worker.exited.then(() => resolve('exit'));
    });
    worker.child.stdin.write(`${JSON.stringify(request)}\n`);
    const answer = await answered;
    clearTimeout(timer);
    worker.answers.delete(id);
    if (answer === 'timeout') {
      await this.kill(worker);
      const error = `${fileloc}: DAG file import timed out after ${timeout} s (core.dagbag_import_timeout)`;
      return { ok: false, error, traceback: error, line: null };
    }
    if (answer === 'exit') {
      this.running = null;
      const tail = worker.stderr.trim().split('\n').slice(-20).join('\n');
      const error = `${fileloc}: the parse worker exited (${worker.exitStatus ?? 'unknown status'}) while importing this file`;
      return { ok: false, error, traceback: tail ? `${error}\n${tail}` : error, line: null };
    }
    return toAnswer(answer, fileloc);
  }

  /** Ends the worker (closing stdin lets it exit on its own; a stuck one is killed). */
  async close(): Promise<void> {
    const worker = this.running;
    if (!worker) return;
    this.running = null;
    worker.child.stdin.end();
    const timer = setTimeout(() => signalGroup(worker.child, 'SIGKILL'), 2000);
    await worker.exited;
    clearTimeout(timer);
  }

  private ensureRunning(): Running {
    if (this.running) return this.running;
    const [command, ...args] = this.options.command ?? defaultParseWorkerCommand();
    // Detached: its own process group, so a kill also ends whatever a DAG file started at import time.
    // No bytecode files: the dags folder is the user's (or a volume) and must not grow __pycache__ folders.
    // A DAG file's top-level code is the user's, run inside the tick: it gets a task's share of the
    // environment (task-environment.ts), never the scheduler's database URL or Modal token.
    const child = spawn(command!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...taskBaseEnvironment(), PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    this.started++;
    const running: Running = {
      child,
      answers: new Map(),
      stderr: '',
      exitStatus: null,
      exited: new Promise((resolve) => {
        child.once('close', (code, signal) => {
          running.exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
          resolve();
        });
        child.once('error', (error) => {
          running.exitStatus = `could not start ${command}: ${error.message}`;
          resolve();
        });
      }),
    };
    child.stdin.on('error', () => {}); // a dead worker's stdin: the exit is reported through `exited`
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        return; // not protocol output; user prints go to stderr, but be lenient
      }
      const id = (message as { id?: unknown })?.id;
      if (typeof id === 'number') running.answers.get(id)?.(message as Record<string, unknown>);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      running.stderr = (running.stderr + text).slice(-STDERR_TAIL);
      this.options.onOutput?.(text);
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.running = running;
    return running;
  }

  private async kill(worker: Running): Promise<void> {
    if (this.running === worker) this.running = null;
    signalGroup(worker.child, 'SIGKILL');
    await worker.exited;
  }
}

function signalGroup(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function toAnswer(message: Record<string, unknown>, fileloc: string): ParseAnswer {
  if (message['ok'] === true) {
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
    return { ok: true, dags: Array.isArray(message['dags']) ? message['dags'] : [], modules: strings(message['modules']), warnings: strings(message['warnings']) };
  }
  const error = typeof message['error'] === 'string' && message['error'] ? message['error'] : `${fileloc}: the DAG file failed to import`;
  const traceback = typeof message['traceback'] === 'string' && message['traceback'] ? message['traceback'] : error;
  const line = typeof message['line'] === 'number' ? message['line'] : null;
  return { ok: false, error: firstLine(error), traceback, line };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
