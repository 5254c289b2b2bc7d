/**
 * What every step of one tick shares: the ports, the pass's single `now` (read once, so every step agrees on
 * what is due; a full pass moves it on once, after parsing DAG files, see `advanceNow`), a cache of parsed
 * DAGs, and the lease guard each step calls before it writes.
 *
 * Parsed DAGs also outlive the pass: a long-lived scheduler loop would otherwise re-read and re-parse a
 * 1,000-task spec on every pass. They are kept per database object (a test's fresh database never sees
 * another's) and per `dag_hash`, which each pass reads (a short string) to know its copy is current.
 */
import type { Config } from '../config/model.js';
import type { DagSpec } from '../dag/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { getSerializedDagHash } from '../db/queries/serialized-dag-hash.js';
import { getSerializedDag } from '../db/queries/serialized-dags.js';
import type { DispatchQueue } from '../executor/dispatch-queue.js';
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
  /**
   * Runs whose task instance rows this process checked against this very spec (readiness's integrity
   * check), with the row count it saw: while the spec and the count stay the same, the rows still match.
   */
  readonly verifiedRuns: Map<string, number>;
  /** Per run (`runKey`), its scheduled tries in dispatch order, kept between passes (see DispatchQueue). */
  readonly dispatchQueues: Map<string, DispatchQueue>;
}

/** Parsed DAGs by database, then DAG id; each entry is the parse of one `dag_hash`. */
const parsedDags = new WeakMap<DatabaseBackend, Map<string, { hash: string; loaded: LoadedDag }>>();

async function loadCurrentDag(db: DatabaseBackend, dagId: string): Promise<LoadedDag | undefined> {
  let byDag = parsedDags.get(db);
  if (!byDag) parsedDags.set(db, (byDag = new Map()));
  const hash = await getSerializedDagHash(db, dagId);
  const kept = byDag.get(dagId);
  if (hash === undefined) {
    byDag.delete(dagId);
    return undefined;
  }
  if (kept?.hash === hash) return kept.loaded;
  const row = await getSerializedDag(db, dagId);
  if (!row) return undefined;
  const spec = JSON.parse(row.data) as DagSpec;
  const loaded: LoadedDag = { spec, graph: graphOf(spec), verifiedRuns: new Map(), dispatchQueues: new Map() };
  byDag.set(dagId, { hash: row.dag_hash, loaded });
  return loaded;
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
  /**
   * Moves the pass's instant on, once, after the DAG files are parsed: parsing a big file takes a while,
   * and what the pass does next (starting runs, queueing tries) happens after it and is stamped so.
   */
  advanceNow(now: Date): void;
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
  let now = args.now;
  let nowIso = now.toISOString();
  return {
    db: args.db,
    dict: args.dict,
    spawner: args.spawner,
    config: args.config,
    logger: args.logger,
    ensureLease: args.ensureLease,
    get now() {
      return now;
    },
    get nowIso() {
      return nowIso;
    },
    advanceNow(next) {
      if (next.getTime() <= now.getTime()) return;
      now = next;
      nowIso = next.toISOString();
    },
    async loadDag(dagId) {
      if (!cache.has(dagId)) {
        cache.set(dagId, await loadCurrentDag(args.db, dagId));
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
