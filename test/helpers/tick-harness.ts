/**
 * A tick with fakes around a real database: ManualClock, MemoryStateDict, RecordingSpawner, a temp volume
 * folder and the default config. Tests play the task function by hand (`report`), writing the records a real
 * task function would write.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/model.js';
import type { DagSpec } from '../../src/dag/model.js';
import type { Logger } from '../../src/logger.js';
import type { DatabaseBackend } from '../../src/db/backend.js';
import { getDagRun, listDagRuns } from '../../src/db/queries/dag-runs.js';
import type { DagRunRow } from '../../src/db/queries/dag-runs.js';
import { listTaskInstancesForRun } from '../../src/db/queries/task-instances.js';
import type { TaskInstanceRow } from '../../src/db/queries/task-instances.js';
import { claimKey, commandKey, taskIdentity, taskKey } from '../../src/executor/protocol.js';
import type { Command, TaskPayload, TaskRecord, TaskStatus } from '../../src/executor/protocol.js';
import type { VolumeMount } from '../../src/providers/ports.js';
import { registerDag } from '../../src/scheduler/register-dag.js';
import { runTick } from '../../src/scheduler/tick.js';
import type { TickResult, TickScope } from '../../src/scheduler/tick.js';
import { ManualClock, MemoryStateDict, RecordingSpawner } from '../fakes/ports.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type CommandInput = DistributiveOmit<Command, 'requested_at' | 'by'> & Partial<Pick<Command, 'requested_at' | 'by'>>;

export type ConfigOverrides = { [S in keyof Config]?: Partial<Config[S]> };

export function testConfig(overrides: ConfigOverrides = {}): Config {
  const config = defaultConfig();
  for (const [section, values] of Object.entries(overrides)) {
    Object.assign((config as unknown as Record<string, object>)[section]!, values);
  }
  return config;
}

export class TempVolume implements VolumeMount {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'as-tick-vol-'));
  reloads = 0;
  commits = 0;
  constructor() {
    fs.mkdirSync(path.join(this.root, 'dags'), { recursive: true });
  }
  async reload(): Promise<void> {
    this.reloads++;
  }
  async commit(): Promise<void> {
    this.commits++;
  }
  write(relative: string, text: string): void {
    const file = path.join(this.root, 'dags', relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  remove(relative: string): void {
    fs.rmSync(path.join(this.root, 'dags', relative));
  }
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export interface ReportOptions {
  hostname?: string;
  pid?: number;
  heartbeat_at?: string;
  error?: string;
  no_retry?: boolean;
  follow_task_ids?: string[];
  short_circuit?: TaskRecord['short_circuit'];
}

export class TickHarness {
  readonly clock: ManualClock;
  readonly dict = new MemoryStateDict();
  readonly spawner = new RecordingSpawner();
  readonly volume = new TempVolume();
  config: Config;

  constructor(
    readonly db: DatabaseBackend,
    options: { now?: string; config?: ConfigOverrides } = {},
  ) {
    this.clock = new ManualClock(options.now ?? '2024-01-10T12:00:00Z');
    this.config = testConfig(options.config);
  }

  /** One tick; pass another backend on the same database to play a second process. */
  /** Where the tick logs; tests that assert on log lines set it. */
  logger: Logger | undefined;

  /** `scope: 'reports'` plays the local loop's narrow pass (a warm worker's try finished). */
  tick(owner = 'test-owner', db: DatabaseBackend = this.db, options: { scope?: TickScope } = {}): Promise<TickResult> {
    return runTick({
      ...options,
      db,
      dict: this.dict,
      spawner: this.spawner,
      clock: this.clock,
      config: this.config,
      volume: this.volume,
      owner,
      ...(this.logger ? { logger: this.logger } : {}),
    });
  }

  /** Registers a DAG as a good parse would (no manifest file; the sync leaves such DAGs alone). */
  async addDag(spec: DagSpec, options: { paused?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction((tx) => registerDag(tx, spec, this.config, now, { paused: options.paused ?? false, scheduled: true }));
  }

  async command(command: CommandInput): Promise<void> {
    await this.dict.put(commandKey(command.id), { requested_at: this.clock.now().toISOString(), by: 'cli', ...command });
  }

  async trigger(dagId: string, runId: string, extra: { conf?: Record<string, unknown>; logical_date?: string | null } = {}): Promise<void> {
    await this.command({ id: `trigger-${dagId}-${runId}`, kind: 'trigger', dag_id: dagId, run_id: runId, conf: extra.conf ?? {}, logical_date: extra.logical_date ?? null });
  }

  runs(dagId: string): Promise<DagRunRow[]> {
    return listDagRuns(this.db, { dagId });
  }

  run(dagId: string, runId: string): Promise<DagRunRow | undefined> {
    return getDagRun(this.db, dagId, runId);
  }

  async tis(dagId: string, runId: string): Promise<Record<string, TaskInstanceRow>> {
    return Object.fromEntries((await listTaskInstancesForRun(this.db, dagId, runId)).map((ti) => [ti.task_id, ti]));
  }

  async states(dagId: string, runId: string): Promise<Record<string, string | null>> {
    const tis = await this.tis(dagId, runId);
    return Object.fromEntries(Object.entries(tis).map(([id, ti]) => [id, ti.state]));
  }

  /** The spawned payloads not yet reported on, optionally only one task's. */
  pending(taskId?: string): TaskPayload[] {
    return this.spawner.spawned.filter((p) => (taskId === undefined || p.task_id === taskId) && this.dict.data.has(p.key) && this.recordStatus(p) === 'QUEUED');
  }

  private recordStatus(p: TaskPayload): TaskStatus | undefined {
    const raw = this.dict.data.get(p.key);
    return raw === undefined ? undefined : (JSON.parse(raw) as TaskRecord).status;
  }

  /** Plays the task function: claims the try and writes a record with `status`. */
  async report(payload: TaskPayload, status: TaskStatus, options: ReportOptions = {}): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.dict.putIfAbsent(claimKey(payload), { token: payload.token, call_id: null, claimed_at: now });
    const record: TaskRecord = {
      ...taskIdentity(payload),
      status,
      token: payload.token,
      queued_at: now,
      started_at: now,
      heartbeat_at: options.heartbeat_at ?? now,
      hostname: options.hostname ?? 'worker-1',
      pid: options.pid ?? 4242,
      ...(status === 'RUNNING' ? {} : { ended_at: now, exit_code: status === 'FAILED' ? 1 : 0 }),
      ...(options.error ? { error: options.error } : {}),
      ...(options.no_retry ? { no_retry: true } : {}),
      ...(options.follow_task_ids ? { follow_task_ids: options.follow_task_ids } : {}),
      ...(options.short_circuit ? { short_circuit: options.short_circuit } : {}),
    };
    await this.dict.put(taskKey(payload), record);
  }

  /** Reports SUCCESS for every pending try (optionally of one task). Returns how many. */
  async succeedAll(taskId?: string): Promise<number> {
    const pending = this.pending(taskId);
    for (const p of pending) await this.report(p, 'SUCCESS');
    return pending.length;
  }

  dispose(): void {
    this.volume.dispose();
  }
}
