/**
 * PostgreSQL problems through the real CLI end in one line naming where (host:port), never the password
 * and never a stack trace. A server that is down needs no server, so that case always runs; the ones that
 * first create an environment on a live server need TEST_DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_SKIP_MESSAGE } from './helpers/backends.js';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const PASSWORD = 's3cret';
const CONFIG = 'provider: local\ndatabase:\n  type: postgres\n  connection_string: ${TEST_PG_URL}\n';

/** A port nothing listens on: bound by us, then released. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectOneSecretFreeError(result: CliResult, pattern: RegExp): void {
  expectOneLineError(result, pattern);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
}

describe('CLI on PostgreSQL: errors', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('a server that is down: create fails with one line naming host and port, and leaves no environment', async () => {
    const port = await unusedPort();
    const config = sandbox.writeFile('config.yaml', CONFIG);
    const result = await sandbox.run(['create', '--env', 'down', '--config', config], {
      env: { TEST_PG_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/test` },
    });
    expectOneSecretFreeError(result, new RegExp(`^Error: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database test\\): connection refused$`));
    expect(fs.existsSync(`${sandbox.envRoot('down')}/config.yaml`)).toBe(false);
    const listed = JSON.parse((await sandbox.ok(['envs', 'list', '--json'])).stdout) as { total_entries: number };
    expect(listed.total_entries).toBe(0);
  });

  it('a connection string that is not a URL is refused without echoing it', async () => {
    const config = sandbox.writeFile('config.yaml', CONFIG);
    const notPostgres = await sandbox.run(['create', '--env', 'bad', '--config', config], {
      env: { TEST_PG_URL: `mysql://root:${PASSWORD}@127.0.0.1:3306/test` },
    });
    expectOneSecretFreeError(notPostgres, /database\.connection_string/);
    const malformed = await sandbox.run(['create', '--env', 'bad', '--config', config], {
      env: { TEST_PG_URL: `postgres://postgres:${PASSWORD}@[127.0.0.1:5432/test` },
    });
    expectOneSecretFreeError(malformed, /not a valid postgres:\/\/ URL/);
  });

  if (!DATABASE_URL) process.stderr.write(`cli-postgres-errors (live server cases) ${POSTGRES_SKIP_MESSAGE}\n`);

  describe.skipIf(!DATABASE_URL)(DATABASE_URL ? 'with a live server' : `with a live server: ${POSTGRES_SKIP_MESSAGE}`, () => {
    let admin: pg.Client;
    let schema: string;
    beforeEach(async () => {
      schema = `cli_${randomBytes(6).toString('hex')}`;
      admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
    });
    afterEach(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    function urlFor(options: { port?: number; schema: string }): string {
      const url = new URL(DATABASE_URL!);
      url.password = PASSWORD;
      if (options.port !== undefined) url.port = String(options.port);
      return `${url.toString()}${url.search ? '&' : '?'}options=-c%20search_path%3D${options.schema}`;
    }

    it('the server going away after create: reading commands and a tick fail with one line', async () => {
      await admin.query(`CREATE SCHEMA "${schema}"`);
      const config = sandbox.writeFile('config.yaml', CONFIG);
      await sandbox.ok(['create', '--env', 'gone', '--config', config], { env: { TEST_PG_URL: urlFor({ schema }) } });
      // The stored config is interpolated again on every command, so this is the server moving away.
      const port = await unusedPort();
      const down = { TEST_PG_URL: urlFor({ schema, port }) };
      const where = new RegExp(`^Error: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database \\w+\\): connection refused$`);
      for (const args of [
        ['dags', 'list', '--env', 'gone', '--json'],
        ['runs', 'list', '--env', 'gone'],
        ['tasks', 'list', '--env', 'gone', '--dag-id', 'x', '--run-id', 'y'],
        ['tick', '--env', 'gone'],
      ]) {
        expectOneSecretFreeError(await sandbox.run(args, { env: down }), where);
      }
      const listed = await sandbox.ok(['envs', 'list', '--json'], { env: down });
      expect(listed.stdout).not.toContain(PASSWORD);
    });

    it('a search_path naming a schema that does not exist: one line saying so', async () => {
      const config = sandbox.writeFile('config.yaml', CONFIG);
      const result = await sandbox.run(['create', '--env', 'noschema', '--config', config], { env: { TEST_PG_URL: urlFor({ schema }) } });
      expectOneSecretFreeError(result, /PostgreSQL at [^ ]+:\d+ .*search_path does not exist/);
      expect(fs.existsSync(`${sandbox.envRoot('noschema')}/config.yaml`)).toBe(false);
    });
  });
});
