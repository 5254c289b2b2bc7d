/**
 * A task's environment holds no secret of the scheduler: only its own `env`, AIRFLOW_CTX_* and what runs
 * programs on the host (task-environment.ts). Checked on the filter, on the operators (which on Modal run
 * under a process holding the token and the database URL), and end to end with a real scheduler.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParseWorker } from '../src/parse/parse-worker.js';
import { isInheritedByTasks, taskBaseEnvironment } from '../src/task-environment.js';
import { readXcom, runTaskFunction } from '../src/worker/index.js';
import { CliSandbox } from './helpers/cli.js';
import { RUN_ID, bashTask, createHarness, makePayload, pythonFileTask, pythonTask, type Harness } from './worker-harness.js';

const SECRETS = {
  AIRFLOW_SERVERLESS_DATABASE_URL: 'postgres://airflow:db-password-1@db.internal/airflow',
  MY_PG_URL: 'postgres://airflow:db-password-2@db.internal/airflow',
  MODAL_TOKEN_ID: 'ak-token-id-3',
  MODAL_TOKEN_SECRET: 'as-token-secret-4',
  UNRELATED_SCHEDULER_VARIABLE: 'unrelated-5',
};
const SECRET_VALUES = Object.values(SECRETS);

describe('taskBaseEnvironment', () => {
  it('keeps what runs programs on the host and drops everything else by name', () => {
    const env = taskBaseEnvironment({ PATH: '/bin', HOME: '/root', LANG: 'C.UTF-8', LC_ALL: 'C', TMPDIR: '/t', VIRTUAL_ENV: '/v', ...SECRETS });
    expect(env).toEqual({ PATH: '/bin', HOME: '/root', LANG: 'C.UTF-8', LC_ALL: 'C', TMPDIR: '/t', VIRTUAL_ENV: '/v' });
    for (const name of Object.keys(SECRETS)) expect(isInheritedByTasks(name), name).toBe(false);
  });
});

describe('operators inherit no secret of the process running them', () => {
  let harness: Harness;
  beforeEach(() => {
    Object.assign(process.env, SECRETS);
    harness = createHarness({ withFixtures: true });
  });
  afterEach(() => {
    for (const name of Object.keys(SECRETS)) delete process.env[name];
    harness.cleanup();
  });

  async function output(task: ReturnType<typeof bashTask>, overrides: Parameters<typeof makePayload>[1] = {}): Promise<unknown> {
    const payload = makePayload(task, overrides);
    await harness.dispatch(payload);
    const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, requestTick: harness.requestTick, callId: 'c' });
    expect(final?.status, final?.error).toBe('SUCCESS');
    return readXcom(harness.root, { dag_id: 'd', run_id: RUN_ID, task_id: task.task_id, map_index: -1 }, 'return_value')?.value;
  }

  it('bash with env null (inherit) and with append_env', async () => {
    // One line: every variable name, then the secrets' values if any leaked.
    const command = `echo "$(env | cut -d= -f1 | sort | tr '\\n' ' ')"`;
    const inherited = String(await output(bashTask({ bash_command: command }, { task_id: 'inherit' })));
    const appended = String(await output(bashTask({ bash_command: command, env: { OWN: 'x' }, append_env: true }, { task_id: 'append' })));
    for (const names of [inherited, appended]) {
      for (const name of Object.keys(SECRETS)) expect(names.split(' ')).not.toContain(name);
      expect(names.split(' ')).toEqual(expect.arrayContaining(['PATH', 'HOME', 'AIRFLOW_CTX_DAG_ID']));
    }
    expect(appended.split(' ')).toContain('OWN');
  });

  it('python callables', async () => {
    const value = await output(pythonTask('python', { python_callable_name: 'environment_names', python_callable_file: 'callables.py' }, { task_id: 'py' }));
    const names = value as string[];
    for (const name of Object.keys(SECRETS)) expect(names).not.toContain(name);
    expect(names).toEqual(expect.arrayContaining(['PATH', 'AIRFLOW_CTX_TASK_ID']));
  });

  // A Python DAG file's tasks run in the Python task runner; its BashOperator inherits the runner's environment.
  const ENV_DAG = `import os
from datetime import datetime
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

with DAG("d", schedule=None, start_date=datetime(2024, 1, 1)):
    @task
    def names():
        return sorted(os.environ)

    names()
    BashOperator(task_id="bash", bash_command="echo $(env | cut -d= -f1 | sort | tr '\\n' ' ')")
`;

  it('Python DAG file tasks: @task and the task runner\'s BashOperator', async () => {
    fs.writeFileSync(path.join(harness.root, 'dags', 'env_dag.py'), ENV_DAG);
    const dag = { ...makePayload(pythonFileTask('names')).dag, fileloc: 'env_dag.py' };
    const fromTask = (await output(pythonFileTask('names'), { dag })) as string[];
    const fromBash = String(await output(pythonFileTask('bash', 'bash'), { dag })).split(' ');
    for (const names of [fromTask, fromBash]) {
      for (const name of Object.keys(SECRETS)) expect(names).not.toContain(name);
      expect(names).toEqual(expect.arrayContaining(['PATH', 'AIRFLOW_CTX_DAG_ID', 'AIRFLOW_CTX_TASK_ID']));
    }
  });

  it("the parse worker: a DAG file's top-level code sees none of the scheduler's secrets", async () => {
    fs.writeFileSync(
      path.join(harness.root, 'dags', 'parse_env.py'),
      `import os
from datetime import datetime
from airflow.sdk import DAG

dag = DAG("parse_env", schedule=None, start_date=datetime(2024, 1, 1), description=" ".join(sorted(os.environ)))
`,
    );
    const worker = new ParseWorker({ dagsDir: path.join(harness.root, 'dags'), timeoutSeconds: 30 });
    try {
      const answer = await worker.parse('parse_env.py');
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
      const description = String((answer as { dags: Array<{ description?: unknown }> }).dags[0]?.description).split(' ');
      for (const name of Object.keys(SECRETS)) expect(description).not.toContain(name);
      expect(description).toContain('PATH');
    } finally {
      await worker.close();
    }
  });
});

describe('end to end', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('a task printing its environment under a scheduler holding secrets prints none of them', async () => {
    await sandbox.ok(['create', '--env', 'sec', '--config', sandbox.writeConfig()]);
    const manifest = sandbox.writeFile(
      'dags/env.yaml',
      `print_env:
  schedule: null
  start_date: 2025-01-01
  tasks:
    cold:
      operator: BashOperator
      bash_command: env
`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'sec', '--file', manifest]);
    const runId = (await sandbox.ok(['dags', 'trigger', '--env', 'sec', '--dag-id', 'print_env'])).stdout.trim();
    await sandbox.ok(['scheduler', '--env', 'sec', '--until-idle', '--timeout', '60'], { env: SECRETS });
    const log = (await sandbox.ok(['tasks', 'logs', '--env', 'sec', '--dag-id', 'print_env', '--run-id', runId, '--task-id', 'cold'])).stdout;
    expect(log).toContain('AIRFLOW_CTX_DAG_ID=print_env');
    expect(log).toMatch(/^PATH=/m);
    for (const value of SECRET_VALUES) expect(log).not.toContain(value);
  });
});
