/**
 * What every step of one tick shares: the ports, the pass's single `now` (read once, so every step agrees on
 * what is due), a cache of parsed DAGs, and the lease guard each step calls before it writes.
 */
import type { Config } from '../config/model.js';
import type { DagSpec } from '../dag/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import type { Logger } from '../logger.js';
import type { StateDict, TaskSpawner } from '../providers/ports.js';
import { graphOf } from './dag-graph.js';
import type { DagGraph } from './dag-graph.js';

export const SCHEDULER_LOCK = 'scheduler';

/** The tick lost its lease (expired, or another owner took it): it stops before writing anything more. */
export class LeaseLostError extends Error {
  constructor(message = 'the scheduler lease was lost; stopping this tick before it writes', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LeaseLostError';
  }
}

export interface LoadedDag {
  spec: DagSpec;
  graph: DagGraph;
}

export interface TickContext {
  readonly db: DatabaseBackend;
  readonly dict: StateDict;
  readonly spawner: TaskSpawner;
  readonly config: Config;
  readonly logger: Logger;
  /** The instant this pass works at. */
  readonly now: Date;
  /** `now` as stored in the database. */
  readonly nowIso: string;
  /** Throws LeaseLostError unless this tick still holds the scheduler lease. */
  ensureLease(): Promise<void>;
  /** The last good parse of a DAG (from `serialized_dag`), memoised for the pass. */
  loadDag(dagId: string): Promise<LoadedDag | undefined>;
  /** Forget a memoised DAG (after the manifest sync rewrote it). */
  forgetDag(dagId: string): void;
  /**
   * Queues a state dict change that may only happen once this pass's database changes are durable: after
   * the last transaction AND the volume commit (on Modal the SQLite file is only durable then). Deleting a
   * report, publishing a command result. Run in order by `flushAfterCommit`.
   */
  afterCommit(action: () => Promise<void>): void;
  flushAfterCommit(): Promise<void>;
}

export function createTickContext(args: {
  db: DatabaseBackend;
  dict: StateDict;
  spawner: TaskSpawner;
  config: Config;
  logger: Logger;
  now: Date;
  ensureLease: () => Promise<void>;
}): TickContext {
  const cache = new Map<string, LoadedDag | undefined>();
  const pending: Array<() => Promise<void>> = [];
  return {
    ...args,
    nowIso: args.now.toISOString(),
    async loadDag(dagId) {
      if (!cache.has(dagId)) {
        const spec = await loadDagSpec(args.db, dagId);
        cache.set(dagId, spec ? { spec, graph: graphOf(spec) } : undefined);
      }
      return cache.get(dagId);
    },
    forgetDag(dagId) {
      cache.delete(dagId);
    },
    afterCommit(action) {
      pending.push(action);
    },
    async flushAfterCommit() {
      for (const action of pending.splice(0)) await action();
    },
  };
}
