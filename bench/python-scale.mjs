/**
 * Python DAG files at scale: 1,000 Airflow DAG files of 10 tasks each (BashOperator chains and fan-outs,
 * cron schedules far in the future, so nothing is due), each in its own file as Airflow users write them.
 * Times, in-process through runTick() with the local provider's ports (bench/scale-child.mjs):
 *   - the first tick: one parse worker imports every file, the DAGs are validated and stored;
 *   - idle ticks: nothing changed, so no Python may start; what the 1,000 files add to an idle tick is
 *     measured against the idle tick of the same environment with no DAG file, in the same run.
 * Baseline for the first tick, also in the same run: one `python3` process compiling the same 1,000
 * files (reading and byte-compiling them is the least any parser must do).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createEnvironment, median, mib, ms, printTable, ratio, removeTempDir, run, seconds, tempDir, verdict } from './lib.mjs';

const DAGS = Number(process.env.BENCH_PYTHON_DAGS ?? 1000);
const TASKS_PER_DAG = 10;
// Enough idle ticks that the median is the steady state, not the garbage collection of the first tick.
const IDLE_TICKS = 25;
const TARGET_FIRST_MS = 10_000;
const TARGET_IDLE_ADDED_MS = 20;
const CHILD = fileURLToPath(new URL('./scale-child.mjs', import.meta.url));

function dagFile(index) {
  const dagId = `py_scale_${String(index).padStart(4, '0')}`;
  const fanOut = index % 2 === 0;
  const lines = [
    'import pendulum',
    'from airflow import DAG',
    'from airflow.providers.standard.operators.bash import BashOperator',
    '',
    'with DAG(',
    `    dag_id="${dagId}",`,
    `    schedule="${index % 60} ${index % 24} * * *",`,
    '    start_date=pendulum.datetime(2099, 1, 1, tz="UTC"),',
    '    catchup=False,',
    `    tags=["bench", "${fanOut ? 'fan-out' : 'chain'}"],`,
    '    default_args={"owner": "bench", "retries": 1},',
    '):',
    `    tasks = [BashOperator(task_id=f"t{i:02d}", bash_command=f"echo ${dagId} step {i}") for i in range(1, ${TASKS_PER_DAG + 1})]`,
    fanOut ? '    tasks[0] >> tasks[1:]' : '    for up, down in zip(tasks, tasks[1:]):\n        up >> down',
    '',
  ];
  return lines.join('\n');
}

export function writeDagFiles(dagsDir) {
  fs.mkdirSync(dagsDir, { recursive: true });
  for (let i = 1; i <= DAGS; i++) fs.writeFileSync(path.join(dagsDir, `py_scale_${String(i).padStart(4, '0')}.py`), dagFile(i));
}

async function child(args) {
  const result = await run(process.execPath, [CHILD, ...args], { timeoutMs: 300_000 });
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

async function ticksIn(label, withFiles) {
  const home = tempDir(`python-scale-${label}`);
  const env = 'pyscale';
  await createEnvironment(home, env, 'scheduler:\n  interval_seconds: 60\n');
  const dagsDir = path.join(home, 'envs', env, 'vol', 'dags');
  if (withFiles) writeDagFiles(dagsDir);
  const tick = await child(['tick', '--home', home, '--env', env, '--idle', String(IDLE_TICKS)]);
  return { home, dagsDir, tick };
}

/** python3 compiling every file: the floor under any parse of them. */
async function compileBaseline(dagsDir) {
  const script = [
    'import os, sys, time',
    'started = time.perf_counter()',
    'd = sys.argv[1]',
    'n = 0',
    'for name in sorted(os.listdir(d)):',
    '    if name.endswith(".py"):',
    '        p = os.path.join(d, name)',
    '        with open(p) as f: compile(f.read(), p, "exec")',
    '        n += 1',
    'print((time.perf_counter() - started) * 1000, n)',
  ].join('\n');
  const started = performance.now();
  const result = await run(process.env.AIRFLOW_SERVERLESS_PYTHON ?? 'python3', ['-c', script, dagsDir], { timeoutMs: 120_000 });
  const wallMs = performance.now() - started;
  const [inner, files] = result.stdout.trim().split(/\s+/).map(Number);
  return { wallMs, innerMs: inner, files };
}

