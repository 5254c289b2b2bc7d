/**
 * Read access to an environment's metadata database for the CLI and UI. The tick is the only writer, so
 * readers open SQLite read-only (never creating WAL side files as a writer would); an SQLite database on a
 * remote volume is read from a downloaded copy. Postgres is read directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseBackend } from '../db/backend.js';
import { openDatabase } from '../db/open.js';
import { LocalProvider } from '../providers/local/provider.js';
import { DATABASE_FILE } from '../volume-layout.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';

export class NoDatabaseYetError extends UserInputError {
  constructor(env: string) {
    super(`environment "${env}" has no database yet: run \`airflow-serverless create --env ${env} --config <file>\` again`);
    this.name = 'NoDatabaseYetError';
  }
}

export async function withReadDatabase<T>(environment: Environment, fn: (db: DatabaseBackend) => Promise<T>): Promise<T> {
  const { config, provider } = environment;
  let sqliteFile = '';
  let cleanup = (): void => {};
  if (config.database.type === 'sqlite') {
    if (provider instanceof LocalProvider) {
      sqliteFile = path.join(provider.paths.volume, DATABASE_FILE);
      if (!fs.existsSync(sqliteFile)) throw new NoDatabaseYetError(environment.name);
    } else {
      const bytes = await provider.volume().get(DATABASE_FILE);
      if (!bytes) throw new NoDatabaseYetError(environment.name);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-serverless-db-'));
      sqliteFile = path.join(dir, 'airflow.db');
      fs.writeFileSync(sqliteFile, bytes);
      cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const db = openDatabase(config.database, {
    sqliteFile,
    readonly: true,
    applicationName: `airflow-serverless-${environment.name}-cli`,
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
    cleanup();
  }
}
