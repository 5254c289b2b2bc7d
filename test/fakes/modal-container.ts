/**
 * What the launcher gives a container entrypoint, for tests that run the entrypoints in-process: the
 * environment variables of templates/modal_app.py for environment `dev`, and a way to read a database
 * snapshot a fake mount committed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/model.js';
import { SqliteBackend } from '../../src/db/sqlite.js';

export const MODAL_TEST_APP = 'airflow-serverless-dev';
export const MODAL_TEST_DICT = 'airflow-state-dev';

export function modalTestConfig(): Config {
  return { ...defaultConfig(), provider: 'modal', modal: { environment: null } };
}

export function modalContainerEnv(volumeRoot: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    AIRFLOW_SERVERLESS_ENV: 'dev',
    AIRFLOW_SERVERLESS_APP: MODAL_TEST_APP,
    AIRFLOW_SERVERLESS_DICT: MODAL_TEST_DICT,
    AIRFLOW_SERVERLESS_CONFIG: JSON.stringify(modalTestConfig()),
    AIRFLOW_SERVERLESS_VOLUME_ROOT: volumeRoot,
    MODAL_TOKEN_ID: 'ak-container',
    MODAL_TOKEN_SECRET: 'as-container',
    ...extra,
  };
}

/** A fresh folder standing in for the mounted volume, with its `dags/`. */
export function makeVolumeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-vol-'));
  fs.mkdirSync(path.join(root, 'dags'));
  return root;
}

/** Runs one query on a SQLite file given as bytes (a committed snapshot), read-only. */
export async function querySnapshot<T>(bytes: Uint8Array, sql: string): Promise<T | undefined> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-snapshot-'));
  const file = path.join(dir, 'snapshot.db');
  fs.writeFileSync(file, bytes);
  const db = new SqliteBackend({ file, readonly: true });
  try {
    return await db.get<T>(sql);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
