import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PythonOperatorArgs } from '../src/dag/model.js';
import { readXcom, runTaskFunction, writeXcom } from '../src/worker/index.js';
import { logPath } from '../src/volume-layout.js';
import { PYCACHE_DIR } from '../src/worker/operators/task-runner.js';
import { RUN_ID, createHarness, makePayload, processExists, pythonTask, type Harness } from './worker-harness.js';

let harness: Harness;
afterEach(() => harness?.cleanup());

type Kind = 'python' | 'branch_python' | 'short_circuit';

async function runPython(kind: Kind, args: Partial<PythonOperatorArgs>, overrides: Parameters<typeof makePayload>[1] = {}) {
  const payload = makePayload(pythonTask(kind, args), overrides);
  await harness.dispatch(payload);
  const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, requestTick: harness.requestTick, callId: 'c' });
  return { payload, final };
}

const xcom = (key = 'return_value') => readXcom(harness.root, { dag_id: 'd', run_id: RUN_ID, task_id: 't', map_index: -1 }, key);

describe('PythonOperator', () => {
  it('calls the function from a file with rendered op_kwargs and pushes its return value', async () => {
    harness = createHarness({ withFixtures: true });
    const { payload, final } = await runPython('python', {
      python_callable_name: 'add',
      op_kwargs: { a: 2, b: '{{ params.x }}' },
    }, { dag: { ...makePayload(pythonTask('python', {})).dag, render_template_as_native_obj: true } });
    expect(final).toMatchObject({ status: 'SUCCESS', exit_code: 0 });
    // native rendering turned '{{ params.x }}' into the number 1; `ds` came from the context by name.
    expect(xcom()?.value).toEqual({ sum: 3, ds: '2024-01-01' });
    const log = fs.readFileSync(path.join(harness.root, logPath(payload)), 'utf8');
    expect(log).toContain('adding 2 and 1');
    expect(log).toContain('to stderr');
    expect(log).toMatch(/Task finished: SUCCESS/);
  });

  it('renders op_args as text by default and passes named context values', async () => {
    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('python', {
      python_callable_name: 'positional_and_context',
      op_args: ['{{ ds_nodash }}', ['{{ dag_run.conf.y }}']],
    });
    expect(final?.status).toBe('SUCCESS');
    expect(xcom()?.value).toEqual(['20240101', ['from-conf'], RUN_ID, 1, 'from-conf']);
  });

  it('gives **context the whole context: dag_run.conf, params, ti, templates_dict', async () => {
    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('python', { python_callable_name: 'everything', templates_dict: { q: 'day={{ ds }}' } }, { try_number: 3 });
    expect(final?.status).toBe('SUCCESS');
    expect(xcom()?.value).toEqual({
      conf: { y: 'from-conf' },
      run_logical_date: '2024-01-01T00:00:00+00:00',
      year: 2024,
      params: { x: 1, y: 'from-conf' },
      try_number: 3,
      templates_dict: { q: 'day=2024-01-01' },
      logical_date: '2024-01-01T00:00:00+00:00',
      ts_nodash: '20240101T000000',
    });
  });

  it("a run without a logical date has no date names, as in Airflow 3, and the KeyError says why", async () => {
    harness = createHarness({ withFixtures: true });
    const noDate = { run_id: 'manual__x', run_type: 'manual' as const, logical_date: null, data_interval_start: null, data_interval_end: null, run_after: '2024-01-02T00:00:00.000Z', start_date: null, conf: {} };
    // No templated field: a `{{ ds }}` would fail first, as an undefined name (StrictUndefined).
    const { payload, final } = await runPython('python', { python_callable_name: 'everything' }, { run_id: 'manual__x', run: noDate });
    expect(final?.status).toBe('FAILED');
    expect(final?.error).toMatch(/^KeyError: 'logical_date' \(this run has no logical date, so \(as in Airflow 3\) its context has no 'logical_date'/);
    expect(fs.readFileSync(path.join(harness.root, logPath(payload)), 'utf8')).toContain('trigger it with a logical date');
    const templated = await runPython('python', { python_callable_name: 'everything', templates_dict: { q: 'day={{ ds }}' } }, { run_id: 'manual__y', run: { ...noDate, run_id: 'manual__y' } });
    expect(templated.final?.error).toMatch(/'ds' is undefined/);
  });

  it('an exception fails the try with its last line; the traceback is in the log', async () => {
    harness = createHarness({ withFixtures: true });
    const { payload, final } = await runPython('python', { python_callable_name: 'boom' });
    // The process exits 1 as Airflow's does: a failed try never reads "exit code 0".
    expect(final).toMatchObject({ status: 'FAILED', error: 'ValueError: boom happened', exit_code: 1 });
    expect(final?.no_retry).toBeUndefined();
    expect(xcom()).toBeUndefined();
    const log = fs.readFileSync(path.join(harness.root, logPath(payload)), 'utf8');
    expect(log).toContain('Traceback (most recent call last)');
    expect(log).toMatch(/Task finished: FAILED after [\d.]+ s, exit code 1\n/);
  });

  it('a callable that cannot be found fails without retry', async () => {
    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('python', { python_callable_name: 'no_such_function' });
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true });
    expect(final?.error).toMatch(/AttributeError: .*no_such_function/);
  });

  it('a callable file outside dags/ is never run, even when a payload names one past validation', async () => {
    harness = createHarness({ withFixtures: true });
    const marker = path.join(harness.root, 'outside-ran');
    fs.writeFileSync(path.join(harness.root, 'outside.py'), `def run():\n    open(${JSON.stringify(marker)}, "w").write("ran")\n`);
    const { final } = await runPython('python', { python_callable_name: 'run', python_callable_file: '../outside.py' });
    expect(final).toMatchObject({ status: 'FAILED' });
    expect(final?.error).toContain('python_callable_file "../outside.py" is outside the dags folder');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('None is not pushed; a set is pushed as a list; an object JSON cannot carry fails the try', async () => {
    harness = createHarness({ withFixtures: true });
    expect((await runPython('python', { python_callable_name: 'returns_none' })).final?.status).toBe('SUCCESS');
    expect(xcom()).toBeUndefined();
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    await runPython('python', { python_callable_name: 'not_json' });
    expect(xcom()?.value).toEqual([1, 2]);
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('python', { python_callable_name: 'not_serialisable' });
    expect(final).toMatchObject({ status: 'FAILED', error: "TypeError: return value of task 't': cannot serialize object of type _Opaque" });
  });

  it('imports a dotted module.function from dags/, and files can import their siblings', async () => {
    harness = createHarness({ withFixtures: true });
    await runPython('python', { python_callable_file: null, python_callable_name: 'mod_tasks.greet', op_kwargs: { name: 'ada' } });
    expect(xcom()?.value).toBe('hello ada on 2024-01-01');
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    await runPython('python', { python_callable_name: 'uses_sibling', op_args: ['hey'] });
    expect(xcom()?.value).toBe('HEY!');
  });

  it('ti.xcom_pull and ti.xcom_push work inside the callable', async () => {
    harness = createHarness({ withFixtures: true });
    writeXcom(harness.root, { dag_id: 'd', run_id: RUN_ID, task_id: 'a', map_index: -1 }, 'return_value', [1, 2], new Date());
    await runPython('python', { python_callable_name: 'pull_and_push' });
    expect(xcom()?.value).toEqual([1, 2]);
    expect(xcom('extra')).toMatchObject({ key: 'extra', value: { n: 1 }, task_id: 't' });
  });

  it('AirflowSkipException (imported from airflow.exceptions) skips the try; AirflowFailException fails it without retry', async () => {
    harness = createHarness({ withFixtures: true });
    expect((await runPython('python', { python_callable_name: 'skip_me' })).final?.status).toBe('SKIPPED');
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('python', { python_callable_name: 'fail_for_good' });
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true, error: 'AirflowFailException: no point retrying' });
  });

  it('get_current_context() works inside a YAML callable', async () => {
    harness = createHarness({ withFixtures: true });
    expect((await runPython('python', { python_callable_name: 'current_context_run_id' })).final?.status).toBe('SUCCESS');
    expect(xcom()?.value).toBe(RUN_ID);
  });

  it('caches bytecode outside the volume: no __pycache__ in dags/, no recompiling at every start', async () => {
    harness = createHarness({ withFixtures: true });
    await runPython('python', { python_callable_name: 'uses_sibling', op_args: ['x'] });
    expect(fs.existsSync(path.join(harness.root, 'dags/helpers/__pycache__'))).toBe(false);
    const cached = path.join(PYCACHE_DIR, harness.root, 'dags/helpers');
    expect(fs.readdirSync(cached).some((name) => name.startsWith('text.') && name.endsWith('.pyc'))).toBe(true);
    fs.rmSync(path.join(PYCACHE_DIR, harness.root), { recursive: true, force: true });
  });

  it('a timeout kills the Python process group', async () => {
    harness = createHarness({ withFixtures: true });
    const pidFile = path.join(harness.root, 'pids');
    fs.writeFileSync(
      path.join(harness.root, 'dags/slow.py'),
      [
        'import os, subprocess, time',
        'def wait():',
        '    child = subprocess.Popen(["sleep", "1000"])',
        `    open(${JSON.stringify(pidFile)}, "w").write("%d\\n%d" % (os.getpid(), child.pid))`,
        '    time.sleep(1000)',
      ].join('\n'),
    );
    // Long enough for the runner to start and reach the callable on a loaded machine (it took over 1 s).
    const { final } = await runPython('python', { python_callable_file: 'slow.py', python_callable_name: 'wait' }, { timeout_seconds: 5 });
    expect(final).toMatchObject({ status: 'FAILED', error: 'Task timed out after 5 seconds' });
    for (const pid of fs.readFileSync(pidFile, 'utf8').split('\n').map(Number)) expect(processExists(pid), `pid ${pid}`).toBe(false);
  });
});

