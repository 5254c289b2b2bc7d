/**
 * Operating DAGs from the CLI as a user does (issue 10): a failed scheduled run is fixed and rerun with
 * `tasks clear` (which refuses without a terminal and --yes, and changes nothing on --dry-run); marking
 * with `tasks set-state`/`runs set-state`; `dags state`, `dags next-execution`, `dags list-import-errors`;
 * and a backfill creating exactly Airflow's runs, listed with `runs list --run-type backfill`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;

interface Ti {
  task_id: string;
  state: string | null;
  try_number: number;
  dag_run_id: string;
}
interface Run {
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
}

const DAY = 86_400_000;
const midnight = (daysAgo: number) => new Date(Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** The config's database section: SQLite by default; on Postgres, a fresh schema of the test server. */
interface Backend {
  name: string;
  setUp: () => Promise<string>;
  tearDown: () => Promise<void>;
}

function postgresBackend(url: string): Backend {
  const schema = `ops_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  return {
    name: 'postgres',
    setUp: async () => {
      await admin.connect();
      await admin.query(`CREATE SCHEMA "${schema}"`);
      const withSchema = new URL(url);
      return `database:\n  type: postgres\n  connection_string: "${withSchema.toString()}${withSchema.search ? '&' : '?'}options=-c%20search_path%3D${schema}"\n`;
    },
    tearDown: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

const backends: Backend[] = [
  { name: 'sqlite', setUp: async () => '', tearDown: async () => {} },
  ...(DATABASE_URL ? [postgresBackend(DATABASE_URL)] : []),
];

describe.each(backends)('operating DAGs from the CLI ($name)', (backend) => {
  const sandbox = new CliSandbox();
  const marker = path.join(sandbox.dir, 'fixed');
  const until = () => sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '90']);
  const tasks = async (runId: string) =>
    (await sandbox.json<{ task_instances: Ti[] }>(['tasks', 'list', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId])).task_instances;
  let runId = '';

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig(await backend.setUp())]);
    // A daily DAG whose `extract` fails until the marker file exists; its run is the latest interval only.
    const manifest = `etl:
  schedule: "@daily"
  start_date: ${isoDay(midnight(30))}
  catchup: false
  tasks:
    extract:
      operator: BashOperator
      bash_command: test -f ${marker}
    load:
      operator: BashOperator
      bash_command: echo loaded {{ ds }}
      dependencies: [extract]
`;
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', sandbox.writeFile('dags/etl.yaml', manifest)]);
    await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'etl']);
    await until();
    const runs = (await sandbox.json<{ dag_runs: Run[] }>(['runs', 'list', '--env', 'dev', '--dag-id', 'etl'])).dag_runs;
    expect(runs.map((r) => [r.run_type, r.state])).toEqual([['scheduled', 'failed']]);
    runId = runs[0]!.dag_run_id;
  }, 180_000);
  afterAll(async () => {
    await sandbox.cleanup();
    await backend.tearDown();
  });

  it('fixes a failed scheduled run and reruns it: refuses without --yes, dry run changes nothing, clear reruns with the next try', async () => {
    const clear = ['tasks', 'clear', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId, '--only-failed'];
    const refused = await sandbox.run(clear);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/no terminal.*--yes/);

    const dry = JSON.parse((await sandbox.ok([...clear, '--dry-run', '--json'])).stdout) as { dry_run: boolean; task_instances: Ti[]; command_ids: string[] };
    expect(dry.dry_run).toBe(true);
    expect(dry.task_instances.map((t) => [t.task_id, t.state]).sort()).toEqual([['extract', 'failed'], ['load', 'upstream_failed']]);
    expect(dry.command_ids).toEqual([]);
    await until();
    expect((await tasks(runId)).find((t) => t.task_id === 'extract')).toMatchObject({ state: 'failed', try_number: 1 });

    fs.writeFileSync(marker, '');
    const done = await sandbox.ok([...clear, '--yes']);
    expect(done.stdout).toMatch(/Queued the clear of 2 task instances in 1 run/);
    await until();
    expect((await sandbox.ok(['dags', 'state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId])).stdout.trim()).toBe('success');
    const rerun = await tasks(runId);
    expect(rerun.map((t) => [t.task_id, t.state, t.try_number]).sort()).toEqual([['extract', 'success', 2], ['load', 'success', 1]]);
    // The cleared load got its first try only now: upstream_failed tasks never ran.
  }, 180_000);

  it('marks a task and a run, and the run follows', async () => {
    const mark = await sandbox.json<{ task_instances: Ti[]; cleared: Ti[] }>([
      'tasks', 'set-state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId, '--task-id', 'load', '--state', 'failed',
    ]);
    expect(mark.task_instances.map((t) => t.task_id)).toEqual(['load']);
    await until();
    expect((await sandbox.ok(['dags', 'state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId])).stdout.trim()).toBe('failed');

    await sandbox.ok(['runs', 'set-state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId, '--state', 'success']);
    await until();
    expect((await sandbox.json<{ state: string }>(['dags', 'state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId])).state).toBe('success');
    expectOneLineError(
      await sandbox.run(['tasks', 'set-state', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId, '--task-id', 'nope', '--state', 'success']),
      /has no task "nope"/,
    );
  }, 180_000);

  it('backfills exactly the dates Airflow would, skipping the date that has a run, and lists them by run type', async () => {
    const from = isoDay(midnight(4));
    const to = runId.slice('scheduled__'.length, 'scheduled__'.length + 10); // the scheduled run's date
    const args = ['backfill', 'create', '--env', 'dev', '--dag-id', 'etl', '--from-date', from, '--to-date', to];
    const expected = [4, 3, 2, 1].map((d) => midnight(d).toISOString()).filter((iso) => iso.slice(0, 10) < to);

    const dry = await sandbox.ok([...args, '--dry-run']);
    expect(dry.stdout.trim().split('\n')).toEqual(expected);
    expect((await sandbox.json<{ backfills: unknown[] }>(['backfill', 'list', '--env', 'dev'])).backfills).toEqual([]);

    await sandbox.ok([...args, '--max-active-runs', '2']);
    await until();
    const backfills = (await sandbox.json<{ backfills: Array<{ id: number; completed_at: string | null; max_active_runs: number }> }>(['backfill', 'list', '--env', 'dev'])).backfills;
    expect(backfills).toHaveLength(1);
    expect(backfills[0]).toMatchObject({ max_active_runs: 2, completed_at: expect.any(String) });
    const runs = (await sandbox.json<{ dag_runs: Run[] }>(['runs', 'list', '--env', 'dev', '--dag-id', 'etl', '--run-type', 'backfill'])).dag_runs;
    expect(runs.map((r) => r.dag_run_id)).toEqual(expected.map((iso) => `backfill__${iso.slice(0, 19)}+00:00`));
    expect(runs.every((r) => r.state === 'success')).toBe(true);
    expect((await sandbox.json<{ dag_runs: Run[] }>(['runs', 'list', '--env', 'dev', '--dag-id', 'etl', '--run-type', 'scheduled'])).dag_runs).toHaveLength(1);
    expectOneLineError(await sandbox.run(['backfill', 'cancel', '--env', 'dev', '--id', String(backfills[0]!.id)]), /already completed/);
  }, 240_000);

  it('answers next-execution, list-import-errors and refuses bad input in one line', async () => {
    const next = await sandbox.json<{ next_executions: Array<{ logical_date: string }> }>([
      'dags', 'next-execution', '--env', 'dev', '--dag-id', 'etl', '--num-executions', '3',
    ]);
    const dates = next.next_executions.map((n) => Date.parse(n.logical_date));
    expect(dates).toHaveLength(3);
    expect([dates[1]! - dates[0]!, dates[2]! - dates[1]!]).toEqual([DAY, DAY]);
    expect((await sandbox.ok(['dags', 'list-import-errors', '--env', 'dev'])).stdout.trim()).toBe('No import errors.');
    fs.writeFileSync(path.join(sandbox.envRoot('dev'), 'vol', 'dags', 'broken.yaml'), 'broken: [');
    await sandbox.ok(['tick', '--env', 'dev']);
    const errors = await sandbox.json<{ import_errors: Array<{ filename: string }> }>(['dags', 'list-import-errors', '--env', 'dev']);
    expect(errors.import_errors.map((e) => e.filename)).toEqual(['broken.yaml']);
    expectOneLineError(
      await sandbox.run(['backfill', 'create', '--env', 'dev', '--dag-id', 'etl', '--from-date', '2025-02-01', '--to-date', '2025-01-01']),
      /must not be after to_date/,
    );
    expectOneLineError(await sandbox.run(['tasks', 'clear', '--env', 'dev', '--dag-id', 'etl', '--task-regex', '(', '--yes']), /not a valid regular expression/);
    // Clearing a paused DAG's run says that it will wait.
    await sandbox.ok(['dags', 'pause', '--env', 'dev', '--dag-id', 'etl']);
    const cleared = await sandbox.ok(['tasks', 'clear', '--env', 'dev', '--dag-id', 'etl', '--run-id', runId, '--yes']);
    expect(cleared.stderr).toMatch(/etl is paused; the cleared runs stay queued until it is unpaused/);
  }, 120_000);
});
