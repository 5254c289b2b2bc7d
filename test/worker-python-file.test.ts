/**
 * Tasks of a Python DAG file (`operator: 'python_file'`) run by the worker through the Python task
 * runner: the payload is built by hand here (the parse integration is tested elsewhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readXcom, runTaskFunction, writeXcom } from '../src/worker/index.js';
import { logPath } from '../src/volume-layout.js';
import { RUN_ID, createHarness, makePayload, processExists, pythonFileTask, type Harness } from './worker-harness.js';

let harness: Harness;
afterEach(() => harness?.cleanup());

const DAG_ID = 'worker_dag';

async function runTask(
  taskId: string,
  kind = 'task',
  options: { conf?: Record<string, unknown>; fileloc?: string; timeout?: number; noLogicalDate?: boolean } = {},
) {
  const base = makePayload(pythonFileTask(taskId, kind));
  const noDate = { logical_date: null, data_interval_start: null, data_interval_end: null };
  const payload = makePayload(pythonFileTask(taskId, kind), {
    dag_id: DAG_ID,
    dag: { ...base.dag, dag_id: DAG_ID, fileloc: options.fileloc ?? 'worker_dag.py', params: { who: 'ada' } },
    run: { ...base.run, conf: options.conf ?? {}, ...(options.noLogicalDate ? noDate : {}) },
    ...(options.timeout !== undefined ? { timeout_seconds: options.timeout } : {}),
  });
  await harness.dispatch(payload);
  const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, requestTick: harness.requestTick, callId: 'c' });
  const log = fs.readFileSync(path.join(harness.root, logPath(payload)), 'utf8');
  return { payload, final, log };
}

const xcom = (taskId: string, key = 'return_value') => readXcom(harness.root, { dag_id: DAG_ID, run_id: RUN_ID, task_id: taskId, map_index: -1 }, key);
const push = (taskId: string, key: string, value: unknown) =>
  writeXcom(harness.root, { dag_id: DAG_ID, run_id: RUN_ID, task_id: taskId, map_index: -1 }, key, value, new Date());

describe('python_file tasks', () => {
  it('@task: context by name and **context, multiple_outputs pushes each key, prints go to the log', async () => {
    harness = createHarness({ withPythonDags: true });
    const { final, log } = await runTask('extract', 'task', { conf: { c: 1 } });
    expect(final).toMatchObject({ status: 'SUCCESS', exit_code: 0 });
    expect(xcom('extract')?.value).toEqual({ rows: 3, names: ['a', 'b'] });
    expect(xcom('extract', 'rows')?.value).toBe(3);
    // Both writers record the run's logical date, which include_prior_dates orders by.
    expect(xcom('extract')?.logical_date).toBe('2024-01-01T00:00:00.000Z');
    expect(xcom('extract', 'rows')?.logical_date).toBe('2024-01-01T00:00:00.000Z');
    expect(xcom('extract', 'names')?.value).toEqual(['a', 'b']);
    expect(log).toContain("extracting for 2024-01-01 conf {'c': 1}");
    expect(log).toMatch(/INFO - Done\. Returned value was: \{'rows': 3, 'names': \['a', 'b'\]\}/);
  });

  it('XComArgs become the upstream values; get_current_context() and logging work', async () => {
    harness = createHarness({ withPythonDags: true });
    push('extract', 'rows', 5);
    push('extract', 'names', ['x']);
    const { final, log } = await runTask('load');
    expect(final?.status).toBe('SUCCESS');
    expect(xcom('load')?.value).toEqual({ total: 6, year: 2024, ts: '2024-01-01T00:00:00+00:00' });
    expect(log).toMatch(/\{worker_dag\.py:\d+\} INFO - loading 5 rows/);
  });

  it("a run without a logical date has no 'logical_date' (Airflow 3): the KeyError says why, in the error and the log", async () => {
    harness = createHarness({ withPythonDags: true });
    push('extract', 'rows', 5);
    push('extract', 'names', ['x']);
    const { final, log } = await runTask('load', 'task', { noLogicalDate: true });
    expect(final?.status).toBe('FAILED');
    expect(final?.error).toMatch(/KeyError: 'logical_date' \(this run has no logical date, so \(as in Airflow 3\) its context has no 'logical_date'/);
    expect(log).toContain('trigger it with a logical date');
  });

  it('@task.bash runs the rendered string it returns and pushes the last output line', async () => {
    harness = createHarness({ withPythonDags: true });
    push('load', 'return_value', { total: 7, year: 2024 });
    const { final, log } = await runTask('echo', 'task_bash');
    expect(final?.status).toBe('SUCCESS');
    expect(xcom('echo')?.value).toBe('loaded=7 2024');
    expect(log).toContain("Running command: ['");
  });

  it('BashOperator: user_defined_macros/filters, env, a .sh template file, exit 99 skips, other codes fail', async () => {
    harness = createHarness({ withPythonDags: true });
    expect((await runTask('bash', 'bash')).final?.status).toBe('SUCCESS');
    expect(xcom('bash')?.value).toBe('HI abab bar');
    expect((await runTask('script', 'bash')).final?.status).toBe('SUCCESS');
    expect(xcom('script')?.value).toBe('script for 2024-01-01');
    expect((await runTask('bash_skip', 'bash')).final?.status).toBe('SKIPPED');
    const failed = await runTask('bash_fail', 'bash');
    expect(failed.final).toMatchObject({
      status: 'FAILED',
      exit_code: 1,
      error: 'AirflowException: Bash command failed. The command returned a non-zero exit code 3.',
    });
    expect(failed.final?.no_retry).toBeUndefined();
  });

  it('a custom operator gets its template_fields rendered, a template_ext file from template_searchpath', async () => {
    harness = createHarness({ withPythonDags: true });
    const { final } = await runTask('greet', 'custom');
    expect(final?.status).toBe('SUCCESS');
    expect(xcom('greet')?.value).toEqual({ name: 'ada', query: 'select * from t where day = 2024-01-01' });
  });

  it('an undefined template name fails the try without retry, naming it', async () => {
    harness = createHarness({ withPythonDags: true });
    const { final } = await runTask('undefined', 'custom');
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true });
    expect(final?.error).toContain("'no_such_name' is undefined");
  });

  it('exceptions: AirflowSkipException skips; any other fails with its one-line summary and is retried', async () => {
    harness = createHarness({ withPythonDags: true });
    expect((await runTask('skip')).final?.status).toBe('SKIPPED');
    const { final, log } = await runTask('boom');
    expect(final).toMatchObject({ status: 'FAILED', exit_code: 1, error: 'ValueError: bad input' });
    expect(final?.no_retry).toBeUndefined();
    expect(log).toContain('Traceback (most recent call last)');
  });

  it('branch and short-circuit outcomes reach the record', async () => {
    harness = createHarness({ withPythonDags: true });
    const branch = await runTask('branch', 'branch', { conf: { branch: 'right' } });
    expect(branch.final).toMatchObject({ status: 'SUCCESS', follow_task_ids: ['right'] });
    expect(xcom('branch')?.value).toBe('right');
    harness.cleanup();

    harness = createHarness({ withPythonDags: true });
    const invalid = await runTask('branch', 'branch', { conf: { branch: 'nowhere' } });
    expect(invalid.final?.status).toBe('FAILED');
    expect(invalid.final?.error).toContain("Invalid tasks found: ['nowhere']");
    const gate = await runTask('gate', 'task_short_circuit');
    expect(gate.final).toMatchObject({ status: 'SUCCESS', short_circuit: 'all_downstream' });
  });

  it('a DAG file that fails to import fails without retry, with file:line', async () => {
    harness = createHarness({ withPythonDags: true });
    const { final } = await runTask('t', 'task', { fileloc: 'broken_dag.py' });
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true, error: "broken_dag.py:4: NameError: name 'undefined_name' is not defined" });
  });

  it('a task the DAG does not have fails without retry', async () => {
    harness = createHarness({ withPythonDags: true });
    const { final } = await runTask('no_such_task');
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true, error: "task 'no_such_task' not found in DAG 'worker_dag' (worker_dag.py)" });
  });

  it("a timeout runs the operator's on_kill before the runner exits, as Airflow does", async () => {
    harness = createHarness({ withPythonDags: true });
    // killable_dag.py writes its markers in the volume root.
    const marker = path.join(harness.root, 'killed');
    const { final, log } = await runTask('waits', 'custom', { fileloc: 'killable_dag.py', timeout: 5 });
    expect(final).toMatchObject({ status: 'FAILED', error: 'Task timed out after 5 seconds' });
    expect(fs.existsSync(`${marker}.started`)).toBe(true);
    expect(fs.readFileSync(marker, 'utf8')).toBe('on_kill ran');
    expect(log).toContain('Received SIGTERM. Terminating subprocesses.');
  });

  it("a timeout ends the runner and the bash it started (same process group)", async () => {
    harness = createHarness({ withPythonDags: true });
    const pidFile = path.join(harness.root, 'pid');
    fs.writeFileSync(
      path.join(harness.root, 'dags/slow_dag.py'),
      [
        'from datetime import datetime',
        'from airflow.sdk import DAG',
        'from airflow.providers.standard.operators.bash import BashOperator',
        'with DAG("worker_dag", schedule=None, start_date=datetime(2024, 1, 1)):',
        `    BashOperator(task_id="slow", bash_command="echo $$ > ${pidFile}; sleep 1000")`,
      ].join('\n'),
    );
    // Long enough for the runner to import the DAG file and start bash on a loaded machine.
    const { final } = await runTask('slow', 'bash', { fileloc: 'slow_dag.py', timeout: 5 });
    expect(final).toMatchObject({ status: 'FAILED', error: 'Task timed out after 5 seconds' });
    expect(processExists(Number(fs.readFileSync(pidFile, 'utf8').trim()))).toBe(false);
  });
});