describe('BranchPythonOperator', () => {
  it('a task id, a list, or None become follow_task_ids', async () => {
    harness = createHarness({ withFixtures: true });
    const single = await runPython('branch_python', { python_callable_name: 'choose' }, {
      run: { ...makePayload(pythonTask('python', {})).run, conf: { branch: 'left' } },
    });
    expect(single.final).toMatchObject({ status: 'SUCCESS', follow_task_ids: ['left'] });
    expect(xcom()?.value).toBe('left');
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    expect((await runPython('branch_python', { python_callable_name: 'choose_many' })).final?.follow_task_ids).toEqual(['x', 'y']);
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    expect((await runPython('branch_python', { python_callable_name: 'choose_nothing' })).final?.follow_task_ids).toEqual([]);
  });

  it('a return value that is not task ids fails', async () => {
    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('branch_python', { python_callable_name: 'bad_branch' });
    expect(final?.status).toBe('FAILED');
    expect(final?.error).toBe("AirflowException: 'branch_task_ids' must be either None, a task ID, or an Iterable of IDs, but got 'int'.");
    expect(final?.follow_task_ids).toBeUndefined();
  });
});

describe('ShortCircuitOperator', () => {
  it('a falsy result short-circuits all or only direct downstream tasks', async () => {
    harness = createHarness({ withFixtures: true });
    const all = await runPython('short_circuit', { python_callable_name: 'falsy', ignore_downstream_trigger_rules: true });
    expect(all.final).toMatchObject({ status: 'SUCCESS', short_circuit: 'all_downstream' });
    expect(xcom()).toBeUndefined();
    harness.cleanup();

    harness = createHarness({ withFixtures: true });
    const direct = await runPython('short_circuit', { python_callable_name: 'falsy', ignore_downstream_trigger_rules: false });
    expect(direct.final).toMatchObject({ status: 'SUCCESS', short_circuit: 'direct_downstream' });
  });

  it('a truthy result continues and is pushed', async () => {
    harness = createHarness({ withFixtures: true });
    const { final } = await runPython('short_circuit', { python_callable_name: 'truthy' });
    expect(final?.status).toBe('SUCCESS');
    expect(final?.short_circuit).toBeUndefined();
    expect(xcom()?.value).toBe('go on');
  });
});
