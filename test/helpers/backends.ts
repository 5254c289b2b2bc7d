/**
 * Test harness: one factory per database backend, so a suite runs unchanged against SQLite (a temp file,
 * always) and PostgreSQL (a fresh schema per backend, only when TEST_DATABASE_URL is set).
 *
 *   describeEachBackend('tick', (factory) => {
 *     it('creates a run', async () => {
 *       const db = await factory.create();          // migrated; closed and removed by factory.cleanup()
 *       ...
 *     });
 *   });
 *
 * A child process opens the same database with `openDatabase(db.location.database, db.location)`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import pg from 'pg';
import { afterEach, describe, it } from 'vitest';
import type { Config } from '../../src/config/model.js';
import type { DatabaseBackend } from '../../src/db/backend.js';
import { PostgresBackend } from '../../src/db/postgres.js';
import { SqliteBackend } from '../../src/db/sqlite.js';

export const POSTGRES_SKIP_MESSAGE = 'skipped: TEST_DATABASE_URL not set';

/** Everything needed to open the same database again, in this process or a child (openDatabase's arguments). */
export interface TestDatabaseLocation {
  database: Config['database'];
  /** The SQLite file (also set for Postgres, unused there, so it can be passed straight to openDatabase). */
  sqliteFile: string;
  /** Postgres: the test's own schema. */
  schema?: string;
  /** Postgres: application_name of the pool's connections (the lock connection adds `:lock`). */
  applicationName?: string;
}

export type TestBackend = DatabaseBackend & {
  readonly location: TestDatabaseLocation;
  /** Another independent backend on the same database (own connections / file handle), closed by cleanup(). */
  openAnother(): DatabaseBackend & { readonly location: TestDatabaseLocation };
  /**
   * Postgres only: terminates this backend's server sessions from another connection (`pg_terminate_backend`),
   * waiting until they are gone, as a crash or a network cut would. `pool`: its pooled statement connections;
   * `lock`: the connection holding its advisory locks. Returns how many sessions were ended.
   */
  terminateConnections?(which: 'pool' | 'lock' | 'all'): Promise<number>;
};

export interface BackendFactory {
  name: 'sqlite' | 'postgres';
  /** A new, empty database (migrated unless `migrate: false`). */
  create(options?: { migrate?: boolean }): Promise<TestBackend>;
  /** Closes every backend this factory opened and deletes their databases (temp files / schemas). */
  cleanup(): Promise<void>;
}

/** The first backend on a new database; `open` gives it (and `openAnother`) a backend of its own. Migrated unless told not to. */
async function firstBackend(open: () => Omit<TestBackend, 'openAnother'>, options: { migrate?: boolean }): Promise<TestBackend> {
  const backend: TestBackend = Object.assign(open(), { openAnother: open });
  if (options.migrate !== false) await backend.migrate();
  return backend;
}

function sqliteFactory(): BackendFactory {
  const dirs: string[] = [];
  const opened: DatabaseBackend[] = [];
  return {
    name: 'sqlite',
    async create(options = {}) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-db-test-'));
      dirs.push(dir);
      const location: TestDatabaseLocation = {
        database: { type: 'sqlite', connection_string: null },
        sqliteFile: path.join(dir, 'airflow.db'),
      };
      const open = () => {
        const backend = Object.assign(new SqliteBackend({ file: location.sqliteFile }), { location });
        opened.push(backend);
        return backend;
      };
      return firstBackend(open, options);
    },
    async cleanup() {
      for (const backend of opened.splice(0)) await backend.close();
      for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresFactory(connectionString: string): BackendFactory {
  const schemas: string[] = [];
  const opened: DatabaseBackend[] = [];
  let sessions = 0;

  async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString, application_name: 'airflow-serverless-test-admin' });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  return {
    name: 'postgres',
    async create(options = {}) {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      const open = () => {
        // A distinct application_name per backend lets terminateConnections aim at exactly one of them.
        const applicationName = `as-test:${schema}:${++sessions}`;
        const location: TestDatabaseLocation = {
          database: { type: 'postgres', connection_string: connectionString },
          sqliteFile: path.join(os.tmpdir(), 'unused-by-postgres.db'),
          schema,
          applicationName,
        };
        const backend = Object.assign(new PostgresBackend({ connectionString, schema, applicationName }), {
          location,
          terminateConnections: (which: 'pool' | 'lock' | 'all') => {
            const names = { pool: [applicationName], lock: [`${applicationName}:lock`], all: [applicationName, `${applicationName}:lock`] }[which];
            return withAdmin(async (admin) => {
              // The timeout makes pg_terminate_backend wait until the session has exited and released its locks.
              const result = await admin.query<{ n: string }>(
                `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) AS n
                   FROM pg_stat_activity WHERE application_name = ANY($1::text[]) AND pid <> pg_backend_pid()`,
                [names],
              );
              return Number(result.rows[0]?.n ?? 0);
            });
          },
        });
        opened.push(backend);
        return backend;
      };
      return firstBackend(open, options);
    },
    async cleanup() {
      for (const backend of opened.splice(0)) await backend.close();
      const dropping = schemas.splice(0);
      if (dropping.length === 0) return;
      await withAdmin(async (admin) => {
        for (const schema of dropping) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      });
    },
  };
}

let skipAnnounced = false;

/**
 * SQLite always; Postgres when TEST_DATABASE_URL is set. Without it, registers a skipped suite titled
 * POSTGRES_SKIP_MESSAGE (and says so once on stderr), so the run shows Postgres was not tested.
 */
export function backendFactories(): BackendFactory[] {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return [sqliteFactory(), postgresFactory(url)];
  if (!skipAnnounced) {
    skipAnnounced = true;
    process.stderr.write(`postgres backend tests ${POSTGRES_SKIP_MESSAGE}\n`);
  }
  describe.skip(`postgres: ${POSTGRES_SKIP_MESSAGE}`, () => {
    it(POSTGRES_SKIP_MESSAGE, () => {});
  });
  return [sqliteFactory()];
}

/** One describe block per backend, titled `<title> (<backend>)`, with cleanup after each test. */
export function describeEachBackend(title: string, define: (factory: BackendFactory) => void): void {
  for (const factory of backendFactories()) {
    describe(`${title} (${factory.name})`, () => {
      afterEach(() => factory.cleanup());
      define(factory);
    });
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles a TypeScript snippet into a script a child process can run, so a test can have several real
 * processes share one database (8 ticks at once, a migrator per process). `source` imports the project by
 * paths relative to test/helpers/ (e.g. `../../src/db/open.js`); packages stay external and resolve from
 * the repository's node_modules (NODE_PATH, set by runChild). Writes `<dir>/<name>.cjs`; `dir` is the caller's temp dir.
 */
export async function buildChildScript(source: string, dir: string, name = 'child'): Promise<string> {
  const outfile = path.join(dir, `${name}.cjs`);
  await esbuild.build({
    stdin: { contents: source, resolveDir: path.join(repoRoot, 'test/helpers'), loader: 'ts', sourcefile: `${name}.ts` },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a script from buildChildScript to its exit; `env` is added to this process's environment. */
export function runChild(script: string, env: Record<string, string> = {}, args: readonly string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
