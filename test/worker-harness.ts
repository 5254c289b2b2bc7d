/**
 * Shared set-up for the task function tests: a temporary volume folder, an in-memory state dict that
 * records every write, payload builders and a dispatch helper that plays the tick's part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BashOperatorArgs, PythonOperatorArgs, TaskSpec } from '../src/dag/model.js';
import { taskIdentity, taskKey, type TaskPayload, type TaskRecord } from '../src/executor/protocol.js';
import type { VolumeMount } from '../src/providers/ports.js';
import { MemoryStateDict } from './fakes/ports.js';
import { task } from './helpers/dag-builder.js';

export const FIXTURES_DIR = path.join(import.meta.dirname, 'fixtures/python');
/** Python DAG files (the authoring package's `airflow`) for python_file tasks. */
export const PYTHON_DAGS_DIR = path.join(import.meta.dirname, 'fixtures/python-dags');

/** A MemoryStateDict that remembers the order of writes (and lets a test react to each one). */
export class RecordingDict extends MemoryStateDict {
  readonly puts: Array<{ key: string; value: TaskRecord }> = [];
  onPut: ((key: string, value: TaskRecord) => void) | null = null;

  override async put(key: string, value: unknown): Promise<void> {
    await super.put(key, value);
    const copy = JSON.parse(JSON.stringify(value)) as TaskRecord;
    this.puts.push({ key, value: copy });
    this.onPut?.(key, copy);
  }
}

/** The QUEUED record the tick writes for a payload before spawning it. */
export function queuedRecord(payload: TaskPayload, queuedAt: string): TaskRecord {
  return { ...taskIdentity(payload), status: 'QUEUED', token: payload.token, queued_at: queuedAt };
}

export interface Harness {
  root: string;
  dict: RecordingDict;
  volume: VolumeMount & { commits: number; onCommit: (() => void) | null; failCommit: boolean };
  tickRequests: number;
  requestTick: () => Promise<void>;
  /** Writes the QUEUED dispatch record, as the tick does before spawning. */
  dispatch(payload: TaskPayload, overrides?: Partial<TaskRecord>): Promise<void>;
  cleanup(): void;
}

export function createHarness(options: { withFixtures?: boolean; withPythonDags?: boolean } = {}): Harness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-test-'));
  fs.mkdirSync(path.join(root, 'dags'), { recursive: true });
  if (options.withFixtures) fs.cpSync(FIXTURES_DIR, path.join(root, 'dags'), { recursive: true });
  if (options.withPythonDags) fs.cpSync(PYTHON_DAGS_DIR, path.join(root, 'dags'), { recursive: true });
  const dict = new RecordingDict();
  const volume: Harness['volume'] = {
    root,
    commits: 0,
    onCommit: null,
    failCommit: false,
    async reload() {},
    async commit() {
      volume.onCommit?.();
      if (volume.failCommit) throw new Error('volume unavailable');
      volume.commits++;
    },
  };
  const harness: Harness = {
    root,
    dict,
    volume,
    tickRequests: 0,
    requestTick: async () => {
      harness.tickRequests++;
    },
    async dispatch(payload, overrides = {}) {
      await dict.put(payload.key, { ...queuedRecord(payload, '2024-01-02T00:00:01.000Z'), ...overrides });
      dict.puts.length = 0;
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
}

type TaskOverrides = Partial<Omit<TaskSpec, 'operator' | 'args'>>;

/** A task named `t` owned by data-team with two retries, unless the test says otherwise. */
function workerTask(operator: TaskSpec['operator'], args: Record<string, unknown>, overrides: TaskOverrides): TaskSpec {
  const { task_id = 't', upstream = [], ...options } = overrides;
  return task(task_id, upstream, { owner: 'data-team', retries: 2, ...options, operator, args });
}

export function bashTask(args: Partial<BashOperatorArgs>, overrides: TaskOverrides = {}): TaskSpec {
  return workerTask('bash', { bash_command: 'true', ...args }, overrides);
}

export function pythonTask(
  kind: 'python' | 'branch_python' | 'short_circuit',
  args: Partial<PythonOperatorArgs>,
  overrides: TaskOverrides = {},
): TaskSpec {
  return workerTask(kind, { python_callable_name: 'returns_none', ...args }, overrides);
}

/** A task of a Python DAG file: the runner finds it by id in the DAG file. */
export function pythonFileTask(taskId: string, kind = 'task', overrides: TaskOverrides = {}): TaskSpec {
  return workerTask('python_file', { kind }, { task_id: taskId, ...overrides });
}

export const RUN_ID = 'scheduled__2024-01-01T00:00:00+00:00';

export function makePayload(task: TaskSpec, overrides: Partial<Omit<TaskPayload, 'key'>> = {}): TaskPayload {
  const base: Omit<TaskPayload, 'key'> = {
    dag_id: 'd',
    task_id: task.task_id,
    run_id: RUN_ID,
    map_index: -1,
    try_number: 1,
    token: 'token-1',
    max_tries: task.retries,
    dag: {
      dag_id: 'd',
      fileloc: 'd.yaml',
      owners: ['data-team'],
      params: { x: 1, y: 'from-params' },
      tags: [],
      timezone: 'UTC',
      render_template_as_native_obj: false,
    },
    task,
    run: {
      run_id: RUN_ID,
      run_type: 'scheduled',
      logical_date: '2024-01-01T00:00:00.000Z',
      data_interval_start: '2024-01-01T00:00:00.000Z',
      data_interval_end: '2024-01-02T00:00:00.000Z',
      run_after: '2024-01-02T00:00:00.000Z',
      start_date: '2024-01-02T00:00:01.000Z',
      conf: { y: 'from-conf' },
    },
    timeout_seconds: 60,
    heartbeat_seconds: 30,
    ...overrides,
  };
  return { ...base, key: taskKey(base) };
}

/** True while a process with this pid runs (a zombie waiting for init to reap it is dead). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
