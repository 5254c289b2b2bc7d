/**
 * Shared plumbing for the benchmarks: temp homes, the real CLI as a child process, timing, statistics,
 * tables, and cleanup that runs on normal exit, on failure and on Ctrl-C, so a benchmark never leaves a
 * scheduler process or a temp folder behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = path.join(REPO_ROOT, 'bin', 'run.js');
export const DIST = path.join(REPO_ROOT, 'dist');

/** Imports a compiled module from dist/ by its path relative to dist/ (e.g. `scheduler/tick.js`). */
export function importDist(relative) {
  return import(new URL(`../dist/${relative}`, import.meta.url).href);
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup: every temp dir and child process we create is registered here.

const tempDirs = new Set();
const children = new Map(); // pid -> { detached }
const asyncCleanups = new Set();

export function tempDir(label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `afs-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** An async cleanup (e.g. dropping a Postgres schema); returns a function that runs it once and unregisters it. */
export function registerAsyncCleanup(fn) {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    asyncCleanups.delete(once);
    await fn();
  };
  asyncCleanups.add(once);
  return once;
}

function killChild(pid, detached, signal) {
  try {
    // Detached children lead their own process group: signal the group, which holds their own children.
    process.kill(detached ? -pid : pid, signal);
  } catch {
    // Already gone.
  }
}

function cleanupSync() {
  for (const [pid, { detached }] of children) killChild(pid, detached, 'SIGKILL');
  children.clear();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Runs the async cleanups (bounded), then the synchronous ones. Safe to call more than once. */
export async function cleanupAll() {
  for (const [pid, { detached }] of children) killChild(pid, detached, 'SIGTERM');
  const pending = [...asyncCleanups].map((fn) => fn().catch((error) => console.error(`cleanup: ${error.message}`)));
  await Promise.race([Promise.all(pending), sleep(5000)]);
  cleanupSync();
}

let handlersInstalled = false;
export function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      cleanupAll().finally(() => process.exit(130));
    });
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------------
// Processes

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a live process has used so far, from /proc; NaN where there is no /proc. */
function processCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Runs a program to completion and times it (wall clock, from spawn to exit). Rejects on a non-zero exit
 * unless `allowFailure`; a `timeoutMs` kills the process (and its group) and rejects. With `sampleCpu`,
 * `cpuMs` is the process's own CPU time (not its children's), sampled from /proc every 200 ms, so it
 * misses at most the last 200 ms.
 */
export function run(program, args, options = {}) {
  const { env, cwd, timeoutMs = 600_000, allowFailure = false, input, sampleCpu = false } = options;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, args, {
      cwd: cwd ?? REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    children.set(child.pid, { detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    if (input !== undefined) child.stdin.end(input);
    let cpuMs = NaN;
    const sampler = sampleCpu
      ? setInterval(() => {
          const sample = processCpuMs(child.pid);
          if (Number.isFinite(sample)) cpuMs = sample;
        }, 200)
      : null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(child.pid, true, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      children.delete(child.pid);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      children.delete(child.pid);
      const ms = performance.now() - started;
      const result = { code, signal, stdout, stderr, ms, timedOut, cpuMs };
      if (timedOut) {
        const error = new Error(`${path.basename(program)} ${args.join(' ')}: timed out after ${timeoutMs} ms`);
        error.result = result;
        return allowFailure ? resolve(result) : reject(error);
      }
      if (code !== 0 && !allowFailure) {
        const error = new Error(`${path.basename(program)} ${args.slice(0, 3).join(' ')} exited ${code ?? signal}: ${lastLines(stderr || stdout, 5)}`);
        error.result = result;
        return reject(error);
      }
      resolve(result);
    });
  });
}

function lastLines(text, n) {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** The real CLI (`node bin/run.js ...`) with a given AIRFLOW_SERVERLESS_HOME. */
export function cli(home, args, options = {}) {
  return run(process.execPath, [CLI, ...args], { ...options, env: { ...options.env, AIRFLOW_SERVERLESS_HOME: home } });
}

export async function cliJson(home, args, options = {}) {
  const result = await cli(home, [...args, '--json'], options);
  return JSON.parse(result.stdout);
}

// ---------------------------------------------------------------------------------------------------------
// Environments

/** Writes a config file and creates a local environment from it through the CLI. */
export async function createEnvironment(home, env, configText) {
  const file = path.join(home, `${env}.config.yaml`);
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, configText);
  await cli(home, ['create', '--env', env, '--config', file]);
  return file;
}

/**
 * A local environment whose loop runs with a 60 s interval (so a hop that waits for the period instead of
 * the fast-follow wake-up shows) and executor.parallelism = the core count; the manifest is uploaded as
 * `<dagId>.yaml` and one run of the DAG triggered.
 */
export async function deployAndTrigger(home, env, dagId, manifestYaml) {
  await createEnvironment(home, env, `scheduler:\n  interval_seconds: 60\nexecutor:\n  parallelism: ${os.cpus().length}\n`);
  const manifest = path.join(home, `${dagId}.yaml`);
  fs.writeFileSync(manifest, manifestYaml);
  await cli(home, ['dags', 'create', '--env', env, '--file', manifest]);
  await cli(home, ['dags', 'trigger', '--env', env, '--dag-id', dagId]);
}

/** The run of `dagId` (undefined when there is none) and its task instances. */
export async function readRun(home, env, dagId) {
  const dagRun = (await cliJson(home, ['runs', 'list', '--env', env])).dag_runs.find((r) => r.dag_id === dagId);
  if (!dagRun) return { dagRun, tis: [] };
  const tis = (await cliJson(home, ['tasks', 'list', '--env', env, '--dag-id', dagId, '--run-id', dagRun.dag_run_id])).task_instances;
  return { dagRun, tis };
}

/** Milliseconds since the epoch of an ISO date from the API; NaN for null. */
export function isoMs(iso) {
  return iso ? Date.parse(iso) : NaN;
}

/** A BashOperator task in dag-factory shape. */
export function bashTask(command, dependencies = []) {
  return { operator: 'airflow.operators.bash.BashOperator', bash_command: command, ...(dependencies.length ? { dependencies } : {}) };
}

export function taskId(i, width = 2) {
  return `t${String(i).padStart(width, '0')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and formatting

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function mean(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

export function ms(value, digits = 1) {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

export function seconds(valueMs, digits = 2) {
  return Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(digits)} s` : 'n/a';
}

export function ratio(value) {
  return Number.isFinite(value) ? `${value.toFixed(1)}×` : 'n/a';
}

export function mib(kib) {
  return Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : 'n/a';
}

export function printTable(title, head, rows) {
  const table = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))));
  console.log(`\n${title}`);
  console.log(table.toString());
}

/** The one-line verdict of a benchmark against its target. */
export function verdict(name, met, text) {
  const line = `${name}: ${met ? 'MET' : 'MISSED'} — ${text}`;
  console.log(met ? line : `*** ${line}`);
  return { name, met, text };
}
