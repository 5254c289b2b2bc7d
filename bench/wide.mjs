/**
 * wide: one DAG of 1,000 independent `true` tasks on the local provider with executor.parallelism = N (the
 * core count), against `make -j N` of 1,000 independent `true` targets. Both wall times and their ratio.
 * BENCH_WIDE_TASKS overrides the task count (for a quick look; the target is stated for 1,000).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import {
  bashTask,
  cli,
  deployAndTrigger,
  isoMs as parse,
  mean,
  ms,
  printTable,
  ratio,
  readRun,
  removeTempDir,
  run,
  seconds,
  taskId,
  tempDir,
  verdict,
} from './lib.mjs';

const TASKS = Number(process.env.BENCH_WIDE_TASKS ?? 1000);
const TARGET_RATIO = 3;
const DAG_ID = 'bench_wide';
/** Keeps the whole suite near five minutes on two cores even when the tick is slow; a timeout is reported. */
const LOOP_HOST = fileURLToPath(new URL('./loop-host.mjs', import.meta.url));
const FLOOR_SOURCE = fileURLToPath(new URL('./floor.c', import.meta.url));
const SCHEDULER_TIMEOUT_S = Number(process.env.BENCH_WIDE_TIMEOUT_S ?? 240);

function wideManifest() {
  const tasks = {};
  for (let i = 1; i <= TASKS; i++) tasks[taskId(i, 4)] = bashTask('true');
  // max_active_tasks as large as the DAG: executor.parallelism is the only limit, as -j is for make.
  return YAML.stringify({ [DAG_ID]: { schedule: null, start_date: '2024-01-01', catchup: false, max_active_tasks: TASKS, tasks } });
}

function wideMakefile() {
  const ids = Array.from({ length: TASKS }, (_, i) => taskId(i + 1, 4));
  const lines = [`.PHONY: all ${ids.join(' ')}`, `all: ${ids.join(' ')}`];
  for (const id of ids) lines.push(`${id}:`, '\ttrue');
  return `${lines.join('\n')}\n`;
}

/**
 * The floor (see floor.c): the same 1,000 tries with only the per-try work the OS charges (process group,
 * `bash -c true`, a log file in a folder of its own), best of three like make. Null, with the reason, when
 * no C compiler is there to build it: the row then says so rather than measure it some costlier way.
 */
async function measureFloor(home, n) {
  const program = path.join(home, 'floor');
  const compiler = process.env.CC || 'cc';
  try {
    const built = await run(compiler, ['-O2', '-o', program, FLOOR_SOURCE], { allowFailure: true });
    if (built.code !== 0) return { ms: null, reason: `${compiler} failed: ${built.stderr.trim().split('\n')[0]}` };
  } catch (error) {
    return { ms: null, reason: `no C compiler (${compiler}: ${error.code ?? error.message})` };
  }
  const runs = [];
  for (let i = 0; i < 3; i++) {
    // A folder per run, none removed until the end: deleting files just before a run can make the next
    // run's file creation dearer (ext4 without a journal skips recently freed inodes one by one).
    const folder = path.join(home, `floor-logs-${i}`);
    fs.mkdirSync(folder);
    const result = await run(program, [String(TASKS), String(n), folder, 'true']);
    runs.push(JSON.parse(result.stdout).ms);
  }
  return { ms: Math.min(...runs), reason: null };
}

/** Creates an environment, uploads and triggers the DAG, runs the loop until idle, reads the run back. */
async function attemptRun(home, env, via) {
  await deployAndTrigger(home, env, DAG_ID, wideManifest());
  const limits = { allowFailure: true, timeoutMs: (SCHEDULER_TIMEOUT_S + 60) * 1000, sampleCpu: true };
  let scheduler;
  let ticks;
  if (via === 'cli') {
    scheduler = await cli(home, ['scheduler', '--env', env, '--until-idle', '--timeout', String(SCHEDULER_TIMEOUT_S)], limits);
    // The closing line counts them: reports-only ticks in quick succession share one `tick A-B:` line.
    ticks = Number(/^Scheduler stopped \(\w+\) after (\d+) ticks/m.exec(scheduler.stderr)?.[1] ?? NaN);
  } else {
    scheduler = await run(process.execPath, [LOOP_HOST, '--home', home, '--env', env, '--timeout', String(SCHEDULER_TIMEOUT_S)], limits);
    ticks = scheduler.code === 0 ? JSON.parse(scheduler.stdout).ticks : NaN;
  }
  const { dagRun, tis } = await readRun(home, env, DAG_ID);
  if (!dagRun) throw new Error(`wide: no run after the scheduler (exit ${scheduler.code}): ${scheduler.stderr.slice(-400)}`);
  const done = tis.filter((ti) => ti.state === 'success').length;
  // Exit 3 is `--until-idle` reaching its timeout: slow, not broken. Anything else before the run finished is a crash.
  const premature = dagRun.state !== 'success' && scheduler.code !== 0 && scheduler.code !== 3 && !scheduler.timedOut;
  return { scheduler, dagRun, tis, ticks, done, premature };
}

