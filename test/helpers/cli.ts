/**
 * Runs the real CLI (`node bin/run.js ...`, built by global-setup.ts) against a throwaway
 * AIRFLOW_SERVERLESS_HOME. Every sandbox removes its temp dir and kills the processes it started.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { processIds, signalGroupOrProcess } from '../../src/process-table.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples/dags');
const BIN = path.join(REPO_ROOT, 'bin/run.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CliSandbox {
  readonly dir: string;
  readonly home: string;
  private readonly children = new Set<ChildProcess>();

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-cli-'));
    this.home = path.join(this.dir, 'home');
    fs.mkdirSync(path.join(this.dir, 'tmp'));
  }

  get env(): NodeJS.ProcessEnv {
    // TMPDIR inside the sandbox: a task killed mid-run (the zombie tests) leaves its temporary working
    // directory behind, and this way the sandbox's removal takes it along.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AIRFLOW_SERVERLESS_HOME: this.home,
      TMPDIR: path.join(this.dir, 'tmp'),
      NO_COLOR: '1',
    };
    delete env.DEBUG;
    delete env.AIRFLOW_SERVERLESS_DEBUG;
    return env;
  }

  /** Runs one command to completion (stdin is not a terminal). */
  run(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { cwd: this.dir, env: { ...this.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Runs a command and fails with its output when it does not exit 0. */
  async ok(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    const result = await this.run(args, options);
    if (result.code !== 0) {
      throw new Error(`\`${args.join(' ')}\` exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    }
    return result;
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse((await this.ok([...args, '--json'])).stdout) as T;
  }

  /** Starts a long-running command (the scheduler); killed at cleanup if still alive. */
  start(args: readonly string[]): ChildProcess & { output: { stdout: string; stderr: string } } {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return Object.assign(child, { output });
  }

  writeFile(relative: string, text: string): string {
    const file = path.join(this.dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  }

  /** A local config with a fast scheduler; `extra` is appended as YAML. */
  writeConfig(extra = '', name = 'config.yaml'): string {
    return this.writeFile(name, `provider: local\nscheduler:\n  interval_seconds: 1\n${extra}`);
  }

  envRoot(env: string): string {
    return path.join(this.home, 'envs', env);
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    killProcessesNaming(this.dir);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Task processes started by a one-shot `tick` outlive it by design (detached, in their own process groups),
 * so they are not this sandbox's children. Every one of them names the sandbox in its command line (the
 * payload path, the environment's files), which is how they are found and ended. Linux /proc only.
 */
function killProcessesNaming(dir: string): void {
  for (const pid of processIds() ?? []) {
    let commandLine: string;
    try {
      commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (commandLine.includes(dir) && pid !== process.pid) signalGroupOrProcess(pid, 'SIGKILL');
  }
}

/** Waits for a child to exit; resolves with its exit code (or -signal). */
export function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? -(signal ? os.constants.signals[signal] : 1))));
}

/** Polls `check` until it returns a value other than undefined/false (events we cannot subscribe to). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True when stderr holds a stack trace (what a user mistake must never show). */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text);
}

/** A user mistake: non-zero exit, no stack trace, exactly one `Error: ` line on stderr, matching `pattern`. */
export function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).not.toBe(0);
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  const errorLines = result.stderr.split('\n').filter((line) => line.startsWith('Error: '));
  expect(errorLines, result.stderr).toHaveLength(1);
  expect(errorLines[0]).toMatch(pattern);
}
