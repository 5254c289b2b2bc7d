/**
 * One PostgreSQL database, several environments: each URL selects its own schema with
 * `?options=-c search_path=...`, and then tables, migrations and the scheduler's advisory lock (locks are
 * database-wide) all belong to that schema, so environments never see or block each other.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresBackend } from '../src/db/postgres.js';
import type { DagRunJson } from '../src/service/shapes.js';
import { POSTGRES_SKIP_MESSAGE } from './helpers/backends.js';
import { CliSandbox } from './helpers/cli.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;

function urlForSchema(schema: string): string {
  const url = new URL(DATABASE_URL!);
  return `${url.toString()}${url.search ? '&' : '?'}options=-c%20search_path%3D${schema}`;
}

const LOCK = { owner: 'test', ttlMs: 60_000, now: new Date() };

if (!DATABASE_URL) process.stderr.write(`cli-postgres-schemas ${POSTGRES_SKIP_MESSAGE}\n`);

describe.skipIf(!DATABASE_URL)(DATABASE_URL ? 'PostgreSQL: a schema per environment, chosen by the URL' : `PostgreSQL: a schema per environment, chosen by the URL: ${POSTGRES_SKIP_MESSAGE}`, () => {
  let admin: pg.Client;
  let schemas: string[];
  const opened: PostgresBackend[] = [];
  beforeEach(async () => {
    const suffix = randomBytes(5).toString('hex');
    schemas = [`sa_${suffix}`, `sb_${suffix}`];
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    for (const schema of schemas) await admin.query(`CREATE SCHEMA "${schema}"`);
  });
  afterEach(async () => {
    try {
      for (const backend of opened.splice(0)) await backend.close();
    } finally {
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  function open(schema: string): PostgresBackend {
    const backend = new PostgresBackend({ connectionString: urlForSchema(schema) });
    opened.push(backend);
    return backend;
  }

  it('migrations land in the URL schema, and the scheduler lock is per schema', async () => {
    const [a, b] = schemas as [string, string];
    await open(a).migrate();
    const tables = await admin.query<{ table_schema: string }>(
      "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'dag_run' AND table_schema = ANY($1)",
      [schemas],
    );
    expect(tables.rows.map((r) => r.table_schema)).toEqual([a]);

    expect(await open(a).acquireLock('scheduler', LOCK)).toBe(true);
    // Same schema, another process: blocked. Another schema of the same database: free.
    expect(await open(a).acquireLock('scheduler', LOCK)).toBe(false);
    expect(await open(b).acquireLock('scheduler', LOCK)).toBe(true);
  });

  it("a scheduler through the CLI runs while another schema's scheduler lock is held", async () => {
    const [held, mine] = schemas as [string, string];
    expect(await open(held).acquireLock('scheduler', LOCK)).toBe(true);

    const sandbox = new CliSandbox();
    try {
      const config = sandbox.writeFile('config.yaml', `provider: local\nscheduler:\n  interval_seconds: 1\ndatabase:\n  type: postgres\n  connection_string: ${urlForSchema(mine)}\n`);
      await sandbox.ok(['create', '--env', 'mine', '--config', config]);
      const manifest = sandbox.writeFile(
        'dags/one.yaml',
        'one:\n  schedule: null\n  start_date: 2025-01-01\n  tasks:\n    hello:\n      operator: BashOperator\n      bash_command: echo hello\n',
      );
      await sandbox.ok(['dags', 'create', '--env', 'mine', '--file', manifest]);
      await sandbox.ok(['dags', 'trigger', '--env', 'mine', '--dag-id', 'one']);
      const scheduler = await sandbox.run(['scheduler', '--env', 'mine', '--until-idle', '--timeout', '60']);
      expect(scheduler.code, scheduler.stderr).toBe(0);
      const runs = JSON.parse((await sandbox.ok(['runs', 'list', '--env', 'mine', '--json'])).stdout) as { dag_runs: DagRunJson[] };
      expect(runs.dag_runs.map((r) => r.state)).toEqual(['success']);
    } finally {
      await sandbox.cleanup();
    }
  });
});
