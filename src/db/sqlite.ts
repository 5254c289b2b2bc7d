/**
 * SQLite backend (better-sqlite3). The tick is the only writer; readers (CLI, UI) open the same file.
 * WAL suits a local disk. On a network volume (Modal) WAL's shared memory does not cross hosts, so the
 * journal mode is switchable to a rollback journal (`DELETE`).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { useWriteAheadLog } from './sqlite-wal.js';
import type { DatabaseBackend, Queryable, Row, SqlParam } from './backend.js';
import { DatabaseUnavailableError, TransientDatabaseError } from './backend.js';
import { MIGRATIONS } from './migrations/index.js';
import { isDeadLocalOwner } from './lease-owner.js';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  file: string;
  journalMode?: 'wal' | 'delete';
  readonly?: boolean;
  /** How long a statement waits for another connection's write lock. */
  busyTimeoutMs?: number;
}

const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT']);

function bind(params: readonly SqlParam[] | undefined): unknown[] {
  // better-sqlite3 refuses JS booleans; store flags as 0/1.
  return (params ?? []).map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

function translate(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code && TRANSIENT_CODES.has(code)) {
    return new TransientDatabaseError(`database is busy (${code})`, { cause: error });
  }
  return error;
}

export class SqliteBackend implements DatabaseBackend {
  readonly dialect = 'sqlite' as const;
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private inTransaction = false;
  private inBatch = false;
  private readonly heldLocks = new Map<string, { owner: string; expiresAt: number }>();
  /** Set once migrate() committed: every tick calls migrate(), and a migrated schema stays migrated for this handle. */
  private migrated = false;

  constructor(options: SqliteOptions) {
    this.description = options.file;
    if (options.file !== ':memory:' && !options.readonly) {
      fs.mkdirSync(path.dirname(options.file), { recursive: true });
    }
    try {
      this.db = new Database(options.file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      // Opening reads nothing; reading the header here makes a damaged file fail now, naming it
      // ("file is not a database" alone does not say which of the environment's files it is).
      this.db.pragma('schema_version');
    } catch (error) {
      throw new DatabaseUnavailableError(`cannot open SQLite database ${options.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    if (!options.readonly) {
      if ((options.journalMode ?? 'wal') === 'wal') useWriteAheadLog(this.db);
      else {
        this.db.pragma('journal_mode = DELETE');
        this.db.pragma('synchronous = NORMAL');
      }
    }
    this.db.pragma('foreign_keys = ON');
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly queryable: Queryable = {
    all: async <T>(sql: string, params?: readonly SqlParam[]) => {
      try {
        return this.prepare(sql).all(...bind(params)) as T[];
      } catch (error) {
        throw translate(error);
      }
    },
    get: async <T>(sql: string, params?: readonly SqlParam[]) => {
      try {
        return this.prepare(sql).get(...bind(params)) as T | undefined;
      } catch (error) {
        throw translate(error);
      }
    },
    run: async (sql: string, params?: readonly SqlParam[]) => {
      try {
        const statement = this.prepare(sql);
        if (!statement.reader) return { changes: statement.run(...bind(params)).changes };
        // A statement that returns rows (SELECT, or INSERT/UPDATE ... RETURNING) counts the rows it
        // returned, as Postgres's rowCount does, so `changes` means the same on both backends.
        return { changes: statement.all(...bind(params)).length };
      } catch (error) {
        throw translate(error);
      }
    },
  };

  all<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.queryable.all<T>(sql, params);
  }
  get<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.queryable.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.queryable.run(sql, params);
  }

  async batch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction || this.inBatch) throw new Error('SqliteBackend.batch is not re-entrant');
    return this.writeTransaction('inBatch', fn);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.inTransaction) throw new Error('SqliteBackend.transaction is not re-entrant');
    if (this.inBatch) return this.savepoint(fn);
    return this.writeTransaction('inTransaction', () => fn(this.queryable));
  }

  /** `fn` between BEGIN IMMEDIATE and COMMIT (ROLLBACK if it throws), with `flag` set meanwhile. */
  private async writeTransaction<T>(flag: 'inTransaction' | 'inBatch', fn: () => Promise<T>): Promise<T> {
    this[flag] = true;
    try {
      // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of
      // failing later with an unresolvable deadlock on upgrade.
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      this[flag] = false;
      throw translate(error);
    }
    try {
      const result = await fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw translate(error);
    } finally {
      this[flag] = false;
    }
  }

  /** A transaction inside a batch: a savepoint, so its own failure undoes only its own writes. */
  private async savepoint<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.inTransaction = true;
    this.db.exec('SAVEPOINT step');
    try {
      const result = await fn(this.queryable);
      this.db.exec('RELEASE step');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK TO step');
      this.db.exec('RELEASE step');
      throw translate(error);
    } finally {
      this.inTransaction = false;
    }
  }

  async acquireLock(name: string, options: { owner: string; ttlMs: number; now: Date }): Promise<boolean> {
    const expiresAt = new Date(options.now.getTime() + options.ttlMs).toISOString();
    const taken = await this.transaction(async (tx) => {
      // One statement inserts a free lease or takes over an expired (or our own) one.
      const result = await tx.run(
        `INSERT INTO lock (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE lock.expires_at < ? OR lock.owner = excluded.owner`,
        [name, options.owner, expiresAt, options.now.toISOString()],
      );
      if (result.changes > 0) return true;
      // A lease whose owner is a process of this host that is gone (a killed one-shot tick) is free now,
      // not at its expiry. Conditioned on the same owner, inside this write transaction.
      const row = await tx.get<{ owner: string }>('SELECT owner FROM lock WHERE name = ?', [name]);
      if (row === undefined || !isDeadLocalOwner(row.owner)) return false;
      const takeover = await tx.run('UPDATE lock SET owner = ?, expires_at = ? WHERE name = ? AND owner = ?', [
        options.owner,
        expiresAt,
        name,
        row.owner,
      ]);
      return takeover.changes > 0;
    });
    if (taken) this.heldLocks.set(name, { owner: options.owner, expiresAt: Date.parse(expiresAt) });
    return taken;
  }

  async holdsLock(name: string, now: Date): Promise<boolean> {
    const held = this.heldLocks.get(name);
    if (!held) return false;
    const row = await this.get<{ owner: string; expires_at: string }>('SELECT owner, expires_at FROM lock WHERE name = ?', [
      name,
    ]);
    return row !== undefined && row.owner === held.owner && Date.parse(row.expires_at) > now.getTime();
  }

  async releaseLock(name: string): Promise<void> {
    const held = this.heldLocks.get(name);
    if (!held) return;
    this.heldLocks.delete(name);
    await this.run('DELETE FROM lock WHERE name = ? AND owner = ?', [name, held.owner]);
  }

  async migrate(): Promise<void> {
    if (this.migrated) return;
    // BEGIN IMMEDIATE serialises concurrent migrators: the second sees the first's work.
    await this.transaction(async (tx) => {
      await tx.run('CREATE TABLE IF NOT EXISTS migration (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await tx.all<{ id: number }>('SELECT id FROM migration')).map((r) => r.id));
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.id)) continue;
        this.db.exec(migration.sqlite);
        await tx.run('INSERT INTO migration (id, name, applied_at) VALUES (?, ?, ?)', [
          migration.id,
          migration.name,
          new Date().toISOString(),
        ]);
      }
    });
    this.migrated = true;
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}
