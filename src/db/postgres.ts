/**
 * PostgreSQL backend (node-postgres). Several ticks may run against one database (Modal overlap, a tick
 * started from the CLI), so the scheduler lock is a session advisory lock, and migrations serialise on a
 * transaction advisory lock. Rows are normalised to look exactly like SQLite's (see backend.ts).
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { DatabaseBackend, Queryable, Row, SqlParam } from './backend.js';
import { DatabaseUnavailableError, TransientDatabaseError } from './backend.js';
import { MIGRATIONS } from './migrations/index.js';

export interface PostgresOptions {
  /** A `postgres://` URL; a secret (it may carry a password): never printed, logged or put in an error. */
  connectionString: string;
  /** Schema for our tables (`search_path` of every connection); created if missing. Default: the server's. */
  schema?: string;
  /** Pooled connections; a tick runs its statements one after another, so a few are plenty. */
  poolSize?: number;
  statementTimeoutMs?: number;
  /** How long to wait for a connection before the database counts as unavailable. */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity; the lock connection adds `:lock`. Lets an operator (or a test) find us. */
  applicationName?: string;
}

/** Where a connection string points, without credentials: what errors and `description` may show. */
export interface PostgresLocation {
  host: string;
  port: number;
  database: string;
}

/** Parses host, port and database out of a URL; the password never leaves this function. */
export function postgresLocation(connectionString: string): PostgresLocation {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Deliberately not echoing the input: it is a secret.
    throw new DatabaseUnavailableError('the PostgreSQL connection string is not a valid postgres:// URL');
  }
  const host = decodeURIComponent(url.hostname) || url.searchParams.get('host') || 'localhost';
  const port = Number(url.port || url.searchParams.get('port') || 5432);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return { host, port, database };
}

/** `postgres://host:port/db`: safe to print. */
export function describePostgres(connectionString: string): string {
  const { host, port, database } = postgresLocation(connectionString);
  return `postgres://${host}:${port}/${database}`;
}

/**
 * Rewrites `?` placeholders to `$1..$n`. ASSUMPTION: our SQL has no `?` operator (jsonb `?`, `?|`, `?&`);
 * `?` inside quoted literals, quoted identifiers and comments is left alone, so a literal question mark
 * in a string constant is safe, but prefer parameters for data anyway.
 */
