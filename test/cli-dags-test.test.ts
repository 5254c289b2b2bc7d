/**
 * `dags test` and `tasks test` (issue 10 point 4): a DAG file runs to completion with no environment, each
 * task's log printed as it runs, exit 0 iff the run succeeded; one task runs alone; and `dags test --env`
 * records its run in the environment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';

const MANIFEST = `demo:
  schedule: "@daily"
  start_date: 2025-01-01
  params:
    who: world
  tasks:
    first:
      operator: BashOperator
      bash_command: echo "first on {{ ds }}"
    second:
      operator: PythonOperator
      python_callable_file: callables/greet.py
      python_callable_name: greet
      op_kwargs:
        who: "{{ params.who }}"
      dependencies: [first]
    third:
      operator: BashOperator
      bash_command: test "{{ dag_run.conf.get('fail', 'no') }}" = no
      dependencies: [second]
`;

describe('dags test and tasks test', () => {
  const sandbox = new CliSandbox();
  let file = '';

  beforeAll(() => {
    file = sandbox.writeFile('dags/demo.yaml', MANIFEST);
    sandbox.writeFile('dags/callables/greet.py', 'def greet(who):\n    print("hello " + who)\n');
  });
  afterAll(() => sandbox.cleanup());

  it('runs a DAG file to completion with no environment, streaming every task log in order; exit 0 on success', async () => {
    const result = await sandbox.run(['dags', 'test', '--file', file, '--logical-date', '2025-03-01']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('[first] first on 2025-03-01')).toBeGreaterThanOrEqual(0);
    expect(at('[second] hello world')).toBeGreaterThan(at('[first] first on 2025-03-01'));
    expect(at('[third] ')).toBeGreaterThan(at('[second] hello world'));
    expect(result.stdout).toMatch(/DAG run manual__2025-03-01T00:00:00\+00:00: success/);
    // Nothing was created where environments live.
    expect(fs.existsSync(path.join(sandbox.home, 'envs'))).toBe(false);
  }, 120_000);

  it('exits 1 when the run fails, with the failing task in the output and --json on stdout', async () => {
    const result = await sandbox.run(['dags', 'test', '--file', file, '--conf', '{"fail": "yes"}', '--json']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { state: string; task_instances: Array<{ task_id: string; state: string }> };
    expect(json.state).toBe('failed');
    expect(json.task_instances.map((t) => [t.task_id, t.state]).sort()).toEqual([['first', 'success'], ['second', 'success'], ['third', 'failed']]);
    expect(result.stderr).toContain('[third]');
  }, 120_000);

  it('tasks test runs one task alone, once, and prints its log', async () => {
    const ok = await sandbox.run(['tasks', 'test', '--file', file, '--dag-id', 'demo', '--task-id', 'second']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('hello world');
    expect(ok.stdout).not.toContain('first on');
    expect(ok.stdout).toMatch(/Task second: success/);
    expectOneLineError(await sandbox.run(['tasks', 'test', '--file', file, '--dag-id', 'demo', '--task-id', 'nope']), /has no task "nope"/);
    expectOneLineError(await sandbox.run(['dags', 'test', '--file', path.join(sandbox.dir, 'missing.yaml')]), /no such file/);
    // Python DAG files are tested in cli-python-ops.test.ts; a .py without Airflow's safe-mode words is no DAG file.
    expectOneLineError(await sandbox.run(['dags', 'test', '--file', sandbox.writeFile('dags/dag.py', 'x = 1\n')]), /dag\.py: not a DAG file/);
    expectOneLineError(await sandbox.run(['dags', 'test', '--file', sandbox.writeFile('dags/dag.txt', 'x\n')]), /must be a Python file \(\.py\) or a YAML manifest/);
  }, 120_000);

  it('dags test --env runs an uploaded DAG and records the run', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', file]);
    await sandbox.ok(['tick', '--env', 'dev']);
    await sandbox.ok(['dags', 'pause', '--env', 'dev', '--dag-id', 'demo']);
    await sandbox.ok(['tick', '--env', 'dev']);
    expectOneLineError(await sandbox.run(['dags', 'test', '--env', 'dev', '--dag-id', 'demo']), /paused.*unpause/);
    await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'demo']);
    await sandbox.ok(['tick', '--env', 'dev']);
    const result = await sandbox.run(['dags', 'test', '--env', 'dev', '--dag-id', 'demo', '--logical-date', '2024-06-01']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('[second] hello world');
    const runs = await sandbox.json<{ dag_runs: Array<{ dag_run_id: string; state: string }> }>(['runs', 'list', '--env', 'dev', '--run-type', 'manual']);
    expect(runs.dag_runs).toEqual([expect.objectContaining({ dag_run_id: 'manual__2024-06-01T00:00:00+00:00', state: 'success' })]);
  }, 180_000);
});
