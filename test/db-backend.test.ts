/**
 * Conformance suite for the database port: every test runs against SQLite and (with TEST_DATABASE_URL)
 * PostgreSQL, so code above the port can rely on identical behaviour and identical rows.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, TransientDatabaseError } from '../src/db/backend.js';
import type { DatabaseBackend, Queryable } from '../src/db/backend.js';
import { isDeadLocalOwner, processLeaseOwner } from '../src/db/lease-owner.js';
import { openDatabase } from '../src/db/open.js';
import { PostgresBackend, toPostgresPlaceholders } from '../src/db/postgres.js';
import { getSerializedDag, upsertSerializedDags } from '../src/db/queries/serialized-dags.js';
import { SqliteBackend } from '../src/db/sqlite.js';
import { readProcessStat } from '../src/process-table.js';
import { backendFactories, buildChildScript, describeEachBackend, runChild } from './helpers/backends.js';

const T0 = '2024-03-10T12:34:56.789Z';
const T1 = '2024-03-11T00:00:00.000Z';

/** Polls until `probe` gives a value (a process's /proc entry appears a moment after spawn). */
async function waitFor<T>(probe: () => T | null | undefined): Promise<T> {
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function insertRun(db: Queryable, runId: string, logicalDate: string | null, dagId = 'etl'): Promise<void> {
  await db.run(
    `INSERT INTO dag_run (dag_id, run_id, logical_date, run_type, run_after, updated_at, conf, state)
     VALUES (?, ?, ?, 'scheduled', ?, ?, ?, 'running')`,
    [dagId, runId, logicalDate, T0, T0, JSON.stringify({ k: [1, 'two'] })],
  );
}

async function insertTask(db: Queryable, runId: string, taskId: string, dagId = 'etl'): Promise<void> {
  await db.run(
    `INSERT INTO task_instance (id, dag_id, task_id, run_id, updated_at, state) VALUES (?, ?, ?, ?, ?, 'scheduled')`,
    [`${dagId}/${runId}/${taskId}`, dagId, taskId, runId, T0],
  );
}

async function count(db: Queryable, table: string): Promise<number> {
  const row = await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return row!.n;
}

/** A TCP port nobody listens on: bind to an ephemeral port, then free it. */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const MIGRATE_CHILD = `
import { openDatabase } from '../../src/db/open.js';
const location = JSON.parse(process.env.TEST_DB_LOCATION!);
const db = openDatabase(location.database, location);
db.migrate()
  .then(() => db.close())
  .then(() => process.stdout.write('migrated'))
  .catch((error) => { process.stderr.write(String(error && error.stack || error)); process.exitCode = 1; });
`;

const MIGRATION_IDS = MIGRATIONS.map(({ id }) => ({ id }));

describeEachBackend('database backend', (factory) => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-db-backend-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('migrates an empty database, and migrating again changes nothing', async () => {
    const db = await factory.create({ migrate: false });
    await db.migrate();
    await insertRun(db, 'r1', T0);
    await db.migrate();
    expect(await db.all('SELECT id, name FROM migration ORDER BY id')).toEqual(MIGRATIONS.map(({ id, name }) => ({ id, name })));
    expect(await count(db, 'dag_run')).toBe(1);
  });

  it('lets several processes migrate the same database at once', async () => {
    const db = await factory.create({ migrate: false });
    const script = await buildChildScript(MIGRATE_CHILD, tmp);
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runChild(script, { TEST_DB_LOCATION: JSON.stringify(db.location) })),
    );
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'migrated' });
    expect(await db.all('SELECT id FROM migration ORDER BY id')).toEqual(MIGRATION_IDS);
    await insertRun(db, 'r1', T0);
    expect(await count(db, 'dag_run')).toBe(1);
  });

  it.runIf(factory.name === 'postgres')('lets two backends in one process migrate the same schema at once', async () => {
    const db = await factory.create({ migrate: false });
    const other = db.openAnother();
    await Promise.all([db.migrate(), other.migrate(), db.migrate()]);
    expect(await other.all('SELECT id FROM migration ORDER BY id')).toEqual(MIGRATION_IDS);
  });

  it("gives a DAG's serialisation back exactly as it was written (key order and spacing included)", async () => {
    const db = await factory.create();
    // jsonb would hand back {"a": 1, "zz": ..} with its own key order and spacing; json and TEXT keep the text.
    const data = '{"zz":{"b":2,"a":1},"a":[3,2,1],"dag_id":"etl"}';
    await upsertSerializedDags(db, [{ dag_id: 'etl', fileloc: 'dags/etl.yaml', data, dag_hash: 'h1', now: T0 }]);
    expect((await getSerializedDag(db, 'etl'))?.data).toBe(data);
  });

  it('binds ? placeholders in order and leaves a ? inside a string literal alone', async () => {
    const db = await factory.create();
    await db.run('INSERT INTO dag (dag_id, fileloc, description) VALUES (?, ?, ?)', ['a', 'dags/a.yaml', 'why?']);
    await db.run("INSERT INTO dag (dag_id, fileloc, description) VALUES (?, 'dags/b.yaml?', ?)", ['b', 'how?']);
    const rows = await db.all('SELECT dag_id, fileloc FROM dag WHERE description = ? OR fileloc = ? ORDER BY dag_id', [
      'why?',
      'dags/b.yaml?',
    ]);
    expect(rows).toEqual([
      { dag_id: 'a', fileloc: 'dags/a.yaml' },
      { dag_id: 'b', fileloc: 'dags/b.yaml?' },
    ]);
  });

  it('returns rows in one shape: ISO timestamps, JSON as text, numbers for counts, readable flags', async () => {
    const db = await factory.create();
    await db.run('INSERT INTO dag (dag_id, fileloc, is_paused, last_parsed_time, next_dagrun) VALUES (?, ?, ?, ?, ?)', [
      'etl',
      'dags/etl.yaml',
      true,
      T0,
      null,
    ]);
    await insertRun(db, 'r1', T0);
    await insertRun(db, 'r2', T1);
    const dag = await db.get<Record<string, unknown>>('SELECT is_paused, is_stale, last_parsed_time, next_dagrun, max_active_tasks FROM dag');
    expect(Boolean(dag!.is_paused)).toBe(true);
    expect(Boolean(dag!.is_stale)).toBe(false);
    expect(dag!.last_parsed_time).toBe(T0);
    expect(dag!.next_dagrun).toBeNull();
    expect(dag!.max_active_tasks).toBe(16);

    const runs = await db.all<{ logical_date: string; conf: unknown }>(
      'SELECT logical_date, conf FROM dag_run WHERE logical_date > ? ORDER BY logical_date',
      ['2024-01-01T00:00:00.000Z'],
    );
    expect(runs.map((r) => r.logical_date)).toEqual([T0, T1]);
    expect(typeof runs[0]!.conf).toBe('string');
    expect(JSON.parse(runs[0]!.conf as string)).toEqual({ k: [1, 'two'] });

    const stats = await db.get<Record<string, unknown>>(
      'SELECT count(*) AS n, sum(clear_number) AS cleared, max(logical_date) AS latest FROM dag_run',
    );
    expect(stats).toEqual({ n: 2, cleared: 0, latest: T1 });
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const db = await factory.create();
    const result = await db.transaction(async (tx) => {
      await insertRun(tx, 'kept', T0);
      return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM dag_run'))!.n;
    });
    expect(result).toBe(1);
    const failure = new Error('boom');
    // More failing transactions than pooled connections: each must give its connection back.
    for (let i = 0; i < 6; i++) {
      await expect(
        db.transaction(async (tx) => {
          await insertRun(tx, `lost-${i}`, T1);
          throw failure;
        }),
      ).rejects.toBe(failure);
    }
    expect(await db.all('SELECT run_id FROM dag_run')).toEqual([{ run_id: 'kept' }]);
  });

  it('rolls back the whole transaction when a statement in it fails', async () => {
    const db = await factory.create();
    await insertRun(db, 'r1', T0);
    await expect(
      db.transaction(async (tx) => {
        await insertRun(tx, 'r2', T1);
        await insertRun(tx, 'r1', '2024-05-01T00:00:00.000Z');
      }),
    ).rejects.toThrow();
    expect(await db.all('SELECT run_id FROM dag_run')).toEqual([{ run_id: 'r1' }]);
  });

  it('keeps one DAG run per (dag_id, run_id) and per (dag_id, logical_date)', async () => {
    const db = await factory.create();
    await insertRun(db, 'r1', T0);
    const sameRunId = insertRun(db, 'r1', T1);
    await expect(sameRunId).rejects.toThrow();
    await expect(sameRunId).rejects.not.toBeInstanceOf(TransientDatabaseError);
    await expect(insertRun(db, 'r2', T0)).rejects.toThrow();
    // Another DAG may use the same run id and logical date; runs without a logical date do not collide.
    await insertRun(db, 'r1', T0, 'other');
    await insertRun(db, 'manual-1', null);
    await insertRun(db, 'manual-2', null);
    const again = await db.run(
      `INSERT INTO dag_run (dag_id, run_id, logical_date, run_type, run_after, updated_at)
       VALUES (?, ?, ?, 'scheduled', ?, ?) ON CONFLICT DO NOTHING`,
      ['etl', 'r3', T0, T0, T0],
    );
    expect(again.changes).toBe(0);
    const returning = `INSERT INTO dag_run (dag_id, run_id, logical_date, run_type, run_after, updated_at)
       VALUES (?, ?, ?, 'scheduled', ?, ?) ON CONFLICT DO NOTHING RETURNING id`;
    expect((await db.run(returning, ['etl', 'r4', T1, T0, T0])).changes).toBe(1);
    expect((await db.run(returning, ['etl', 'r5', T1, T0, T0])).changes).toBe(0);
    expect(await count(db, 'dag_run')).toBe(5);
  });

  it('deletes task instances with their DAG run and refuses orphans', async () => {
    const db = await factory.create();
    await insertRun(db, 'r1', T0);
    await insertRun(db, 'r2', T1);
    await insertTask(db, 'r1', 'extract');
    await insertTask(db, 'r1', 'load');
    await insertTask(db, 'r2', 'extract');
    await expect(insertTask(db, 'missing-run', 'extract')).rejects.toThrow();
    const deleted = await db.run('DELETE FROM dag_run WHERE dag_id = ? AND run_id = ?', ['etl', 'r1']);
    expect(deleted.changes).toBe(1);
    expect(await db.all('SELECT run_id, task_id FROM task_instance')).toEqual([{ run_id: 'r2', task_id: 'extract' }]);
  });

  it('gives the lock to one owner at a time', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(false);
    expect(await a.holdsLock('scheduler', now)).toBe(true);
    expect(await b.holdsLock('scheduler', now)).toBe(false);
    // Another name is another lock.
    expect(await b.acquireLock('other', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(true);
    await a.releaseLock('scheduler');
    expect(await a.holdsLock('scheduler', now)).toBe(false);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(true);
    expect(await b.holdsLock('scheduler', now)).toBe(true);
    expect(await b.holdsLock('other', now)).toBe(true);
  });

  it('holds many named locks at once on one backend', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    // Enough names that their 64-bit keys cover both signs of both halves (pg_locks shows them unsigned).
    const names = Array.from({ length: 24 }, (_, i) => `lock-${i}`);
    for (const name of names) expect(await a.acquireLock(name, { owner: 'a', ttlMs: 60_000, now })).toBe(true);
    for (const name of names) expect(await a.holdsLock(name, now)).toBe(true);
    for (const name of names) expect(await b.acquireLock(name, { owner: 'b', ttlMs: 60_000, now })).toBe(false);
    for (const name of names.slice(0, 12)) await a.releaseLock(name);
    for (const name of names.slice(0, 12)) expect(await b.acquireLock(name, { owner: 'b', ttlMs: 60_000, now })).toBe(true);
    for (const name of names.slice(12)) expect(await a.holdsLock(name, now)).toBe(true);
  });

  it.runIf(factory.name === 'sqlite')('lets another owner take over an expired SQLite lease', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    const later = new Date(now.getTime() + 1_500);
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 1_000, now })).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 1_000, now })).toBe(false);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 1_000, now: later })).toBe(true);
    expect(await a.holdsLock('scheduler', later)).toBe(false);
    expect(await b.holdsLock('scheduler', later)).toBe(true);
  });

  it.runIf(factory.name === 'sqlite')('takes over at once a SQLite lease whose owner is a dead process of this host', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    // A process that held the lease and was SIGKILLed (as a one-shot tick can be).
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    const victimStat = await waitFor(() => readProcessStat(victim.pid!));
    const deadOwner = `${os.hostname()}:pid=${victim.pid}@${victimStat.startTime}`;
    expect(await a.acquireLock('scheduler', { owner: deadOwner, ttlMs: 60_000, now })).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: processLeaseOwner(), ttlMs: 60_000, now })).toBe(false);
    const gone = new Promise((resolve) => victim.once('exit', resolve));
    victim.kill('SIGKILL');
    await gone;
    expect(isDeadLocalOwner(deadOwner)).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: processLeaseOwner(), ttlMs: 60_000, now })).toBe(true);
    expect(await b.holdsLock('scheduler', now)).toBe(true);
  });

  it.runIf(factory.name === 'sqlite')('never takes over a lease of a live process, another host, or an owner it cannot judge', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    const owners = [
      processLeaseOwner('scheduler-loop'),
      `some-other-host:pid=999999@1`,
      'tick-a',
      `${os.hostname()}:999999:random`,
    ];
    for (const owner of owners) {
      expect(isDeadLocalOwner(owner), owner).toBe(false);
      await a.releaseLock('scheduler');
      expect(await a.acquireLock('scheduler', { owner, ttlMs: 60_000, now })).toBe(true);
      expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now }), owner).toBe(false);
    }
    // The same pid with another start time is another process: the owner is gone (its pid was reused).
    expect(isDeadLocalOwner(`${os.hostname()}:pid=${process.ppid}@${readProcessStat(process.ppid)!.startTime + 1}`)).toBe(true);
  });

  it.runIf(factory.name === 'postgres')('frees the Postgres lock when the holder connection is killed', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(false);
    expect(await a.terminateConnections!('lock')).toBe(1);
    expect(await a.holdsLock('scheduler', now)).toBe(false);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(true);
    // The killed holder can neither release nor re-take what it lost.
    await a.releaseLock('scheduler');
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(false);
    expect(await b.holdsLock('scheduler', now)).toBe(true);
  });

  it.runIf(factory.name === 'postgres')('keeps the lock connection between ticks and replaces one that died idle', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const now = new Date(T0);
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(true);
    await a.releaseLock('scheduler');
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(true);
    await b.releaseLock('scheduler');
    // Released, yet still connected: the next tick takes the lock without opening a connection.
    expect(await a.terminateConnections!('lock')).toBe(1);
    // That idle connection is now dead; taking the lock again neither fails nor reports it as lost.
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(true);
    expect(await a.holdsLock('scheduler', now)).toBe(true);
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(false);
  });

  it.runIf(factory.name === 'postgres')('frees the Postgres lock on close and keeps schemas apart', async () => {
    const a = await factory.create();
    const b = a.openAnother();
    const elsewhere = await factory.create();
    const now = new Date(T0);
    expect(await a.acquireLock('scheduler', { owner: 'tick-a', ttlMs: 60_000, now })).toBe(true);
    // Advisory locks are database-wide; the schema is part of the key, so environments do not block each other.
    expect(await elsewhere.acquireLock('scheduler', { owner: 'tick-x', ttlMs: 60_000, now })).toBe(true);
    await a.close();
    expect(await b.acquireLock('scheduler', { owner: 'tick-b', ttlMs: 60_000, now })).toBe(true);
  });

  it.runIf(factory.name === 'postgres')('recovers from a killed pooled connection with a clear error', async () => {
    const db = await factory.create();
    expect(await count(db, 'dag_run')).toBe(0);
    // Kill the pooled connection while a statement is running on it.
    const sleeping = db.run('SELECT pg_sleep(30)');
    const killed = (async () => {
      for (;;) {
        const n = await db.terminateConnections!('pool');
        if (n > 0) return n;
      }
    })();
    await expect(sleeping).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await killed;
    // The pool replaces the dead connection.
    expect(await count(db, 'dag_run')).toBe(0);
  });

  it.runIf(factory.name === 'postgres')('rolls back and reports a transaction whose connection is killed between statements', async () => {
    const db = await factory.create();
    const outcome = await db
      .transaction(async (tx) => {
        await insertRun(tx, 'r1', T0);
        // The tick's connection dies mid-pass (crash, failover, network cut) while it holds a transaction open.
        expect(await db.terminateConnections!('pool')).toBeGreaterThan(0);
        await insertRun(tx, 'r2', T1);
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
    expect(await db.all('SELECT run_id FROM dag_run')).toEqual([]);
  });

  it.runIf(factory.name === 'postgres')('cancels a statement past statementTimeoutMs and names a missing database', async () => {
    const db = await factory.create();
    const url = new URL(db.location.database.connection_string!);
    const impatient = new PostgresBackend({ connectionString: url.toString(), statementTimeoutMs: 50 });
    try {
      // 57014 query_canceled is neither transient nor a lost connection: it passes through.
      await expect(impatient.run('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
      expect(await impatient.get('SELECT 1 AS one')).toEqual({ one: 1 });
    } finally {
      await impatient.close();
    }
    url.pathname = '/no_such_database_here';
    const missing = new PostgresBackend({ connectionString: url.toString() });
    const error = await missing.get('SELECT 1').catch((e: unknown) => e);
    await missing.close();
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/\(database no_such_database_here\): database does not exist$/);
  });

  it.runIf(factory.name === 'postgres')('maps retryable server errors to TransientDatabaseError', async () => {
    const db = await factory.create();
    for (const code of ['40001', '40P01', '57P03']) {
      const error = await db.run(`DO $$ BEGIN RAISE EXCEPTION 'retry me' USING ERRCODE = '${code}'; END $$`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientDatabaseError);
      expect((error as Error).cause).toMatchObject({ code });
    }
    const other = await db.run(`DO $$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = '22012'; END $$`).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(TransientDatabaseError);
    expect(other).toMatchObject({ code: '22012' });
  });
});

describe('PostgreSQL unavailable', () => {
  it('names host, port and database, never the password or URL', async () => {
    const port = await unusedPort();
    const url = `postgres://postgres:s3cret-Pw@127.0.0.1:${port}/test`;
    const db = new PostgresBackend({ connectionString: url, schema: 't_unreachable' });
    expect(db.description).toBe(`postgres://127.0.0.1:${port}/test`);
    const errors = [
      await db.all('SELECT 1').catch((e: unknown) => e),
      await db.migrate().catch((e: unknown) => e),
      await db.acquireLock('scheduler', { owner: 'a', ttlMs: 1000, now: new Date() }).catch((e: unknown) => e),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(DatabaseUnavailableError);
      expect((error as Error).message).toBe(
        `cannot connect to PostgreSQL at 127.0.0.1:${port} (database test): connection refused`,
      );
      const everything = inspect(error, { depth: 10 }) + JSON.stringify(error);
      expect(everything).not.toContain('s3cret-Pw');
      expect(everything).not.toContain('postgres://postgres');
    }
    await db.close();
  });

  it('reports a server that never answers as timed out', async () => {
    // Accepts TCP connections and never speaks: a blackholed or hung server.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const db = new PostgresBackend({ connectionString: `postgres://u:pw@127.0.0.1:${port}/prod`, connectTimeoutMs: 200 });
    try {
      const errors = [
        await db.get('SELECT 1').catch((e: unknown) => e),
        await db.transaction(async () => 1).catch((e: unknown) => e),
        await db.acquireLock('scheduler', { owner: 'a', ttlMs: 1000, now: new Date() }).catch((e: unknown) => e),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
        expect((error as Error).message).toBe(`cannot connect to PostgreSQL at 127.0.0.1:${port} (database prod): connection timed out`);
      }
    } finally {
      await db.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports an unknown host as not found', async () => {
    const db = new PostgresBackend({ connectionString: 'postgres://u:pw@no-such-host.invalid:5432/prod' });
    const error = await db.get('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toBe(
      'cannot connect to PostgreSQL at no-such-host.invalid:5432 (database prod): host not found',
    );
    await db.close();
  });
});

describe('SqliteBackend.batch (one commit for a pass of many steps)', () => {
  let tmp: string;
  let db: SqliteBackend;
  let reader: SqliteBackend;
  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-db-batch-'));
    db = new SqliteBackend({ file: path.join(tmp, 'airflow.db') });
    await db.migrate();
    reader = new SqliteBackend({ file: path.join(tmp, 'airflow.db'), readonly: true });
  });
  afterEach(async () => {
    await reader.close();
    await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const runIds = async (from: Queryable) => (await from.all<{ run_id: string }>('SELECT run_id FROM dag_run ORDER BY run_id')).map((r) => r.run_id);

  it('commits every statement of the batch together: another connection sees none of them before the end', async () => {
    const seenMidway = await db.batch(async () => {
      await insertRun(db, 'a', T0);
      await db.transaction((tx) => insertRun(tx, 'b', T1));
      return runIds(reader);
    });
    expect(seenMidway).toEqual([]);
    expect(await runIds(reader)).toEqual(['a', 'b']);
  });

  it('a failed transaction inside undoes only its own writes; a throw undoes the whole batch', async () => {
    await db.batch(async () => {
      await insertRun(db, 'kept', T0);
      await expect(
        db.transaction(async (tx) => {
          await insertRun(tx, 'undone', T1);
          throw new Error('step failed');
        }),
      ).rejects.toThrow('step failed');
    });
    expect(await runIds(reader)).toEqual(['kept']);
    await expect(
      db.batch(async () => {
        await insertRun(db, 'lost', T1);
        throw new Error('pass failed');
      }),
    ).rejects.toThrow('pass failed');
    expect(await runIds(reader)).toEqual(['kept']);
    // The connection is usable again, in and out of a batch.
    await db.batch(() => insertRun(db, 'after', T1));
    expect(await runIds(db)).toEqual(['after', 'kept']);
  });
});

describe('openDatabase', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-db-open-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('opens SQLite at the given file, read-only when asked', async () => {
    const file = path.join(tmp, 'data', 'airflow.db');
    const writer = openDatabase({ type: 'sqlite', connection_string: null }, { sqliteFile: file });
    expect(writer).toBeInstanceOf(SqliteBackend);
    expect(writer.description).toBe(file);
    await writer.migrate();
    await writer.close();
    const reader = openDatabase({ type: 'sqlite', connection_string: null }, { sqliteFile: file, readonly: true });
    expect(await reader.all('SELECT id FROM migration ORDER BY id')).toEqual(MIGRATION_IDS);
    await expect(reader.run("INSERT INTO job (job_type) VALUES ('x')")).rejects.toThrow(/readonly/i);
    await reader.close();
  });

  it('opens Postgres from the connection string and describes it without credentials', async () => {
    const db = openDatabase(
      { type: 'postgres', connection_string: 'postgresql://admin:hunter2@db.example.com:6543/airflow?sslmode=require' },
      { sqliteFile: path.join(tmp, 'unused.db') },
    );
    expect(db).toBeInstanceOf(PostgresBackend);
    expect(db.description).toBe('postgres://db.example.com:6543/airflow');
    await db.close();
  });

  it('refuses postgres without a connection string', () => {
    expect(() => openDatabase({ type: 'postgres', connection_string: null }, { sqliteFile: 'x.db' })).toThrow(
      DatabaseUnavailableError,
    );
  });
});

describe('placeholder translation', () => {
  it('numbers ? in order, skipping literals, quoted identifiers and comments', () => {
    expect(toPostgresPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe(
      'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)',
    );
    expect(toPostgresPlaceholders(`SELECT 'it''s ?', "odd?col" -- why?\n, ? /* ? */ FROM t WHERE x = ?`)).toBe(
      `SELECT 'it''s ?', "odd?col" -- why?\n, $1 /* ? */ FROM t WHERE x = $2`,
    );
  });
});

describe('schema parity', () => {
  const factories = backendFactories();
  const sqlite = factories.find((f) => f.name === 'sqlite')!;
  const postgres = factories.find((f) => f.name === 'postgres');
  afterEach(async () => {
    await sqlite.cleanup();
    await postgres?.cleanup();
  });

  async function sqliteSchema(db: DatabaseBackend): Promise<Record<string, string[]>> {
    const tables = await db.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    );
    const schema: Record<string, string[]> = {};
    for (const { name } of tables) {
      schema[name] = (await db.all<{ name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid', [name])).map((c) => c.name);
    }
    return schema;
  }

  async function postgresSchema(db: DatabaseBackend): Promise<Record<string, string[]>> {
    const columns = await db.all<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    );
    const schema: Record<string, string[]> = {};
    for (const c of columns) (schema[c.table_name] ??= []).push(c.column_name);
    return schema;
  }

  it('has the same tables, columns (in order) and indexes in both dialects', async () => {
    const lite = await sqlite.create();
    const liteSchema = await sqliteSchema(lite);
    expect(Object.keys(liteSchema)).toEqual(expect.arrayContaining(['dag', 'dag_run', 'task_instance', 'migration', 'lock']));
    if (!postgres) return; // the skipped postgres suite above already says so
    const pg = await postgres.create();
    expect(await postgresSchema(pg)).toEqual(liteSchema);
    const liteIndexes = await lite.all<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    );
    const pgIndexes = await pg.all<{ name: string }>(
      "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'idx\\_%' ORDER BY indexname",
    );
    expect(pgIndexes).toEqual(liteIndexes);
  });
});
