/**
 * `db clean` as Airflow's: removes finished runs older than the cutoff with their task instances, history,
 * logs and XCom files, and command log rows; keeps each DAG's newest scheduled run; `--dry-run` removes
 * nothing; without `--yes` and without a terminal it refuses with exit 2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DagRunJson } from '../src/service/shapes.js';
import { CliSandbox } from './helpers/cli.js';

describe('db clean', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('removes old finished runs with their rows and files, keeps the newest scheduled run, and says what it removed', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    const manifest = sandbox.writeFile(
      'dags/daily.yaml',
      `daily:
  schedule: "@daily"
  start_date: 2025-01-01
  end_date: 2025-01-03
  catchup: true
  tasks:
    a:
      operator: BashOperator
      bash_command: echo "value for {{ ds }}"
    b:
      operator: BashOperator
      bash_command: echo done
      dependencies: [a]
`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', manifest]);
    await sandbox.ok(['dags', 'pause', '--env', 'dev', '--dag-id', 'daily']);
    await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'daily']);
    await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--timeout', '120']);
    const runs = async () => (await sandbox.json<{ dag_runs: DagRunJson[] }>(['runs', 'list', '--env', 'dev'])).dag_runs;
    expect((await runs()).map((r) => r.state)).toEqual(['success', 'success', 'success']);
    const vol = path.join(sandbox.envRoot('dev'), 'vol');
    expect(fs.readdirSync(path.join(vol, 'logs', 'dag_id=daily'))).toHaveLength(3);
    expect(fs.readdirSync(path.join(vol, 'xcom', 'daily'))).toHaveLength(3);

    const future = '2999-01-01T00:00:00Z';
    const expected = (verb: string, suffix: string, ti: number) =>
      [`${verb} records older than 2999-01-01T00:00:00.000Z${suffix}:`, '  dag_run: 2 rows', `  task_instance: ${ti} rows`, `  task_instance_history: ${ti} rows`, '  command_log: 2 rows'];
    // Every table: the task instances of the kept run go too, as in Airflow (a log and an XCom per task).
    const dry = await sandbox.ok(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', future, '--dry-run']);
    expect(dry.stdout.split('\n').slice(0, 5)).toEqual(expected('Would remove', ' (dry run)', 6));
    expect(dry.stdout).toMatch(/ {2}volume: 12 files \(\d+ bytes\) of logs and XCom/);
    expect(await runs()).toHaveLength(3);

    const refused = await sandbox.run(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', future]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('Error: refusing to delete records without confirmation: no terminal to ask; pass --yes (or --dry-run)\n');
    expect(await runs()).toHaveLength(3);

    const done = await sandbox.ok(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', future, '--tables', 'dag_run,command_log', '--yes']);
    expect(done.stdout.split('\n').slice(0, 5)).toEqual(expected('Removed', '', 4));
    expect(done.stdout).toMatch(/ {2}volume: 8 files \(\d+ bytes\) of logs and XCom/);
    // The newest scheduled run stays (the timetable continues from it), with its files.
    expect((await runs()).map((r) => r.dag_run_id)).toEqual(['scheduled__2025-01-03T00:00:00+00:00']);
    expect(fs.readdirSync(path.join(vol, 'logs', 'dag_id=daily'))).toEqual(['run_id=scheduled__2025-01-03T00:00:00+00:00']);
    expect(fs.readdirSync(path.join(vol, 'xcom', 'daily'))).toEqual(['scheduled__2025-01-03T00:00:00+00:00']);

    const again = await sandbox.ok(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', future, '--tables', 'dag_run,command_log', '--yes', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ dry_run: false, rows: { dag_run: 0, task_instance: 0, task_instance_history: 0, command_log: 0 }, files: 0 });
    // A cutoff before everything removes nothing.
    const past = await sandbox.ok(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', '2000-01-01', '--yes', '--json']);
    expect(JSON.parse(past.stdout)).toMatchObject({ rows: { dag_run: 0, task_instance: 0, task_instance_history: 0, command_log: 0 }, files: 0 });

    const badTable = await sandbox.run(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', future, '--tables', 'dag_run,xcom', '--yes']);
    expect(badTable.stderr).toBe('Error: unknown table "xcom" for --tables; allowed: dag_run, task_instance, task_instance_history, command_log\n');
    const badTime = await sandbox.run(['db', 'clean', '--env', 'dev', '--clean-before-timestamp', 'yesterday', '--yes']);
    expect(badTime.stderr).toBe('Error: --clean-before-timestamp: "yesterday" is not an ISO timestamp (e.g. 2025-01-01T00:00:00Z)\n');
  });
});
