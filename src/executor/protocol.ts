/**
 * The state dict protocol (DESIGN.md "State dict protocol"): how the tick, task functions, the CLI and the
 * UI talk without sharing the database. Values carry their own identity because run ids contain `:`, so a
 * key is only ever built from its parts, never parsed back.
 *
 * Lifecycle of one try:
 *   tick:  putIfAbsent(taskKey, QUEUED{token})  -> spawn(payload)          (a try is spawned at most once)
 *   task:  putIfAbsent(claimKey, {call_id})     -> only the winner runs     (a try runs at most once)
 *          put(taskKey, RUNNING) ... heartbeats ... put(taskKey, SUCCESS|FAILED|SKIPPED); requestTick()
 *   tick:  reconcile the final record into the database, commit, then delete taskKey and claimKey.
 */
import type { DagSpec, TaskSpec } from '../dag/model.js';
import type { RunType } from '../model.js';

export type TaskStatus = 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'SKIPPED';

export interface TaskIdentity {
  dag_id: string;
  task_id: string;
  run_id: string;
  map_index: number;
  try_number: number;
}

/** Just the identity of a try, from anything that carries it (a task instance row, a payload, a record). */
export function taskIdentity(source: TaskIdentity): TaskIdentity {
  return {
    dag_id: source.dag_id,
    task_id: source.task_id,
    run_id: source.run_id,
    map_index: source.map_index,
    try_number: source.try_number,
  };
}

/** The value under `taskKey(...)`. */
export interface TaskRecord extends TaskIdentity {
  status: TaskStatus;
  /** Random per dispatch; a task function only acts on a record carrying its own token. */
  token: string;
  queued_at: string;
  call_id?: string;
  hostname?: string;
  pid?: number;
  started_at?: string;
  heartbeat_at?: string;
  ended_at?: string;
  exit_code?: number | null;
  /**
   * The operator's process group on `hostname` while it runs, and its leader's start time (Linux clock
   * ticks; guards against pid reuse): a zombie's group is ended by the tick before its retry goes out.
   */
  operator_pgid?: number;
  operator_start?: number;
  /** One-line summary of a failure; the whole log lives on the volume. */
  error?: string;
  /** True when the failure must not be retried (Airflow's AirflowFailException: bad callable, bad template...). */
  no_retry?: boolean;
  /** BranchPythonOperator: the direct downstream task ids to follow (others are skipped). */
  follow_task_ids?: string[];
  /** ShortCircuitOperator with a falsy result: which downstream tasks to skip. */
  short_circuit?: 'all_downstream' | 'direct_downstream';
}

/** The value under `claimKey(...)`, written with putIfAbsent by the task function that runs the try. */
export interface ClaimRecord {
  token: string;
  call_id: string | null;
  claimed_at: string;
}

/** Everything a task function needs; it never reads the metadata database. */
export interface TaskPayload extends TaskIdentity {
  key: string;
  token: string;
  max_tries: number;
  dag: Pick<DagSpec, 'dag_id' | 'fileloc' | 'owners' | 'params' | 'tags' | 'timezone' | 'render_template_as_native_obj'>;
  task: TaskSpec;
  run: {
    run_id: string;
    run_type: RunType;
    /** Null for Airflow 3 manual runs without a logical date. */
    logical_date: string | null;
    data_interval_start: string | null;
    data_interval_end: string | null;
    run_after: string;
    start_date: string | null;
    conf: Record<string, unknown>;
  };
  /** Seconds: min(task execution_timeout, executor.task_timeout). */
  timeout_seconds: number;
  /** Seconds between heartbeats. */
  heartbeat_seconds: number;
}

export type CommandKind = Command['kind'];

/** States `set_state` may give task instances (Airflow's PATCH taskInstances `new_state`, CLI `tasks set-state`). */
export const MARKABLE_TASK_STATES = ['success', 'failed', 'skipped'] as const;
export type MarkableTaskState = (typeof MARKABLE_TASK_STATES)[number];
/** States `set_state` may give a whole run (Airflow's PATCH dagRuns `state`). */
export const MARKABLE_RUN_STATES = ['success', 'failed', 'queued'] as const;
export type MarkableRunState = (typeof MARKABLE_RUN_STATES)[number];

/** The value under `cmd:{uuid}`: a write request from the CLI or UI, applied by the next tick. */
export type Command = { id: string; requested_at: string; by: 'cli' | 'ui' | 'rest_api' } & (
  | {
      kind: 'trigger';
      dag_id: string;
      run_id: string;
      conf: Record<string, unknown>;
      /** ISO instant, or null for a run without a logical date (Airflow 3). */
      logical_date: string | null;
      note?: string | null;
    }
  | { kind: 'pause' | 'unpause'; dag_id: string }
  | {
      kind: 'clear';
      dag_id: string;
      run_id: string;
      /** Null clears every task of the run. */
      task_ids: string[] | null;
      only_failed: boolean;
      /** Only tries queued or running now (Airflow's `only_running`); applied by the tick, like only_failed. */
      only_running?: boolean;
    }
  | {
      kind: 'set_state';
      dag_id: string;
      run_id: string;
      /** Null marks the run itself; otherwise these task instances. */
      task_ids: string[] | null;
      /** A task listed here is marked at this map index only (its other mapped instances are left alone). */
      map_indexes?: Record<string, number>;
      state: MarkableTaskState | MarkableRunState;
    }
  | {
      kind: 'backfill_create';
      dag_id: string;
      from_date: string;
      to_date: string;
      reprocess_behavior: 'none' | 'failed' | 'completed';
      max_active_runs: number;
      run_backwards: boolean;
      dag_run_conf: Record<string, unknown>;
      triggering_user_name?: string | null;
    }
  | { kind: 'backfill_cancel' | 'backfill_pause' | 'backfill_unpause'; dag_id: string; backfill_id: number }
);

/** The result recorded for a command under `cmdresult:{uuid}` (and in `command_log`). */
export interface CommandResult {
  id: string;
  ok: boolean;
  message: string;
  applied_at: string;
  /** What the command made, for the caller waiting on it (e.g. `backfill_id`); absent when replayed from command_log. */
  detail?: Record<string, unknown>;
}

export const KEY_PREFIX = {
  task: 'task:',
  claim: 'claim:',
  command: 'cmd:',
  commandResult: 'cmdresult:',
} as const;

function identitySuffix(id: TaskIdentity): string {
  return `${id.dag_id}:${id.task_id}:${id.run_id}:${id.map_index}:${id.try_number}`;
}

export const taskKey = (id: TaskIdentity): string => KEY_PREFIX.task + identitySuffix(id);
/** The prefix of every `taskKey` of one DAG (task_id comes before run_id, so no narrower prefix exists). */
export const dagTaskKeyPrefix = (dagId: string): string => `${KEY_PREFIX.task}${dagId}:`;
export const claimKey = (id: TaskIdentity): string => KEY_PREFIX.claim + identitySuffix(id);
export const commandKey = (id: string): string => KEY_PREFIX.command + id;
export const commandResultKey = (id: string): string => KEY_PREFIX.commandResult + id;
export const TICK_REQUESTED_KEY = 'tick:requested';
export const SCHEDULER_LOCK_KEY = 'lock:scheduler';
export const uiSessionKey = (session: string): string => `ui:${session}`;

export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set(['SUCCESS', 'FAILED', 'SKIPPED']);
