/**
 * Shared set-up for the task function tests: a temporary volume folder, an in-memory state dict that
 * records every write, payload builders and a dispatch helper that plays the tick's part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BashOperatorArgs, PythonOperatorArgs, TaskSpec } from '../src/dag/model.js';
import { taskKey, type TaskPayload, type TaskRecord } from '../src/executor/protocol.js';
import type { VolumeMount } from '../src/providers/ports.js';
import { MemoryStateDict } from './fakes/ports.js';

export const FIXTURES_DIR = path.join(import.meta.dirname, 'fixtures/python');

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

export function createHarness(options: { withFixtures?: boolean } = {}): Harness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-test-'));
  fs.mkdirSync(path.join(root, 'dags'), { recursive: true });
  if (options.withFixtures) fs.cpSync(FIXTURES_DIR, path.join(root, 'dags'), { recursive: true });
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
      const record: TaskRecord = {
        dag_id: payload.dag_id,
        task_id: payload.task_id,
        run_id: payload.run_id,
        map_index: payload.map_index,
        try_number: payload.try_number,
        status: 'QUEUED',
        token: payload.token,
        queued_at: '2024-01-02T00:00:01.000Z',
        ...overrides,
      };
      await dict.put(payload.key, record);
      dict.puts.length = 0;
    },
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
}

type Common = Omit<TaskSpec, 'operator' | 'args'>;

function common(taskId: string, operatorClass: string, overrides: Partial<Common>): Common {
  return {
    task_id: taskId,
    operator_class: operatorClass,
    upstream: [],
    trigger_rule: 'all_success',
    owner: 'data-team',
    retries: 2,
    retry_delay: 300,
    retry_exponential_backoff: 0,
    max_retry_delay: null,
    execution_timeout: null,
    depends_on_past: false,
    task_group_id: null,
    params: {},
    doc_md: null,
    ...overrides,
  };
}

export function bashTask(args: Partial<BashOperatorArgs>, overrides: Partial<Common> = {}): TaskSpec {
  return {
    ...common('t', 'airflow.providers.standard.operators.bash.BashOperator', overrides),
    operator: 'bash',
    args: { bash_command: 'true', env: null, append_env: false, cwd: null, skip_on_exit_code: [99], do_xcom_push: true, ...args },
  };
}

export function pythonTask(
  kind: 'python' | 'branch_python' | 'short_circuit',
  args: Partial<PythonOperatorArgs>,
  overrides: Partial<Common> = {},
): TaskSpec {
  return {
    ...common('t', 'airflow.providers.standard.operators.python.PythonOperator', overrides),
    operator: kind,
    args: {
      python_callable_file: 'callables.py',
      python_callable_name: 'returns_none',
      op_args: [],
      op_kwargs: {},
      templates_dict: null,
      do_xcom_push: true,
      ignore_downstream_trigger_rules: true,
      ...args,
    },
  };
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
