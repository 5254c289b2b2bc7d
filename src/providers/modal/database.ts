/**
 * SQLite on a Modal volume, done the way a network volume allows (DESIGN.md "The modal provider"):
 * - the tick is the only writer; it uses a rollback journal (`journal_mode=DELETE`), never WAL, whose
 *   `-wal`/`-shm` files and shared memory do not survive a commit to another container;
 * - the database is closed before every volume commit and reload (`ReopenableDatabase.suspend`), and
 *   reopened on the next query;
 * - readers (the UI container, the CLI) open a private copy read-only, so they never hold a file on the
 *   volume open and never see a half-written page.
 * The scheduler lock of a SQLite database on Modal is the Dict lease (`lock:scheduler`), not a row in the
 * database: a row in a file that two containers may hold different versions of cannot exclude anyone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/model.js';
import type { DatabaseBackend, Queryable, Row, SqlParam } from '../../db/backend.js';
import { openDatabase } from '../../db/open.js';
import { SqliteBackend } from '../../db/sqlite.js';
import type { Clock, VolumeClient } from '../ports.js';
import { DATABASE_FILE } from '../../volume-layout.js';
import { DictSchedulerLease } from './lease.js';
import type { ModalStateDict } from './state-dict.js';

/**
 * A database handle that can be closed between uses and reopens itself on the next query. Locks, when a
 * lease factory is given, live in the Dict and survive the reopen.
 */
export class ReopenableDatabase implements DatabaseBackend {
  readonly dialect: 'sqlite' | 'postgres';
  readonly description: string;
  private current: DatabaseBackend | null = null;
  private readonly leases = new Map<string, DictSchedulerLease>();

  constructor(
    private readonly open: () => DatabaseBackend,
    meta: { dialect: 'sqlite' | 'postgres'; description: string },
    private readonly leaseFor?: (name: string, owner: string, ttlMs: number) => DictSchedulerLease,
  ) {
    this.dialect = meta.dialect;
    this.description = meta.description;
  }

  private backend(): DatabaseBackend {
    this.current ??= this.open();
    return this.current;
  }

  /** Closes the file now; the next query opens it again. Never call it inside `transaction`. */
  async suspend(): Promise<void> {
    const current = this.current;
    this.current = null;
    await current?.close();
  }

  all<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    return this.backend().all<T>(sql, params);
  }
  get<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.backend().get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }> {
    return this.backend().run(sql, params);
  }
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.backend().transaction(fn);
  }
  migrate(): Promise<void> {
    return this.backend().migrate();
  }

  async acquireLock(name: string, options: { owner: string; ttlMs: number; now: Date }): Promise<boolean> {
    if (!this.leaseFor) return this.backend().acquireLock(name, options);
    const lease = this.leaseFor(name, options.owner, options.ttlMs);
    const taken = await lease.acquire();
    if (taken) this.leases.set(name, lease);
    return taken;
  }
  async holdsLock(name: string, now: Date): Promise<boolean> {
    if (!this.leaseFor) return this.backend().holdsLock(name, now);
    return (await this.leases.get(name)?.held()) ?? false;
  }
  async releaseLock(name: string): Promise<void> {
    if (!this.leaseFor) return this.backend().releaseLock(name);
    const lease = this.leases.get(name);
    this.leases.delete(name);
    await lease?.release();
  }

  async close(): Promise<void> {
    await this.suspend();
  }
}

/** The tick's database inside a Modal container: Postgres as is; SQLite on the volume with the rules above. */
export function openTickDatabase(options: {
  database: Config['database'];
  volumeRoot: string;
  dict: ModalStateDict;
  clock: Clock;
  env: string;
}): DatabaseBackend {
  if (options.database.type === 'postgres') {
    return openDatabase(options.database, { sqliteFile: '', applicationName: `airflow-serverless-${options.env}-tick` });
  }
  const file = path.join(options.volumeRoot, DATABASE_FILE);
  return new ReopenableDatabase(
    () => new SqliteBackend({ file, journalMode: 'delete' }),
    { dialect: 'sqlite', description: `${DATABASE_FILE} on the Modal volume` },
    (_name, owner, ttlMs) => new DictSchedulerLease(options.dict, owner, ttlMs, options.clock),
  );
}

/**
 * Opens a private read-only copy of a SQLite file. A leftover rollback journal (a writer that died
 * mid-transaction) is copied along and rolled back on the copy first, so readers see the last committed state.
 */
export function openSqliteCopy(source: { database: Uint8Array; journal?: Uint8Array | undefined }, copyPath: string): SqliteBackend {
  fs.mkdirSync(path.dirname(copyPath), { recursive: true });
  fs.writeFileSync(copyPath, source.database);
  const journal = `${copyPath}-journal`;
  fs.rmSync(journal, { force: true });
  if (source.journal && source.journal.length > 0) {
    fs.writeFileSync(journal, source.journal);
    // A read-write open of our own copy rolls the hot journal back; a read-only one could not.
    const recover = new SqliteBackend({ file: copyPath, journalMode: 'delete' });
    void recover.close();
  }
  return new SqliteBackend({ file: copyPath, readonly: true });
}

/** The CLI's view of a SQLite database on Modal: download a consistent copy, open it read-only. */
export async function downloadDatabaseCopy(volume: VolumeClient, copyPath: string): Promise<SqliteBackend | undefined> {
  const database = await volume.get(DATABASE_FILE);
  if (!database) return undefined;
  const journal = await volume.get(`${DATABASE_FILE}-journal`);
  return openSqliteCopy({ database, journal }, copyPath);
}
