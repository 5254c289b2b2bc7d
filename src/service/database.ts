/**
 * Read access to an environment's metadata database for the CLI and UI. The tick is the only writer; how a
 * reader gets at the database (a read-only file, a downloaded copy, a server) is the provider's business.
 */
import type { DatabaseBackend } from '../db/backend.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';

export class NoDatabaseYetError extends UserInputError {
  constructor(env: string) {
    super(`environment "${env}" has no database yet: run \`airflow-serverless create --env ${env} --config <file>\` again`);
    this.name = 'NoDatabaseYetError';
  }
}

export async function withReadDatabase<T>(environment: Environment, fn: (db: DatabaseBackend) => Promise<T>): Promise<T> {
  const db = await environment.provider.openReadOnlyDatabase();
  if (!db) throw new NoDatabaseYetError(environment.name);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
