/**
 * Composition root of a local environment's scheduler side: the ports the tick needs (database, state
 * dict, volume mount, spawner, clock), built once and shared by the scheduler loop and the `tick` command.
 */
import type { Config } from '../config/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { processLeaseOwner } from '../db/lease-owner.js';
import { openDatabase } from '../db/open.js';
import type { Logger } from '../logger.js';
import { airflowServerlessHome, localEnvironmentPaths } from '../providers/local/paths.js';
import type { LocalEnvironmentPaths } from '../providers/local/paths.js';
import { LocalTaskSpawner } from '../providers/local/spawner.js';
import { SqliteStateDict } from '../providers/local/state-dict.js';
import { LocalVolumeMount } from '../providers/local/volume.js';
import type { Clock } from '../providers/ports.js';
import { systemClock } from '../providers/ports.js';
import { pendingWork, runTick } from '../scheduler/tick.js';
import type { TickResult, TickScope } from '../scheduler/tick.js';
import { DATABASE_FILE } from '../volume-layout.js';

export interface LocalRuntimeOptions {
  env: string;
  config: Config;
  home?: string;
  logger: Logger;
  clock?: Clock;
  /** The scheduler lease owner; default unique to this process. */
  owner?: string;
  /** Warm task processes to keep ready (see LocalTaskSpawner); default 0. */
  warmWorkers?: number;
  /** Called when a task process started by this runtime exits. */
  onTaskProcessExit?: () => void;
  /** Called when a warm worker's try asks for a tick over IPC (default: the wake socket). */
  onTickRequested?: () => void;
}

export class LocalRuntime {
  readonly paths: LocalEnvironmentPaths;
  readonly config: Config;
  readonly dict: SqliteStateDict;
  readonly volume: LocalVolumeMount;
  readonly spawner: LocalTaskSpawner;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Identifies this process as the scheduler lease holder. */
  readonly owner: string;
  private db: DatabaseBackend | null = null;

  constructor(options: LocalRuntimeOptions) {
    this.paths = localEnvironmentPaths(options.env, options.home ?? airflowServerlessHome());
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.dict = new SqliteStateDict(this.paths.stateDict);
    this.volume = new LocalVolumeMount(this.paths.volume);
    this.owner = options.owner ?? processLeaseOwner();
    this.spawner = new LocalTaskSpawner({
      paths: this.paths,
      parallelism: this.config.executor.parallelism,
      dict: this.dict,
      logger: this.logger,
      warmWorkers: options.warmWorkers ?? 0,
      ...(options.onTaskProcessExit ? { onChildExit: () => options.onTaskProcessExit?.() } : {}),
      ...(options.onTickRequested ? { onTickRequested: options.onTickRequested } : {}),
    });
  }

  /** The database, opened on first use and kept; `resetDatabase` drops it after an error. */
  async database(): Promise<DatabaseBackend> {
    if (!this.db) {
      const db = openDatabase(this.config.database, {
        sqliteFile: `${this.paths.volume}/${DATABASE_FILE}`,
        applicationName: `airflow-serverless-${this.paths.env}-scheduler`,
      });
      try {
        await db.migrate();
      } catch (error) {
        await db.close().catch(() => {});
        throw error;
      }
      this.db = db;
    }
    return this.db;
  }

  async resetDatabase(): Promise<void> {
    const db = this.db;
    this.db = null;
    await db?.close().catch(() => {});
  }

  /**
   * One tick; `fastFollow: false` when the caller runs another on every wake-up anyway, `scope: 'reports'`
   * when it knows only task reports arrived since its last pass (see TickDeps).
   */
  async tick(options: { fastFollow?: boolean; scope?: TickScope } = {}): Promise<TickResult> {
    return runTick({
      ...options,
      db: await this.database(),
      dict: this.dict,
      spawner: this.spawner,
      clock: this.clock,
      config: this.config,
      volume: this.volume,
      owner: this.owner,
      logger: this.logger,
    });
  }

  /**
   * Nothing left to do right now: no run queued or running, no command waiting in the dict, no task report
   * waiting to be reconciled, and no task process of ours alive. Stops at the first thing it finds.
   */
  async idle(): Promise<boolean> {
    return (await this.pendingWork(1)).length === 0;
  }

  /** What is still to do, in words, up to `limit` reasons: all of them for a `--until-idle` that timed out. */
  async pendingWork(limit = Infinity): Promise<string[]> {
    const children = this.spawner.inFlight().length;
    const reasons = children > 0 ? [`${children} task processes of this scheduler still running`] : [];
    if (reasons.length >= limit) return reasons;
    return [...reasons, ...(await pendingWork(await this.database(), this.dict, new Date(), limit - reasons.length))];
  }

  async close(): Promise<void> {
    await this.spawner.close();
    await this.resetDatabase();
    await this.dict.close();
  }
}