export async function benchPythonScale() {
  console.log(`\n== Python DAG files at scale: ${DAGS} files × ${TASKS_PER_DAG} tasks, nothing due; SQLite ==`);
  const empty = await ticksIn('empty', false);
  removeTempDir(empty.home);
  const full = await ticksIn('files', true);
  const baselines = [];
  for (let i = 0; i < 3; i++) baselines.push(await compileBaseline(full.dagsDir));
  removeTempDir(full.home);
  const baseline = { wallMs: median(baselines.map((b) => b.wallMs)), files: baselines[0].files };

  const t = full.tick;
  const idle = median(t.idleMs);
  const idleEmpty = median(empty.tick.idleMs);
  const added = idle - idleEmpty;
  const problems = [];
  if (t.first.manifestsParsed !== DAGS) problems.push(`parsed ${t.first.manifestsParsed} of ${DAGS} files`);
  if (t.first.importErrors > 0) problems.push(`${t.first.importErrors} import errors`);
  if (t.idle && t.idle.manifestsParsed > 0) problems.push(`idle tick re-parsed ${t.idle.manifestsParsed} files`);

  printTable(
    `Python DAG files at scale (${DAGS} files × ${TASKS_PER_DAG} tasks)`,
    ['measure', 'value', 'baseline'],
    [
      ['first tick (one parse worker, validate, store)', `${seconds(t.firstMs)} (${ratio(t.firstMs / baseline.wallMs)} baseline)`, `python3 compiling the files: ${ms(baseline.wallMs)}`],
      ['  CPU time of the tick process', seconds(t.firstCpuMs), ''],
      [`idle tick, ${DAGS} files (median of ${IDLE_TICKS})`, ms(idle), `empty dags/: ${ms(idleEmpty)}`],
      ['  added by the files', `${ms(added)} (${ratio(idle / Math.max(idleEmpty, 0.001))} of empty)`, ''],
      ['  CPU time (median)', ms(median(t.idleCpuMs)), ms(median(empty.tick.idleCpuMs))],
      ['idle ticks (first 8)', `${t.idleMs.slice(0, 8).map((v) => v.toFixed(1)).join(' ')} ms`, `${empty.tick.idleMs.slice(0, 8).map((v) => v.toFixed(1)).join(' ')} ms`],
      ['peak RSS (tick process)', mib(t.maxRssKiB), mib(empty.tick.maxRssKiB)],
    ],
  );
  if (problems.length > 0) console.log(`  *** ${problems.join('; ')}`);
  const verdicts = [
    verdict('python_scale (first tick)', problems.length === 0 && t.firstMs <= TARGET_FIRST_MS, `${seconds(t.firstMs)} for ${DAGS} files (target ≤ 10 s; ${ratio(t.firstMs / baseline.wallMs)} python3-compile baseline)`),
    verdict('python_scale (idle tick)', problems.length === 0 && added <= TARGET_IDLE_ADDED_MS, `adds ${ms(added)} over an empty dags/ (target ≤ ${TARGET_IDLE_ADDED_MS} ms; ${ms(idle)} vs ${ms(idleEmpty)})`),
  ];
  return {
    dags: DAGS,
    baseline,
    first_ms: t.firstMs,
    first_cpu_ms: t.firstCpuMs,
    idle_ms: t.idleMs,
    idle_empty_ms: empty.tick.idleMs,
    idle_added_ms: added,
    max_rss_kib: t.maxRssKiB,
    problems,
    verdicts,
    verdict: { name: 'python_scale', met: verdicts.every((v) => v.met), text: verdicts.map((v) => `${v.name}: ${v.met ? 'met' : 'MISSED'}`).join(', ') },
  };
}
