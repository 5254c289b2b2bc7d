/**
 * Python DAG files end to end through the real CLI on the local provider, with the real parse worker and
 * task runner, on SQLite and (with TEST_DATABASE_URL) Postgres: TaskFlow with XCom and multiple_outputs,
 * params, branching into a task group with templating and a trigger rule on the join, and setup/teardown
 * around failing work. States, XCom-carried values and log lines are the ones Airflow gives.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DagRunJson, TaskInstanceJson } from '../src/service/shapes.js';
import { CliSandbox, EXAMPLES_DIR } from './helpers/cli.js';

type Runs = { dag_runs: DagRunJson[] };
type Tasks = { task_instances: TaskInstanceJson[] };

const POSTGRES = process.env['TEST_DATABASE_URL'];
const backends: Array<[string, string]> = [['sqlite', '']];
if (POSTGRES) {
  const schema = `e2e_py_${process.pid}`;
  backends.push(['postgres', `database:\n  type: postgres\n  connection_string: "${POSTGRES}?options=-c%20search_path%3D${schema}"\n`]);
}

describe.each(backends)('Python DAG files end to end (%s)', (name, databaseConfig) => {
  let sandbox: CliSandbox;
  beforeEach(async () => {
    sandbox = new CliSandbox();
    if (name === 'postgres') {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS e2e_py_${process.pid} CASCADE; CREATE SCHEMA e2e_py_${process.pid}`);
      await client.end();
    }
  });
  afterEach(() => sandbox.cleanup());

  const states = async (dagId: string, runId: string) =>
    Object.fromEntries(
      (await sandbox.json<Tasks>(['tasks', 'list', '--env', 'py', '--dag-id', dagId, '--run-id', runId])).task_instances.map((t) => [t.task_id, t.state]),
    );
  const log = async (dagId: string, runId: string, taskId: string) =>
    (await sandbox.ok(['tasks', 'logs', '--env', 'py', '--dag-id', dagId, '--run-id', runId, '--task-id', taskId])).stdout;

  it('uploads, parses and runs the Python examples to the results Airflow gives', async () => {
    await sandbox.ok(['create', '--env', 'py', '--config', sandbox.writeConfig(databaseConfig)]);
    for (const file of ['tutorial_taskflow.py', 'branching_groups.py', 'setup_teardown.py']) {
      await sandbox.ok(['dags', 'create', '--env', 'py', '--file', path.join(EXAMPLES_DIR, file)]);
    }
    const taskflow = (await sandbox.ok(['dags', 'trigger', '--env', 'py', '--dag-id', 'tutorial_taskflow', '--conf', '{"currency": "USD"}'])).stdout.trim();
    const badParam = await sandbox.run(['dags', 'trigger', '--env', 'py', '--dag-id', 'tutorial_taskflow', '--conf', '{"currency": "GBP"}']);
    expect(badParam.stderr).toContain('Invalid input for param currency');
    const branch = (
      await sandbox.ok(['dags', 'trigger', '--env', 'py', '--dag-id', 'branching_groups', '--logical-date', '2025-03-04T00:00:00Z'])
    ).stdout.trim();
    const incremental = (
      await sandbox.ok(['dags', 'trigger', '--env', 'py', '--dag-id', 'branching_groups', '--conf', '{"mode": "incremental"}', '--logical-date', '2025-03-05T00:00:00Z'])
    ).stdout.trim();
    const failing = (await sandbox.ok(['dags', 'trigger', '--env', 'py', '--dag-id', 'setup_teardown', '--conf', '{"fail": true}'])).stdout.trim();

    const scheduler = await sandbox.run(['scheduler', '--env', 'py', '--until-idle', '--timeout', '240']);
    expect(scheduler.code, scheduler.stderr).toBe(0);

    const runs = new Map((await sandbox.json<Runs>(['runs', 'list', '--env', 'py'])).dag_runs.map((r) => [r.dag_run_id + r.dag_id, r.state]));
    expect(runs.get(taskflow + 'tutorial_taskflow')).toBe('success');
    expect(await states('tutorial_taskflow', taskflow)).toEqual({ extract: 'success', transform: 'success', load: 'success' });
    expect(await log('tutorial_taskflow', taskflow, 'load')).toContain('3 orders, total 1236.70 USD');

    expect(runs.get(branch + 'branching_groups')).toBe('success');
    expect(await states('branching_groups', branch)).toEqual({
      start: 'success',
      choose: 'success',
      'full_load.extract': 'success',
      'full_load.load': 'success',
      incremental: 'skipped',
      join: 'success',
    });
    expect(await log('branching_groups', branch, 'full_load.extract')).toContain('extracting for 2025-03-04');
    expect(await log('branching_groups', branch, 'full_load.load')).toContain('loaded extracting for 2025-03-04');
    expect(await states('branching_groups', incremental)).toMatchObject({ 'full_load.extract': 'skipped', 'full_load.load': 'skipped', incremental: 'success', join: 'success' });

    expect(runs.get(failing + 'setup_teardown')).toBe('failed');
    expect(await states('setup_teardown', failing)).toEqual({ create_cluster: 'success', run_query: 'failed', delete_cluster: 'success' });
    expect(await log('setup_teardown', failing, 'run_query')).toContain('ValueError: query failed on cluster-1');
    expect(await log('setup_teardown', failing, 'delete_cluster')).toContain('deleted cluster-1');
  }, 300_000);
});
