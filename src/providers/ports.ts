/**
 * Ports: the only ways core code (scheduler, executor, worker) reaches the outside world. The local
 * provider implements them with a folder, an SQLite key-value file and child processes; the modal
 * provider with Modal's Volume, Dict and Functions. Fakes for tests live in test/fakes.
 */
import type { Config } from '../config/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import type { TaskPayload, TaskRecord } from '../executor/protocol.js';

/** The environment's key-value store. Values are JSON-serialisable; keys are built, never parsed. */
export interface StateDict {
  get<T = unknown>(key: string): Promise<T | undefined>;
  getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>>;
  put(key: string, value: unknown): Promise<void>;
  /** Atomic: writes and returns true only if the key did not exist. */
  putIfAbsent(key: string, value: unknown): Promise<boolean>;
  /** True if the key existed. */
  delete(key: string): Promise<boolean>;
  /** Every entry whose key starts with `prefix`, in key order. */
  entries<T = unknown>(prefix: string): Promise<Array<[string, T]>>;
  close?(): Promise<void>;
}

export interface TaskSpawner {
  /** Starts one task function for one try; returns the provider's call id. */
  spawn(payload: TaskPayload): Promise<string>;
  cancel(callId: string): Promise<void>;
  /**
   * Ends what is left of a try declared dead (a zombie), from its last dispatch record, before its retry
   * can go out: locally the operator's recorded process group. Providers whose `cancel` already ends the
   * whole call (Modal: the container goes) need not implement it.
   */
  endTry?(record: TaskRecord): Promise<void>;
  /** Fast-follow: ask for a tick as soon as possible (the running loop wakes, or a tick is started). */
  requestTick(): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface VolumeEntry {
  /** Path relative to the volume root, `/`-separated. */
  path: string;
  type: 'file' | 'directory';
  size: number;
  mtime: Date;
}

/** The volume as the CLI sees it from outside the environment. */
export interface VolumeClient {
  put(path: string, data: Uint8Array): Promise<void>;
  get(path: string): Promise<Uint8Array | undefined>;
  list(prefix: string): Promise<VolumeEntry[]>;
  remove(path: string): Promise<boolean>;
  commit(): Promise<void>;
}

/** The volume as code running inside the environment sees it: a mounted folder. */
export interface VolumeMount {
  readonly root: string;
  /** See other writers' committed changes (Modal `reload`); a no-op locally. */
  reload(): Promise<void>;
  /** Publish this container's changes (Modal `commit`); a no-op locally. */
  commit(): Promise<void>;
}

/**
 * Progress feedback for long work (create, deploy, upload, backfill, cleanup). Where it goes is the
 * caller's choice (src/service/progress.ts): a terminal shows it, a pipe or `--json` gets nothing.
 */
export interface Progress {
  /** One step done or starting ("creating the state dict"). */
  step(message: string): void;
  /**
   * Item number `done` of `total` of one piece of work (`uploading`, 3, 40, `callables/x.py`: the third
   * file is being uploaded); a terminal redraws one line and ends it at `done === total`. Optional for implementers: call it through `countProgress` (service/progress.ts),
   * which falls back to `step`.
   */
  count?(label: string, done: number, total: number, item?: string): void;
}

/**
 * One environment on one provider, as the CLI sees it. `local` and `modal` implement the same shape; the
 * CLI and UI never know which one they hold.
 */
export interface Provider {
  readonly name: 'local' | 'modal';
  readonly env: string;
  exists(): Promise<boolean>;
  /** Creates the environment, or updates it in place when it exists. */
  create(config: Config, progress: Progress): Promise<void>;
  destroy(options: { deleteData: boolean }, progress: Progress): Promise<void>;
  volume(): VolumeClient;
  stateDict(): Promise<StateDict>;
  spawner(): TaskSpawner;
  /**
   * The metadata database opened for reading (the CLI and UI never write it: the tick is its only writer).
   * Null while there is none yet. SQLite on a remote volume is a consistent downloaded copy, removed on close.
   */
  openReadOnlyDatabase(): Promise<DatabaseBackend | null>;
}
