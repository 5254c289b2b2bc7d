/**
 * The local provider: an environment is a folder on this machine (see paths.ts). `create` lays out the
 * volume and the state dict; the database schema is initialised by the caller, which owns the database
 * port (src/db). Task processes are started by LocalTaskSpawner; the scheduler loop lives in src/runtime.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/model.js';
import type { DatabaseBackend } from '../../db/backend.js';
import { openDatabase } from '../../db/open.js';
import { DAGS_DIR, DATABASE_FILE, LOGS_DIR, XCOM_DIR } from '../../volume-layout.js';
import type { Progress, Provider, StateDict, TaskSpawner, VolumeClient } from '../ports.js';
import type { LocalEnvironmentPaths } from './paths.js';
import { airflowServerlessHome, localEnvironmentPaths } from './paths.js';
import { LocalTaskSpawner } from './spawner.js';
import { SqliteStateDict } from './state-dict.js';
import { LocalVolumeClient } from './volume.js';
import { schedulerIsRunning } from './wake.js';

export class SchedulerRunningError extends Error {
  constructor(env: string) {
    super(`environment "${env}" has a running scheduler; stop it (Ctrl-C) before destroying the environment`);
    this.name = 'SchedulerRunningError';
  }
}

export class LocalProvider implements Provider {
  readonly name = 'local' as const;
  readonly paths: LocalEnvironmentPaths;
  private dict: SqliteStateDict | null = null;

  constructor(
    readonly env: string,
    private readonly config: Pick<Config, 'executor' | 'database'>,
    options: { home?: string } = {},
  ) {
    this.paths = localEnvironmentPaths(env, options.home ?? airflowServerlessHome());
  }

  async exists(): Promise<boolean> {
    return fs.existsSync(this.paths.volume) && fs.existsSync(this.paths.stateDict);
  }

  async create(_config: Config, progress: Progress): Promise<void> {
    progress.step(`preparing ${this.paths.root}`);
    for (const dir of [DAGS_DIR, 'data', LOGS_DIR, XCOM_DIR]) {
      fs.mkdirSync(`${this.paths.volume}/${dir}`, { recursive: true });
    }
    progress.step('creating the state dict');
    // Opening creates the file and its table.
    await this.stateDict();
  }

  async destroy(_options: { deleteData: boolean }, progress: Progress): Promise<void> {
    // A local environment has no app apart from its data, so destroying always deletes the folder.
    if (await schedulerIsRunning(this.paths)) throw new SchedulerRunningError(this.env);
    await this.close();
    progress.step(`deleting ${this.paths.root}`);
    fs.rmSync(this.paths.root, { recursive: true, force: true });
  }

  volume(): VolumeClient {
    return new LocalVolumeClient(this.paths.volume);
  }

  async stateDict(): Promise<StateDict> {
    this.dict ??= new SqliteStateDict(this.paths.stateDict);
    return this.dict;
  }

  /** A spawner for one-shot use (the `tick` command): its children run on after this process exits. */
  spawner(): TaskSpawner {
    const dict = this.dict ?? new SqliteStateDict(this.paths.stateDict);
    this.dict = dict;
    return new LocalTaskSpawner({ paths: this.paths, parallelism: this.config.executor.parallelism, dict });
  }

  /** SQLite is opened read-only in place (no WAL side files from a reader); Postgres directly. */
  async openReadOnlyDatabase(): Promise<DatabaseBackend | null> {
    const sqliteFile = path.join(this.paths.volume, DATABASE_FILE);
    if (this.config.database.type === 'sqlite' && !fs.existsSync(sqliteFile)) return null;
    return openDatabase(this.config.database, {
      sqliteFile,
      readonly: true,
      applicationName: `airflow-serverless-${this.env}-cli`,
    });
  }

  async close(): Promise<void> {
    await this.dict?.close();
    this.dict = null;
  }
}
