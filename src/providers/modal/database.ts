/**
 * SQLite for a Modal environment (DESIGN.md "The modal provider, refined"):
 * - the tick is the only writer, and never opens the file on the volume: it works on a container-local
 *   copy and writes it back whole before each volume commit (VolumeSqliteDatabase);
 * - the copy uses a rollback journal (`journal_mode=DELETE`), never WAL;
 * - readers (the UI container, the CLI) open a private copy of one version of the file, read-only.
 * The scheduler lock of a SQLite database on Modal is the Dict lease (`lock:scheduler`), not a row in the
 * database: a row in a file that two containers may hold different versions of cannot exclude anyone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config/model.js';
import type { DatabaseBackend, Queryable, Row, SqlParam } from '../../db/backend.js';
import { openDatabase } from '../../db/open.js';
import { SqliteBackend } from '../../db/sqlite.js';
import type { Clock, VolumeClient } from '../ports.js';
import { DATABASE_FILE } from '../../volume-layout.js';
import type { DictSchedulerLease } from './lease.js';
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

/** The SQLite header's file change counter (offset 24): bumped by every committed write in rollback-journal mode. */
function changeCounter(file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const header = Buffer.alloc(4);
    if (fs.readSync(fd, header, 0, 4, 24) < 4) return undefined;
    return header.readUInt32BE(0);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The tick's SQLite database on Modal (DESIGN.md "The modal provider, refined"): Modal commits a mounted
 * volume in the background every few seconds and again when the container stops, so a file SQLite holds
 * open on the volume (a page half-written, a hot `-journal`) can become the committed state. The tick
 * therefore never opens the file on the volume. It copies `data/airflow.db` to container-local disk once,
 * works on that copy, and writes it back whole (a temporary name on the volume, fsync, then rename) before
 * each commit and at close; a background commit can only capture the previous whole file or the new one.
 * The local copy stays authoritative for the whole tick (the lease makes it the only writer), so a reload
 * does not re-copy it. A `-journal` left on the volume by an earlier version is rolled back on the copy
 * and removed from the volume at the next write-back.
 */
export class VolumeSqliteDatabase extends ReopenableDatabase {
  private copied = false;
  /** The change counter of what is on the volume (what we copied or last wrote back). */
  private writtenCounter: number | undefined;

  constructor(
    private readonly volumeFile: string,
    private readonly localFile: string,
    /** The tick's lease, taken by the entrypoint before this database opens, and renewed while it works. */
    private readonly lease: DictSchedulerLease,
  ) {
    super(
      () => {
        this.copyIn();
        return new SqliteBackend({ file: this.localFile, journalMode: 'delete' });
      },
      { dialect: 'sqlite', description: `${DATABASE_FILE} (container copy of the Modal volume's file)` },
    );
  }

  private copyIn(): void {
    if (this.copied) return;
    fs.mkdirSync(path.dirname(this.localFile), { recursive: true });
    fs.rmSync(`${this.localFile}-journal`, { force: true });
    if (fs.existsSync(this.volumeFile)) {
      fs.copyFileSync(this.volumeFile, this.localFile);
      const legacyJournal = `${this.volumeFile}-journal`;
      if (fs.existsSync(legacyJournal)) {
        fs.copyFileSync(legacyJournal, `${this.localFile}-journal`);
        // A read-write open of the copy rolls the hot journal back.
        void new SqliteBackend({ file: this.localFile, journalMode: 'delete' }).close();
      }
      this.writtenCounter = changeCounter(this.localFile);
    } else {
      fs.rmSync(this.localFile, { force: true });
    }
    this.copied = true;
  }

  /** Writes the local copy back to the volume when it changed since it was copied or last written. */
  private writeBack(): void {
    if (!this.copied || !fs.existsSync(this.localFile)) return;
    const counter = changeCounter(this.localFile);
    const legacyJournal = `${this.volumeFile}-journal`;
    if (counter === this.writtenCounter && fs.existsSync(this.volumeFile) && !fs.existsSync(legacyJournal)) return;
    fs.mkdirSync(path.dirname(this.volumeFile), { recursive: true });
    const temporary = path.join(path.dirname(this.volumeFile), `.${path.basename(this.volumeFile)}.${process.pid}.tmp`);
    fs.copyFileSync(this.localFile, temporary);
    const fd = fs.openSync(temporary, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.volumeFile);
    fs.rmSync(legacyJournal, { force: true });
    this.writtenCounter = counter;
  }

  /** Before a volume sync: close the local handle; before a commit, also write the copy back. */
  async beforeSync(operation: 'commit' | 'reload'): Promise<void> {
    await this.suspend();
    if (operation === 'commit') this.writeBack();
  }

  /**
   * The scheduler lock is the entrypoint's lease: runTick's acquire and its checks before each commit only
   * confirm it is still ours (one read), and its release is left to the entrypoint, after the last write-back.
   */
  override async acquireLock(): Promise<boolean> {
    return this.lease.held();
  }
  override async holdsLock(): Promise<boolean> {
    return this.lease.held();
  }
  override async releaseLock(): Promise<void> {}

  /** True when close() wrote the copy back (the launcher must then commit once more). */
  wroteBackAtClose = false;

  override async close(): Promise<void> {
    await this.suspend();
    // The pass may have stopped because the lease was lost: then the copy is not ours to write.
    if (this.copied && changeCounter(this.localFile) !== this.writtenCounter && (await this.lease.held())) {
      this.writeBack();
      this.wroteBackAtClose = true;
    }
    fs.rmSync(path.dirname(this.localFile), { recursive: true, force: true });
  }
}

/** The tick's database inside a Modal container: Postgres as is; SQLite as a container-local copy (above). */
export function openTickDatabase(options: {
  database: Config['database'];
  volumeRoot: string;
  dict: ModalStateDict;
  clock: Clock;
  env: string;
  /** The tick's lease: its checks and renewals are the database's scheduler lock. */
  lease: DictSchedulerLease;
}): DatabaseBackend {
  if (options.database.type === 'postgres') {
    return openDatabase(options.database, { sqliteFile: '', applicationName: `airflow-serverless-${options.env}-tick` });
  }
  const local = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-tick-')), 'airflow.db');
  return new VolumeSqliteDatabase(path.join(options.volumeRoot, DATABASE_FILE), local, options.lease);
}

/**
 * Opens a private read-only copy of a SQLite file. A leftover rollback journal (written by a version
 * that opened the file on the volume) is rolled back on the copy first, so readers see a committed state.
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

/**
 * The CLI's view of a SQLite database on Modal: one download of `data/airflow.db` (one version of the
 * file: the tick only ever replaces it whole), opened read-only. No journal is fetched: a second download
 * could pair it with another version of the file.
 */
export async function downloadDatabaseCopy(volume: VolumeClient, copyPath: string): Promise<SqliteBackend | undefined> {
  const database = await volume.get(DATABASE_FILE);
  if (!database) return undefined;
  return openSqliteCopy({ database }, copyPath);
}