export async function benchWide() {
  const n = os.cpus().length;
  console.log(`\n== wide: ${TASKS} independent \`true\` tasks, executor.parallelism = ${n} vs make -j ${n} ==`);
  const home = tempDir('wide');
  try {
    const makefile = path.join(home, 'Makefile');
    fs.writeFileSync(makefile, wideMakefile());
    const makeRuns = [];
    for (let i = 0; i < 3; i++) makeRuns.push((await run('make', ['-s', `-j${n}`, '-f', makefile, 'all'], { cwd: home })).ms);
    const makeMs = Math.min(...makeRuns);
    const floor = await measureFloor(home, n);

    // The real CLI first; if its loop process dies before the run is done (see loop-host.mjs), the same
    // loop code again in a host that keeps the process alive, on a fresh environment, and say so.
    let attempt = await attemptRun(home, 'wide', 'cli');
    let note = '';
    if (attempt.premature) {
      note = `CLI \`scheduler --until-idle\` exited early (exit ${attempt.scheduler.code}, after ${seconds(attempt.scheduler.ms)}, ${attempt.done}/${TASKS} tasks done); measured with bench/loop-host.mjs instead`;
      console.log(`  *** ${note}`);
      attempt = await attemptRun(home, 'wide2', 'loop-host');
    }
    const { scheduler, dagRun, tis, ticks } = attempt;
    const done = tis.filter((ti) => ti.state === 'success');
    const finished = dagRun.state === 'success' && done.length === TASKS;

    const runStart = parse(dagRun.start_date);
    // An unfinished run (scheduler timeout) is measured up to its last finished task, and extrapolated.
    const runEnd = finished ? parse(dagRun.end_date) : Math.max(...done.map((ti) => parse(ti.end_date)));
    const runMs = runEnd - runStart;
    const projectedMs = finished ? runMs : (runMs / Math.max(done.length, 1)) * TASKS;
    const runRatio = projectedMs / makeMs;
    const throughput = done.length / (runMs / 1000);
    const launchMs = mean(done.map((ti) => parse(ti.start_date) - parse(ti.queued_when)));
    const bodyMs = mean(done.map((ti) => (ti.duration ?? NaN) * 1000));

    printTable(`wide (${TASKS} tasks, N = ${n})`, ['measure', 'airflow-serverless (local)', `make -j ${n}`, 'ratio'], [
      [
        `wall time${finished ? '' : ` (UNFINISHED: ${done.length}/${TASKS} done; projected)`}`,
        seconds(projectedMs),
        seconds(makeMs, 3),
        ratio(runRatio),
      ],
      ['throughput (tasks/s)', throughput.toFixed(1), (TASKS / (makeMs / 1000)).toFixed(0), ''],
      ['per task: queued → start (spawn + claim)', ms(launchMs), '', ''],
      ['per task: body (`true`, as recorded)', ms(bodyMs), '', ''],
      ['scheduler command wall time / ticks', `${seconds(scheduler.ms)} / ${ticks}`, '', ''],
      // On N cores, a loop that burns a core itself leaves the tasks the rest: this row shows whether it does.
      ['scheduler process CPU (its own, not the tasks\')', `${seconds(scheduler.cpuMs)} (${ms(scheduler.cpuMs / TASKS)} per task)`, '', ''],
    ]);
    // What the target allows on this machine: the floor is the least any design with those per-try duties pays.
    printTable('wide: the floor (bench/floor.c: per try only a process group, `bash -c true` and a log file)', ['run', 'wall time', 'against make', 'against the floor'], [
      [`make -j ${n}`, seconds(makeMs, 3), '1.0×', ''],
      floor.ms === null
        ? ['floor', `skipped: ${floor.reason}`, '', '']
        : ['floor', seconds(floor.ms, 3), ratio(floor.ms / makeMs), '1.0×'],
      ['airflow-serverless', seconds(projectedMs), ratio(runRatio), floor.ms === null ? '' : ratio(projectedMs / floor.ms)],
    ]);
    const v = verdict(
      'wide',
      finished && runRatio <= TARGET_RATIO,
      `${seconds(projectedMs)} vs make ${seconds(makeMs, 3)} = ${ratio(runRatio)} (target ≤ ${TARGET_RATIO}×)` +
        (finished ? '' : ` — run UNFINISHED after ${SCHEDULER_TIMEOUT_S} s (${done.length}/${TASKS}); time projected`) +
        // Where even the floor misses the target, no design that keeps those per-try duties can meet it here.
        (floor.ms !== null && floor.ms / makeMs > TARGET_RATIO ? `; the floor alone is ${ratio(floor.ms / makeMs)} on this machine` : '') +
        (note ? ` [${note}]` : ''),
    );
    return { tasks: TASKS, via: note ? 'loop-host' : 'cli', note, parallelism: n, makeMs, floorMs: floor.ms, floorSkipped: floor.reason, runMs, projectedMs, finished, done: done.length, ratio: runRatio, throughput, launchMs, bodyMs, ticks, schedulerWallMs: scheduler.ms, schedulerCpuMs: scheduler.cpuMs, verdict: v };
  } finally {
    removeTempDir(home);
  }
}
