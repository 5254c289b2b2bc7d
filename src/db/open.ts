/**
 * Chooses the database backend from the environment's configuration. The one place that knows both
 * backends, so callers (tick, CLI, UI) stay dialect-free. To print a connection string, use
 * `redactConnectionString` (config) or a backend's `description`; this module adds no third way.
 */
import type { Config } from '../config/model.js';
import type { DatabaseBackend } from './backend.js';
import { DatabaseUnavailableError } from './backend.js';
import { PostgresBackend } from './postgres.js';
import { SqliteBackend } from './sqlite.js';

export interface OpenDatabaseOptions {
  /** The SQLite file (the volume's `data/airflow.db`); ignored for Postgres. */
  sqliteFile: string;
  /** `delete` on a network volume (Modal), where WAL's shared memory does not cross hosts. */
  journalMode?: 'wal' | 'delete';
  /** Readers (UI, CLI) open SQLite read-only; the tick is the only writer. Ignored for Postgres. */
  readonly?: boolean;
  /** Postgres only: the schema holding our tables (tests isolate with one schema each). */
  schema?: string;
  /** Postgres only: shown in pg_stat_activity. */
  applicationName?: string;
}

export function openDatabase(database: Config['database'], options: OpenDatabaseOptions): DatabaseBackend {
  if (database.type === 'postgres') {
    if (!database.connection_string) {
      throw new DatabaseUnavailableError('database.type is postgres but database.connection_string is not set');
    }
    return new PostgresBackend({
      connectionString: database.connection_string,
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
      ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {}),
    });
  }
  return new SqliteBackend({
    file: options.sqliteFile,
    ...(options.journalMode !== undefined ? { journalMode: options.journalMode } : {}),
    ...(options.readonly !== undefined ? { readonly: options.readonly } : {}),
  });
}
