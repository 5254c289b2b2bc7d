/**
 * chain: a 20-task linear DAG of BashOperator `true` tasks, run by the local scheduler loop, against the
 * same chain as a Makefile run by `make`. The number that matters is the per-hop overhead: the gap between
 * task i's end_date and task i+1's start_date. The loop runs with a 60 s interval, so a hop that waits for
 * the period instead of the fast-follow wake-up shows up as a ~60 s gap (and a scheduler timeout).
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  bashTask,
  cli,
  deployAndTrigger,
  isoMs as parse,
  mean,
  median,
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

const TASKS = 20;
const REPEATS = 3;
const TARGET_HOP_MS = 50;
const DAG_ID = 'bench_chain';
/** A healthy run takes seconds; one hop that waits for the 60 s period already blows this. */
const SCHEDULER_TIMEOUT_S = 150;

function chainManifest() {
  const tasks = {};
  for (let i = 1; i <= TASKS; i++) tasks[taskId(i)] = bashTask('true', i > 1 ? [taskId(i - 1)] : []);
  return YAML.stringify({ [DAG_ID]: { schedule: null, start_date: '2024-01-01', catchup: false, max_active_tasks: 16, tasks } });
}

function chainMakefile() {
  const ids = Array.from({ length: TASKS }, (_, i) => taskId(i + 1));
  const lines = [`.PHONY: ${ids.join(' ')}`];
  ids.forEach((id, i) => lines.push(`${id}:${i > 0 ? ` ${ids[i - 1]}` : ''}`, '\ttrue'));
  return `${lines.join('\n')}\n`;
}

async function makeBaseline(dir) {
  const makefile = path.join(dir, 'Makefile');
  fs.writeFileSync(makefile, chainMakefile());
  // Median of five: make's total is a few ms, so one sample is mostly spawn noise.
  const samples = [];
  for (let i = 0; i < 5; i++) samples.push((await run('make', ['-s', '-f', makefile, taskId(TASKS)], { cwd: dir })).ms);
  return median(samples);
}

async function oneRepeat(index) {
  const home = tempDir(`chain${index}`);
  try {
    const env = 'chain';
    await deployAndTrigger(home, env, DAG_ID, chainManifest());

    const scheduler = await cli(home, ['scheduler', '--env', env, '--until-idle', '--timeout', String(SCHEDULER_TIMEOUT_S), '--quiet'], {
      allowFailure: true,
      timeoutMs: (SCHEDULER_TIMEOUT_S + 30) * 1000,
      sampleCpu: true,
    });
    const { dagRun, tis } = await readRun(home, env, DAG_ID);
    if (!dagRun) throw new Error(`chain: no run of ${DAG_ID} after the scheduler (exit ${scheduler.code}): ${scheduler.stderr.slice(-400)}`);
    tis.sort((a, b) => a.task_id.localeCompare(b.task_id));

    const hops = [];
    const reactions = [];
    const launches = [];
    for (let i = 1; i < tis.length; i++) {
      const prev = tis[i - 1];
      const next = tis[i];
      hops.push(parse(next.start_date) - parse(prev.end_date));
      // Where a hop goes: prev end -> next queued (report, wake-up, tick) and queued -> started (process start, claim).
      reactions.push(parse(next.queued_when) - parse(prev.end_date));
      launches.push(parse(next.start_date) - parse(next.queued_when));
    }
    const succeeded = tis.filter((ti) => ti.state === 'success').length;
    const makeMs = await makeBaseline(home);
    const runMs = parse(dagRun.end_date) - parse(dagRun.start_date);
    return {
      state: dagRun.state,
      succeeded,
      schedulerExit: scheduler.code,
      schedulerWallMs: scheduler.ms,
      schedulerCpuMs: scheduler.cpuMs,
      runMs,
      hopMs: mean(hops),
      hopMaxMs: Math.max(...hops),
      reactionMs: mean(reactions),
      launchMs: mean(launches),
      taskBodyMs: mean(tis.map((ti) => (ti.duration ?? NaN) * 1000)),
      makeMs,
      makePerHopMs: makeMs / TASKS,
      ratio: runMs / makeMs,
    };
  } finally {
    removeTempDir(home);
  }
}

export async function benchChain() {
  console.log(`\n== chain: ${TASKS}-task linear DAG of \`true\` vs make (${REPEATS} repeats, scheduler.interval_seconds=60) ==`);
  const repeats = [];
  for (let i = 1; i <= REPEATS; i++) {
    const r = await oneRepeat(i);
    repeats.push(r);
    console.log(`  repeat ${i}: run ${r.state} (${r.succeeded}/${TASKS} tasks), per-hop ${ms(r.hopMs)}, run ${seconds(r.runMs)}, make ${ms(r.makeMs)}`);
  }
  const pick = (key) => median(repeats.map((r) => r[key]));
  const summary = {
    hopMs: pick('hopMs'),
    hopMaxMs: pick('hopMaxMs'),
    reactionMs: pick('reactionMs'),
    launchMs: pick('launchMs'),
    taskBodyMs: pick('taskBodyMs'),
    runMs: pick('runMs'),
    schedulerWallMs: pick('schedulerWallMs'),
    schedulerCpuMs: pick('schedulerCpuMs'),
    makeMs: pick('makeMs'),
    makePerHopMs: pick('makePerHopMs'),
    ratio: pick('ratio'),
  };
  printTable(`chain (median of ${REPEATS})`, ['measure', 'airflow-serverless (local)', 'make', 'ratio'], [
    ['per-hop overhead (end[i] → start[i+1])', ms(summary.hopMs), ms(summary.makePerHopMs, 2), ratio(summary.hopMs / summary.makePerHopMs)],
    ['  of which end[i] → queued[i+1] (report + wake + tick)', ms(summary.reactionMs), '', ''],
    ['  of which queued[i+1] → start[i+1] (spawn + claim)', ms(summary.launchMs), '', ''],
    ['worst hop', ms(summary.hopMaxMs), '', ''],
    ['task body (`true`, as recorded)', ms(summary.taskBodyMs), '', ''],
    ['total (run start → run end)', seconds(summary.runMs), ms(summary.makeMs), ratio(summary.ratio)],
    ['scheduler command wall time', seconds(summary.schedulerWallMs), '', ''],
    ['scheduler process CPU (its own)', seconds(summary.schedulerCpuMs), '', ''],
  ]);
  const allDone = repeats.every((r) => r.state === 'success' && r.succeeded === TASKS && r.schedulerExit === 0);
  const v = verdict(
    'chain',
    allDone && summary.hopMs < TARGET_HOP_MS,
    `per-hop overhead ${ms(summary.hopMs)} (target < ${TARGET_HOP_MS} ms); total ${ratio(summary.ratio)} make's` +
      (allDone ? '' : ' — NOT every repeat finished: a hop waited for the period or a task failed'),
  );
  return { summary, repeats, verdict: v };
}
