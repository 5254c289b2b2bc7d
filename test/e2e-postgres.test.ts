/**
 * End to end on the local provider with `database.type: postgres`, through the real CLI: the config names
 * the server only as `${TEST_PG_URL}` (interpolated from the environment), the URL selects the test's own
 * schema with `?options=-c search_path=...`, and carries a password that must never be printed or written
 * anywhere but the user's own config text (which keeps the reference, not the value).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DagJson, DagRunJson, TaskInstanceJson } from '../src/service/shapes.js';
import { POSTGRES_SKIP_MESSAGE } from './helpers/backends.js';
import { CliSandbox, EXAMPLES_DIR } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;
// Trust auth ignores the password, so it can be anything; it is what must never leak.
const PASSWORD = 's3cret';

/** `base` with our password and `options=-c search_path=<schema>`, written as a user would (`%20`, `%3D`). */
function urlForSchema(base: string, schema: string): string {
  const url = new URL(base);
  url.password = PASSWORD;
  return `${url.toString()}${url.search ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

/** A sandbox whose commands (and the scheduler's children) see TEST_PG_URL, as a user's shell would. */
class PostgresSandbox extends CliSandbox {
  readonly outputs: CliResult[] = [];
  constructor(private readonly pgUrl: string) {
    super();
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, TEST_PG_URL: this.pgUrl };
  }
  override async run(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    const result = await super.run(args, options);
    this.outputs.push(result);
    return result;
  }
}

/** Every file under `dir`, recursively (binary ones too: the state dict is an SQLite file). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

if (!DATABASE_URL) process.stderr.write(`e2e-postgres ${POSTGRES_SKIP_MESSAGE}\n`);

describe.skipIf(!DATABASE_URL)(DATABASE_URL ? 'local environment on PostgreSQL, end to end' : `local environment on PostgreSQL, end to end: ${POSTGRES_SKIP_MESSAGE}`, () => {
  let admin: pg.Client;
  let schema: string;
  let sandbox: PostgresSandbox;

  beforeEach(async () => {
    schema = `e2e_${randomBytes(6).toString('hex')}`;
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    sandbox = new PostgresSandbox(urlForSchema(DATABASE_URL!, schema));
  });
  afterEach(async () => {
    try {
      await sandbox.cleanup();
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('create, upload, trigger, run and read back through the CLI; the URL is never printed or stored', async () => {
    const configText = 'provider: local\nscheduler:\n  interval_seconds: 1\ndatabase:\n  type: postgres\n  connection_string: ${TEST_PG_URL}\n';
    const config = sandbox.writeFile('config.yaml', configText);

    await sandbox.ok(['create', '--env', 'pg', '--config', config]);
    const tables = await admin.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['dag', 'dag_run', 'migration', 'task_instance']));

    await sandbox.ok(['dags', 'create', '--env', 'pg', '--file', path.join(EXAMPLES_DIR, 'xcom_pipeline.yaml')]);
    const runId = (await sandbox.ok(['dags', 'trigger', '--env', 'pg', '--dag-id', 'xcom_pipeline'])).stdout.trim();
    expect(runId).toMatch(/^manual__\d{4}-\d\d-\d\dT/);

    const scheduler = await sandbox.run(['scheduler', '--env', 'pg', '--until-idle', '--timeout', '60']);
    expect(scheduler.code, scheduler.stderr).toBe(0);

    const json = async <T>(args: string[]): Promise<T> => JSON.parse((await sandbox.ok([...args, '--json'])).stdout) as T;
    const dags = await json<{ dags: DagJson[] }>(['dags', 'list', '--env', 'pg']);
    expect(dags.dags.map((d) => d.dag_id)).toEqual(['xcom_pipeline']);
    const runs = await json<{ dag_runs: DagRunJson[] }>(['runs', 'list', '--env', 'pg']);
    expect(runs.dag_runs.map((r) => `${r.dag_run_id}:${r.state}`)).toEqual([`${runId}:success`]);
    const tasks = await json<{ task_instances: TaskInstanceJson[] }>(['tasks', 'list', '--env', 'pg', '--dag-id', 'xcom_pipeline', '--run-id', runId]);
    expect(Object.fromEntries(tasks.task_instances.map((t) => [t.task_id, t.state]))).toEqual({
      count_rows: 'success',
      summarise: 'success',
      report: 'success',
    });
    const report = await sandbox.ok(['tasks', 'logs', '--env', 'pg', '--dag-id', 'xcom_pipeline', '--run-id', runId, '--task-id', 'report']);
    expect(report.stdout).toContain("summary={'table': 'events', 'rows': 42, 'doubled': 84, 'above_threshold': True}");

    // The rows really are in our schema on the server, not anywhere local.
    const stored = await admin.query<{ state: string }>(`SELECT state FROM "${schema}".dag_run WHERE run_id = $1`, [runId]);
    expect(stored.rows).toEqual([{ state: 'success' }]);
    const volume = path.join(sandbox.envRoot('pg'), 'vol');
    expect(fs.existsSync(volume)).toBe(true);
    expect(filesUnder(volume).filter((f) => f.includes('airflow.db'))).toEqual([]);

    // Outputs that describe the environment or fail: still nothing secret.
    await sandbox.ok(['envs', 'list', '--json']);
    await sandbox.ok(['envs', 'list']);
    await sandbox.ok(['dags', 'show', '--env', 'pg', '--dag-id', 'xcom_pipeline', '--json']);
    expect((await sandbox.run(['dags', 'trigger', '--env', 'pg', '--dag-id', 'no_such_dag'])).code).not.toBe(0);
    expect((await sandbox.run(['tasks', 'logs', '--env', 'pg', '--dag-id', 'xcom_pipeline', '--run-id', runId, '--task-id', 'nope'])).code).not.toBe(0);

    expect(sandbox.outputs.length).toBeGreaterThan(10);
    for (const output of sandbox.outputs) {
      expect(output.stdout).not.toContain(PASSWORD);
      expect(output.stderr).not.toContain(PASSWORD);
    }
    const envFiles = filesUnder(sandbox.envRoot('pg'));
    const storedConfig = path.join(sandbox.envRoot('pg'), 'config.yaml');
    expect(envFiles).toContain(storedConfig);
    expect(fs.readFileSync(storedConfig, 'utf8')).toBe(configText);
    for (const file of envFiles) {
      expect(fs.readFileSync(file).includes(PASSWORD), file).toBe(false);
    }
  });
});
