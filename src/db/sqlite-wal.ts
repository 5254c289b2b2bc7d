/**
 * How our SQLite files journal: the metadata database (db/sqlite.ts) and the local state dict
 * (providers/local/state-dict.ts) both write ahead, and both are written on every finished try.
 *
 * - WAL with synchronous = NORMAL: a killed process loses nothing it committed (only an OS crash can lose
 *   the last commits), and no commit waits for the disk.
 * - The disk is waited for at checkpoints only (two fsyncs each). SQLite checkpoints every 1,000 WAL
 *   pages by default: about every 60 tries for the scheduler's two files, each fsync a stall of the
 *   scheduler loop that every slot waits behind (measured with `perf` on the 2-core VMs: ~70 fsyncs per
 *   1,000 tries). Every 10,000 pages costs a tenth of the fsyncs; a try's pages are mostly the same few
 *   table and index pages, so a checkpoint writes hardly more of them. The WAL file then grows to about
 *   40 MB; it is truncated to JOURNAL_SIZE_LIMIT after a checkpoint only beyond that, since freeing its
 *   blocks is itself a synchronous discard on ext4 mounted with `discard`.
 */
import type Database from 'better-sqlite3';

const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export function useWriteAheadLog(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
}