export function toPostgresPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // Doubled quotes inside a literal end up as two adjacent literals here, which copies them unchanged.
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      out += `$${++n}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Adds `-c search_path=<schema>` to the URL's startup `options`, so every connection starts in the schema
 * with no extra round trip (and no race with the first query). Merged into, not replacing, any `options`
 * the operator already put in the URL.
 */
function withSearchPath(connectionString: string, schema: string | undefined): string {
  if (schema === undefined) return connectionString;
  const url = new URL(connectionString);
  const existing = url.searchParams.get('options');
  url.searchParams.set('options', [existing, `-c search_path=${schema}`].filter(Boolean).join(' '));
  return url.toString();
}

// Type OIDs (pg_type) whose default parsing would make rows differ from SQLite's.
const OID = {
  int8: 20,
  numeric: 1700,
  json: 114,
  jsonb: 3802,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

/**
 * The pg package, loaded on first use: every CLI command imports this module (through db/open.ts), and
 * loading pg costs more start-up time than most commands take, yet only Postgres environments need it.
 * A synchronous require (pg is CommonJS), because the backend's constructor is synchronous.
 */
let pgModule: typeof pg | undefined;
function pgLib(): typeof pg {
  // CommonJS builds of this module (tests bundle it so) have a require of their own and no import.meta.url.
  pgModule ??= (typeof require === 'function' ? require : createRequire(import.meta.url))('pg') as typeof pg;
  return pgModule;
}

let defaultTimestamptzParser: ((value: string) => Date | number) | undefined;
function parseDefaultTimestamptz(value: string): Date | number {
  defaultTimestamptzParser ??= pgLib().types.getTypeParser(OID.timestamptz, 'text') as (value: string) => Date | number;
  return defaultTimestamptzParser(value);
}

function isoOrRaw(parsed: Date | number, raw: string): string {
  // 'infinity' parses to a number and year 0 / BC dates to an invalid or odd Date: keep the server's text.
  return parsed instanceof Date && !Number.isNaN(parsed.getTime()) ? parsed.toISOString() : raw;
}

/**
 * Per-connection type parsers (never the global `pg.types`, which other code in the process may use):
 * timestamps become ISO-8601 UTC strings, JSON stays the server's text, 64-bit counts and numerics become numbers.
 */
const rowTypes = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (format === 'binary') return pgLib().types.getTypeParser(oid, 'binary') as (value: string) => unknown;
    switch (oid) {
      case OID.timestamptz:
        return (v) => isoOrRaw(parseDefaultTimestamptz(v), v);
      case OID.timestamp:
        // A zone-less timestamp is UTC in our schema; parsing it as local time would shift it.
        return (v) => isoOrRaw(parseDefaultTimestamptz(`${v}+00`), v);
      case OID.json:
      case OID.jsonb:
      case OID.date:
        return (v) => v;
      case OID.int8:
      case OID.numeric:
        return (v) => Number(v);
      default:
        return pgLib().types.getTypeParser(oid, 'text') as (value: string) => unknown;
    }
  },
};

// Not a name callers use for acquireLock (they use words like 'scheduler'), so the two never collide.
const MIGRATION_LOCK = '#migrations';

// Retryable by the caller (STYLE 11): serialization failure, deadlock, server starting up.
const TRANSIENT_CODES = new Set(['40001', '40P01', '57P03']);
// The server ended or lost our session (terminated, crashed, shut down): the database is unavailable.
const LOST_SESSION_CODES = new Set(['57P01', '57P02', '08000', '08003', '08006', '08001', '08004', '08P01']);

function connectionProblem(error: unknown): string | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection lost';
    case '3D000':
      return 'database does not exist';
    case '28000':
    case '28P01':
      return 'authentication failed';
  }
  if (typeof code === 'string' && LOST_SESSION_CODES.has(code)) return 'connection lost';
  if (/timeout expired|connection timeout/i.test(text)) return 'connection timed out';
  if (/Connection terminated|not queryable|ended unexpectedly/i.test(text)) return 'connection lost';
  return undefined;
}

export class PostgresBackend implements DatabaseBackend {
  readonly dialect = 'postgres' as const;
  readonly description: string;
  private readonly location: PostgresLocation;
  private readonly clientConfig: pg.ClientConfig;
  private readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private schemaReady: Promise<void> | undefined;
  private closed = false;
  /** The one connection holding our session advisory locks; opened on first acquire. */
  private lockClient: pg.Client | undefined;
  private readonly heldLocks = new Map<string, { owner: string; key: string }>();
  /**
   * Set once migrate() committed in this process: every tick calls migrate(), and repeating the advisory
   * lock, the catalog check and the migration query costs several round trips per idle tick.
   */
  private migrated = false;

  constructor(options: PostgresOptions) {
    this.location = postgresLocation(options.connectionString);
    this.description = `postgres://${this.location.host}:${this.location.port}/${this.location.database}`;
    // Lower-case only: search_path folds unquoted names, so the schema we create and the one we search agree.
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(options.schema)}: use a-z, 0-9 and _`);
    }
    this.schema = options.schema;
    this.clientConfig = {
      connectionString: withSearchPath(options.connectionString, options.schema),
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'airflow-serverless',
      types: rowTypes,
    };
    this.pool = new (pgLib().Pool)({
      ...this.clientConfig,
      max: options.poolSize ?? 4,
      idleTimeoutMillis: 10_000,
      // A CLI command that forgets close() still exits once its connections are idle.
      allowExitOnIdle: true,
    });
    // An idle pooled connection can be terminated server-side; the pool drops it and the next query
    // opens a new one. Without a listener the 'error' event would crash the process.
    this.pool.on('error', () => {});
  }

  private unavailable(problem: string, cause: unknown): DatabaseUnavailableError {
    const { host, port, database } = this.location;
    return new DatabaseUnavailableError(`cannot connect to PostgreSQL at ${host}:${port} (database ${database}): ${problem}`, {
      cause,
    });
  }

  private translate(error: unknown): unknown {
    if (error instanceof DatabaseUnavailableError || error instanceof TransientDatabaseError) return error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) {
      return new TransientDatabaseError(`PostgreSQL asked to retry (${code}): ${(error as Error).message}`, { cause: error });
    }
    const problem = connectionProblem(error);
    if (problem) return this.unavailable(problem, error);
    if (code === '3F000') {
      // Our SQL never names a schema, so this is a search_path (e.g. the URL's `options`) naming one that
      // does not exist; pg's own "no schema has been selected to create in" says neither where nor why.
      const { host, port, database } = this.location;
      return new DatabaseUnavailableError(
        `PostgreSQL at ${host}:${port} (database ${database}) has no schema to create tables in: the schema named by search_path does not exist (CREATE SCHEMA it first)`,
        { cause: error },
      );
    }
    return error;
  }

  /** Creates the schema once, before the first statement that needs it. */
  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`PostgresBackend for ${this.description} is closed`));
    if (this.schema === undefined) return Promise.resolve();
    this.schemaReady ??= (async () => {
      try {
        await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      } catch (error) {
        // Two processes creating the same schema at once: one of them loses the catalog race; fine.
        const code = (error as { code?: unknown }).code;
        if (code !== '23505' && code !== '42P06') throw error;
      }
    })().catch((error: unknown) => {
      this.schemaReady = undefined;
      throw this.translate(error);
    });
    return this.schemaReady;
  }

  private queryable(client: pg.Pool | pg.PoolClient): Queryable {
    const query = async (sql: string, params: readonly SqlParam[] | undefined): Promise<pg.QueryResult> => {
      try {
        return await client.query(toPostgresPlaceholders(sql), params ? [...params] : []);
      } catch (error) {
        throw this.translate(error);
      }
    };
    return {
      all: async <T>(sql: string, params?: readonly SqlParam[]) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params?: readonly SqlParam[]) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params?: readonly SqlParam[]) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    };
  }

  async all<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    await this.ready();
    return this.queryable(this.pool).all<T>(sql, params);
  }
  async get<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    await this.ready();
    return this.queryable(this.pool).get<T>(sql, params);
  }
  async run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    await this.ready();
    return this.queryable(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.onTransactionClient((client) => fn(this.queryable(client)));
  }

  /** BEGIN/COMMIT on one checked-out connection; ROLLBACK on any error; the connection is released on every path. */
  private async onTransactionClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
    // pg-pool removes its own 'error' listener while a connection is checked out; a session killed between
    // two statements would then be an uncaught exception that ends the process. The next statement (or the
    // ROLLBACK) sees the failure instead, so the listener only has to keep the event from going unhandled.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // A connection that cannot even roll back is destroyed on release rather than reused.
        broken ??= rollbackError as Error;
      }
      throw this.translate(error);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * A 64-bit advisory lock key: the schema namespaces it, because advisory locks are database-wide. Without
   * a `schema` option, the connection's own schema (what the URL's `options=-c search_path=...` selected, or
   * `public`) does, so two environments in two schemas of one database never share a scheduler lock.
   * An SQL expression over $1 (schema) and $2 (name), so taking a lock computes its key in the same round trip.
   */
  private static readonly LOCK_KEY_SQL = `((hashtext('airflow-serverless/' || COALESCE($1::text, current_schema(), ''))::bigint << 32)
               | (hashtext($2)::bigint & 4294967295))`;

  /** Keys already computed, by lock name: a backend's schema never changes. */
  private readonly lockKeys = new Map<string, string>();

  private async lockKey(client: pg.ClientBase, name: string): Promise<string> {
    const known = this.lockKeys.get(name);
    if (known) return known;
    const result = await client.query<{ key: string }>(`SELECT ${PostgresBackend.LOCK_KEY_SQL}::text AS key`, [this.schema ?? null, name]);
    this.lockKeys.set(name, result.rows[0]!.key);
    return result.rows[0]!.key;
  }

  private async openLockClient(): Promise<pg.Client> {
    if (this.lockClient) return this.lockClient;
    const client = new (pgLib().Client)({
      ...this.clientConfig,
      application_name: `${this.clientConfig.application_name ?? 'airflow-serverless'}:lock`,
    });
    // A terminated lock connection emits 'error'; the server has already dropped its locks, and
    // holdsLock notices on its next check.
    client.on('error', () => {});
    client.on('end', () => {
      if (this.lockClient === client) {
        this.lockClient = undefined;
        this.heldLocks.clear();
      }
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw this.translate(error);
    }
    this.lockClient = client;
    return client;
  }

  private async dropLockClient(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = undefined;
    this.heldLocks.clear();
    // Ending the session releases every advisory lock it holds, server-side.
    if (client) await client.end().catch(() => {});
  }

  async acquireLock(name: string, options: { owner: string; ttlMs: number; now: Date }): Promise<boolean> {
    // ttlMs and now do not apply: a session lock lasts exactly as long as its connection.
    if (this.closed) throw new Error(`PostgresBackend for ${this.description} is closed`);
    const held = this.heldLocks.get(name);
    if (held && (await this.holdsLock(name, options.now))) return held.owner === options.owner;
    // The lock connection outlives a release (see releaseLock), so it may have died while idle: then one
    // more try on a fresh connection, rather than failing this tick for a connection nobody was using.
    const reused = this.lockClient !== undefined;
    try {
      return await this.tryAdvisoryLock(name, options.owner);
    } catch (error) {
      await this.dropLockClient();
      if (!reused) throw this.translate(error);
    }
    try {
      return await this.tryAdvisoryLock(name, options.owner);
    } catch (error) {
      await this.dropLockClient();
      throw this.translate(error);
    }
  }

  /** pg_try_advisory_lock in one round trip: the key is computed with the first try and remembered. */
  private async tryAdvisoryLock(name: string, owner: string): Promise<boolean> {
    const client = await this.openLockClient();
    const known = this.lockKeys.get(name);
    const result = known
      ? await client.query<{ taken: boolean; key?: string }>('SELECT pg_try_advisory_lock($1::bigint) AS taken', [known])
      : await client.query<{ taken: boolean; key: string }>(
          `SELECT pg_try_advisory_lock(k) AS taken, k::text AS key FROM (SELECT ${PostgresBackend.LOCK_KEY_SQL} AS k) AS lock_key`,
          [this.schema ?? null, name],
        );
    const key = known ?? result.rows[0]!.key!;
    this.lockKeys.set(name, key);
    const taken = result.rows[0]?.taken === true;
    if (taken) this.heldLocks.set(name, { owner, key });
    return taken;
  }

  async holdsLock(name: string, _now: Date): Promise<boolean> {
    const held = this.heldLocks.get(name);
    const client = this.lockClient;
    if (!held || !client) return false;
    try {
      // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low), objsubid 1.
      const result = await client.query<{ n: number }>(
        `SELECT count(*) AS n FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() AND objsubid = 1
            AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
        [held.key],
      );
      return result.rows[0]?.n === 1;
    } catch {
      // The connection is dead, so the server has released the lock.
      await this.dropLockClient();
      return false;
    }
  }

  async releaseLock(name: string): Promise<void> {
    const held = this.heldLocks.get(name);
    const client = this.lockClient;
    if (!held || !client) return;
    this.heldLocks.delete(name);
    try {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [held.key]);
    } catch {
      // A dead connection holds nothing; dropping it below is all that is left to do.
      await this.dropLockClient();
    }
    // The connection stays open for the next acquire (a scheduler loop ticks on it every pass, and opening
    // one costs more than the whole idle tick); close() ends it, and a dead one is noticed and replaced.
  }

  async migrate(): Promise<void> {
    if (this.migrated) return;
    await this.onTransactionClient(async (client) => {
      // Held until COMMIT: a second migrator waits here, then sees the first one's rows.
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [await this.lockKey(client, MIGRATION_LOCK)]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS migration (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
      );
      const applied = new Set((await client.query<{ id: number }>('SELECT id FROM migration')).rows.map((r) => r.id));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.id)) continue;
        // No parameters, so pg uses the simple protocol, which runs the whole multi-statement script.
        await client.query(migration.postgres);
        await client.query('INSERT INTO migration (id, name, applied_at) VALUES ($1, $2, $3)', [
          migration.id,
          migration.name,
          new Date().toISOString(),
        ]);
      }
    });
    this.migrated = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dropLockClient();
    await this.pool.end().catch(() => {});
  }
}
