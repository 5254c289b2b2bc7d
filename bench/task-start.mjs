/**
 * task_start: what a Python task's start costs — the runner process importing our `airflow` package and
 * a 10-task DAG file, building the context and calling one @task — against a bare `python3 -c pass` in
 * the same run. Bytecode is cached as the worker caches it (PYTHONPYCACHEPREFIX outside the volume), so
 * the first, cold run is reported apart and the median covers the warm ones. A small Python driver
 * starts both commands alternately and reads each child's CPU time from wait4(), so the table shows work
 * (CPU) next to wall time, which a loaded machine inflates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ms, printTable, ratio, REPO_ROOT, removeTempDir, run, tempDir, verdict } from './lib.mjs';

const RUNS = 21;
const TARGET_OVERHEAD_MS = 150;
const RUNNER = path.join(REPO_ROOT, 'python', 'task_runner.py');
const PYTHON = process.env.AIRFLOW_SERVERLESS_PYTHON || 'python3';

/** Ten tasks of the kinds DAG files mix: @task chain with XComArgs, PythonOperator, BashOperator. */
const DAG_FILE = `
from datetime import datetime

from airflow.sdk import dag, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator


def report(**context):
    return context["ds"]


@dag(schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False, tags=["bench"])
def bench_task_start():
    @task
    def extract():
        return {"rows": 10}

    @task
    def transform(data: dict, factor: int = 2):
        return data["rows"] * factor

    @task
    def load(total: int):
        return total + 1

    previous = load(transform(extract()))
    for i in range(4):
        previous >> PythonOperator(task_id=f"report_{i}", python_callable=report)
    BashOperator(task_id="bash_a", bash_command="echo {{ ds }}")
    BashOperator(task_id="bash_b", bash_command="echo done")
    PythonOperator(task_id="last", python_callable=report)


bench_task_start()
`;

/** Runs argv lists alternately; prints per-series medians of wall and CPU milliseconds as JSON. */
const DRIVER = `
import json, os, statistics, subprocess, sys, time
runs, series = int(sys.argv[1]), json.loads(sys.argv[2])
def one(argv):
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit("%s exited with status %d" % (argv, status))
    return 1000 * (time.perf_counter() - started), 1000 * (usage.ru_utime + usage.ru_stime)
cold = one(series["runner"])
samples = {name: [] for name in series}
for _ in range(runs):
    for name, argv in series.items():
        samples[name].append(one(argv))
out = {name: {"wall": statistics.median(s[0] for s in v), "cpu": statistics.median(s[1] for s in v)} for name, v in samples.items()}
out["cold"] = {"wall": cold[0], "cpu": cold[1]}
print(json.dumps(out))
`;

function input(volume, taskId) {
  return {
    mode: 'dag_file',
    dags_dir: path.join(volume, 'dags'),
    fileloc: 'bench_task_start.py',
    dag_id: 'bench_task_start',
    task_id: taskId,
    volume_root: volume,
    ti: { dag_id: 'bench_task_start', task_id: taskId, run_id: 'manual__1', map_index: -1, try_number: 1, max_tries: 0 },
    context: {
      params: {},
      dag_run: {
        dag_id: 'bench_task_start', run_id: 'manual__1', run_type: 'manual', conf: {},
        logical_date: '2024-01-01T00:00:00Z', data_interval_start: '2024-01-01T00:00:00Z',
        data_interval_end: '2024-01-02T00:00:00Z', run_after: '2024-01-02T00:00:00Z', start_date: '2024-01-02T00:00:01Z',
      },
    },
  };
}

export async function benchTaskStart() {
  const volume = tempDir('task-start');
  try {
    fs.mkdirSync(path.join(volume, 'dags'));
    fs.writeFileSync(path.join(volume, 'dags', 'bench_task_start.py'), DAG_FILE);
    const inputFile = path.join(volume, 'input.json');
    const resultFile = path.join(volume, 'result.json');
    fs.writeFileSync(inputFile, JSON.stringify(input(volume, 'extract')));
    const env = {
      PYTHONPYCACHEPREFIX: path.join(volume, 'pycache'),
      PYTHONUNBUFFERED: '1',
      // As the worker runs it: bytecode is cached (in PYTHONPYCACHEPREFIX), for both series alike.
      PYTHONDONTWRITEBYTECODE: '',
      AIRFLOW_SERVERLESS_TASK_INPUT: inputFile,
      AIRFLOW_SERVERLESS_TASK_RESULT: resultFile,
    };
    const series = { baseline: [PYTHON, '-c', 'pass'], runner: [PYTHON, RUNNER] };
    const measured = JSON.parse((await run(PYTHON, ['-c', DRIVER, String(RUNS), JSON.stringify(series)], { env, cwd: volume })).stdout);
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    if (result.status !== 'success' || result.return_value?.value?.rows !== 10) {
      throw new Error(`the benchmark task did not succeed: ${JSON.stringify(result)}`);
    }
    const { baseline, runner, cold } = measured;
    const overhead = runner.wall - baseline.wall;
    printTable(`task_start: python_file task start, median of ${RUNS} (10-task DAG file, @task call)`, ['', 'wall time', 'CPU time'], [
      ['python3 -c pass (baseline)', ms(baseline.wall), ms(baseline.cpu)],
      ['task runner, warm bytecode', ms(runner.wall), ms(runner.cpu)],
      ['task runner, first run (cold bytecode)', ms(cold.wall), ms(cold.cpu)],
      ['overhead over the baseline', ms(overhead), ms(runner.cpu - baseline.cpu)],
      ['ratio', ratio(runner.wall / baseline.wall), ratio(runner.cpu / baseline.cpu)],
    ]);
    return {
      baseline,
      runner,
      cold,
      overhead_ms: overhead,
      overhead_cpu_ms: runner.cpu - baseline.cpu,
      verdict: verdict(
        'task_start',
        overhead <= TARGET_OVERHEAD_MS,
        `a Python task's start costs ${ms(overhead)} wall (${ms(runner.cpu - baseline.cpu)} CPU) over python3 -c pass (target ≤ ${TARGET_OVERHEAD_MS} ms)`,
      ),
    };
  } finally {
    removeTempDir(volume);
  }
}
