/**
 * `db clean` (Airflow's `airflow db clean`): removes old rows, and the logs and XCom files of the runs and
 * task instances removed, and says what it removed (or would, with dry run). The tick is the database's
 * only writer in normal operation; `db clean` writes while holding the tick's own lock, so no pass runs
 * meanwhile. It needs a database this machine can write: a local environment, or PostgreSQL.
 */
import path from 'node:path';
import type { DatabaseBackend } from '../db/backend.js';
import { processLeaseOwner } from '../db/lease-owner.js';
import { openDatabase } from '../db/open.js';
import {
  CLEANABLE_TABLES,
  cleanableRuns,
  cleanableTaskInstances,
  countRunRows,
  deleteOldCommandLog,
  deleteOldHistory,
  deleteRun,
  deleteTaskInstance,
  type CleanableTable,
} from '../db/queries/db-clean.js';
import { LocalProvider } from '../providers/local/provider.js';
import type { VolumeClient } from '../providers/ports.js';
import { SCHEDULER_LOCK } from '../scheduler/context.js';
import { leaseMs } from '../scheduler/tick.js';
import { DATABASE_FILE, runLogDir, runXcomDir, taskLogDir, xcomDir } from '../volume-layout.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';

export interface CleanOptions {
  before: Date;
  tables: readonly CleanableTable[];
  dryRun: boolean;
  now?: Date;
}

export interface CleanResult {
  dry_run: boolean;
  clean_before_timestamp: string;
  /** Rows removed (or that would be) per table, including rows that went with their run. */
  rows: Record<CleanableTable, number>;
  /** Files on the volume removed (logs, XCom), and their bytes. */
  files: number;
  bytes: number;
}

/** `--tables a,b`: each must be one of CLEANABLE_TABLES. */
export function parseTables(value: string | undefined): CleanableTable[] {
  if (value === undefined || value.trim() === '') return [...CLEANABLE_TABLES];
  const tables = value.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tables.filter((t) => !(CLEANABLE_TABLES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new UserInputError(`unknown table ${unknown.map((t) => `"${t}"`).join(', ')} for --tables; allowed: ${CLEANABLE_TABLES.join(', ')}`);
  return [...new Set(tables)] as CleanableTable[];
}

function openWritableDatabase(environment: Environment): DatabaseBackend {
  const { provider, config } = environment;
  if (config.database.type === 'sqlite' && !(provider instanceof LocalProvider)) {
    throw new UserInputError(`db clean needs a database this machine can write; environment "${environment.name}" keeps SQLite on its Modal volume (use PostgreSQL, or clean from a tick)`);
  }
  const sqliteFile = provider instanceof LocalProvider ? path.join(provider.paths.volume, DATABASE_FILE) : '';
  return openDatabase(config.database, { sqliteFile, applicationName: `airflow-serverless-${environment.name}-db-clean` });
}

/** Files and bytes under a volume folder (0 when it does not exist). */
async function measure(volume: VolumeClient, dir: string): Promise<{ files: number; bytes: number }> {
  const entries = (await volume.list(dir)).filter((e) => e.type === 'file');
  return { files: entries.length, bytes: entries.reduce((sum, e) => sum + e.size, 0) };
}

class DryRunRollback extends Error {}

export async function cleanDatabase(environment: Environment, options: CleanOptions): Promise<CleanResult> {
  const before = options.before.toISOString();
  const result: CleanResult = {
    dry_run: options.dryRun,
    clean_before_timestamp: before,
    rows: { dag_run: 0, task_instance: 0, task_instance_history: 0, command_log: 0 },
    files: 0,
    bytes: 0,
  };
  const tables = new Set(options.tables);
  const volume = environment.provider.volume();
  const db = openWritableDatabase(environment);
  try {
    await db.migrate();
    const now = options.now ?? new Date();
    if (!options.dryRun && !(await db.acquireLock(SCHEDULER_LOCK, { owner: processLeaseOwner('db-clean'), ttlMs: leaseMs(environment.config), now }))) {
      throw new UserInputError('a scheduler pass is running (it holds the lock); try again in a moment');
    }
    try {
      const folders: string[] = [];
      // A dry run makes the same deletes and rolls them back: its counts are exactly what a real run removes.
      try {
        await db.transaction(async (tx) => {
          if (tables.has('dag_run')) {
            for (const run of await cleanableRuns(tx, before)) {
              result.rows.task_instance += await countRunRows(tx, 'task_instance', run);
              result.rows.task_instance_history += await countRunRows(tx, 'task_instance_history', run);
              result.rows.dag_run += await deleteRun(tx, run);
              folders.push(runLogDir(run), runXcomDir(run));
            }
          }
          if (tables.has('task_instance')) {
            for (const ti of await cleanableTaskInstances(tx, before)) {
              result.rows.task_instance += await deleteTaskInstance(tx, ti);
              folders.push(taskLogDir(ti), xcomDir(ti));
            }
          }
          if (tables.has('task_instance_history')) result.rows.task_instance_history += await deleteOldHistory(tx, before);
          if (tables.has('command_log')) result.rows.command_log += await deleteOldCommandLog(tx, before);
          if (options.dryRun) throw new DryRunRollback();
        });
      } catch (error) {
        if (!(error instanceof DryRunRollback)) throw error;
      }
      for (const folder of folders) {
        const { files, bytes } = await measure(volume, folder);
        result.files += files;
        result.bytes += bytes;
        if (!options.dryRun && files > 0) await volume.remove(folder);
      }
      const removedRows = Object.values(result.rows).reduce((sum, n) => sum + n, 0);
      // SQLite keeps freed pages in the file; give them back (the file lives on the volume).
      if (!options.dryRun && removedRows > 0 && db.dialect === 'sqlite') await db.run('VACUUM');
      if (!options.dryRun && (folders.length > 0 || removedRows > 0)) await volume.commit();
    } finally {
      if (!options.dryRun) await db.releaseLock(SCHEDULER_LOCK);
    }
  } finally {
    await db.close();
  }
  return result;
}
