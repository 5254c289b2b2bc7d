/**
 * task_start: what a Python task's start costs — the runner process importing our `airflow` package and
 * a 10-task DAG file, building the context and calling one @task — against a bare `python3 -c pass` in
 * the same run. Bytecode is cached as the worker caches it (PYTHONPYCACHEPREFIX outside the volume), so
 * the first, cold run is reported apart and the median covers the warm ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { median, ms, printTable, ratio, REPO_ROOT, removeTempDir, run, tempDir, verdict } from './lib.mjs';

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
      AIRFLOW_SERVERLESS_TASK_INPUT: inputFile,
      AIRFLOW_SERVERLESS_TASK_RESULT: resultFile,
    };
    const task = () => run(PYTHON, [RUNNER], { env, cwd: volume });
    const bare = () => run(PYTHON, ['-c', 'pass'], { cwd: volume });

    const cold = (await task()).ms;
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    if (result.status !== 'success' || result.return_value?.value?.rows !== 10) {
      throw new Error(`the benchmark task did not succeed: ${JSON.stringify(result)}`);
    }
    const baseline = [];
    const runner = [];
    // Interleaved, so a burst of load on the shared machine hits both series alike.
    for (let i = 0; i < RUNS; i++) {
      baseline.push((await bare()).ms);
      runner.push((await task()).ms);
    }
    const base = median(baseline);
    const start = median(runner);
    const overhead = start - base;
    printTable(`task_start: python_file task start, median of ${RUNS} (10-task DAG file, @task call)`, ['', 'wall time'], [
      ['python3 -c pass (baseline)', ms(base)],
      ['task runner, warm bytecode', ms(start)],
      ['task runner, first run (cold bytecode)', ms(cold)],
      ['overhead over the baseline', ms(overhead)],
      ['ratio', ratio(start / base)],
    ]);
    return {
      baseline_ms: base,
      runner_ms: start,
      cold_ms: cold,
      overhead_ms: overhead,
      ratio: start / base,
      verdict: verdict('task_start', overhead <= TARGET_OVERHEAD_MS, `a Python task's start costs ${ms(overhead)} over python3 -c pass (target ≤ ${TARGET_OVERHEAD_MS} ms)`),
    };
  } finally {
    removeTempDir(volume);
  }
}
