/**
 * No id can leave its folder: every path built from an id goes through pathSegment (volume-layout.ts),
 * Python's runner follows the same rule, and ids are Airflow's `^[\w.-]+$` with Python's Unicode `\w`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idProblem } from '../src/dag/fields.js';
import { PYTHON_PACKAGE_DIR, pythonExecutable } from '../src/python-package.js';
import { readXcom, runTaskFunction, volumeXcomReader, writeXcom } from '../src/worker/index.js';
import { latestPriorXcom } from '../src/worker/xcom.js';
import { dagFilePath, idOfPathSegment, logPath, pathSegment, xcomDir, xcomPath } from '../src/volume-layout.js';
import type { TaskInstanceJson } from '../src/service/shapes.js';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';
import { bashTask, createHarness, makePayload, type Harness } from './worker-harness.js';

const HOSTILE = ['.', '..', '', 'a/b', '../x', '../../etc', 'x\0y', '%2E%2E', 'données_quotidiennes', 'a%2Fb', '100%'];

describe('pathSegment', () => {
  it('gives every id exactly one segment that is never empty, "." or ".."', () => {
    for (const id of HOSTILE) {
      const segment = pathSegment(id);
      expect(segment, JSON.stringify(id)).not.toMatch(/^\.{0,2}$/);
      expect(segment).not.toContain('/');
      expect(segment).not.toContain('\0');
    }
    expect(pathSegment('données_quotidiennes')).toBe('données_quotidiennes');
    expect(pathSegment('manual__2024-01-01T00:00:00+00:00')).toBe('manual__2024-01-01T00:00:00+00:00');
  });

  it('keeps log and XCom paths of any ids inside their folders', () => {
    for (const dag_id of HOSTILE) {
      for (const run_id of HOSTILE) {
        const id = { dag_id, run_id, task_id: dag_id, map_index: -1, try_number: 1 };
        for (const [relative, folder] of [[logPath(id), 'logs'], [xcomDir(id), 'xcom'], [xcomPath(id, run_id), 'xcom']] as const) {
          const resolved = path.posix.normalize(relative);
          expect(resolved.startsWith(`${folder}/`), relative).toBe(true);
          // As many segments after normalising as were built: none was `..` or `.`.
          expect(resolved.split('/').length, relative).toBe(relative.split('/').length);
        }
      }
    }
  });

  it("is the rule of the Python runtime's XCom paths: both sides build the same path for any ids", () => {
    // The Python task runner writes and reads the same files as the TS worker and the API.
    const cases = HOSTILE.flatMap((dag_id) => HOSTILE.map((run_id) => ({ dag_id, run_id, task_id: run_id, map_index: -1, key: dag_id || 'k' })));
    cases.push({ dag_id: 'd', run_id: 'r', task_id: '..', map_index: 3, key: '..' });
    const script = [
      'import json, sys',
      'from airflow_serverless.runtime.xcom import path_segment, xcom_path',
      'cases = json.loads(sys.stdin.read())',
      'print(json.dumps({"segments": [path_segment(c["dag_id"]) for c in cases],',
      '  "paths": [xcom_path("/vol", c["dag_id"], c["run_id"], c["task_id"], c["map_index"], c["key"]) for c in cases]}))',
    ].join('\n');
    const out = execFileSync(pythonExecutable(), ['-c', script], { cwd: PYTHON_PACKAGE_DIR, input: JSON.stringify(cases), encoding: 'utf8' });
    const python = JSON.parse(out) as { segments: string[]; paths: string[] };
    expect(python.segments).toEqual(cases.map((c) => pathSegment(c.dag_id)));
    expect(python.paths).toEqual(cases.map((c) => `/vol/${xcomPath(c, c.key)}`));
  });

  it('lists a folder back as an id that finds the same folder', () => {
    for (const id of HOSTILE) expect(pathSegment(idOfPathSegment(pathSegment(id))), JSON.stringify(id)).toBe(pathSegment(id));
    expect(idOfPathSegment('%2E%2E')).toBe('..');
    expect(idOfPathSegment('a%2Fb')).toBe('a/b');
    // An id that already holds an escape keeps its own folder: no two ids share one.
    expect(pathSegment('a%2Fb')).toBe('a%252Fb');
    expect(pathSegment('a%2Fb')).not.toBe(pathSegment('a/b'));
    expect(idOfPathSegment(pathSegment('a%2Fb'))).toBe('a%2Fb');
    expect(idOfPathSegment(pathSegment('100%'))).toBe('100%');
  });

  it("include_prior_dates finds earlier runs whatever their ids, as the Python runtime's does", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-ids-'));
    try {
      const source = { dag_id: 'd', run_id: 'now', task_id: 't', map_index: -1 };
      writeXcom(root, { ...source, run_id: 'a/..' }, 'k', 'from a slashed run', new Date(), '2024-01-01T00:00:00.000Z');
      writeXcom(root, { ...source, run_id: '..' }, 'k', 'from a dotdot run', new Date(), '2024-01-02T00:00:00.000Z');
      const reader = volumeXcomReader(root);
      expect(reader.runsOf?.('d').sort()).toEqual(['..', 'a/..']);
      expect(latestPriorXcom(reader, source, 'k', '2024-01-03T00:00:00.000Z')).toMatchObject({ run_id: '..', value: 'from a dotdot run' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('dagFilePath refuses paths outside dags/', () => {
    expect(dagFilePath('sub/./etl.yaml')).toBe('dags/sub/etl.yaml');
    for (const bad of ['..', '../x.yaml', 'a/../../x', '/etc/passwd', '.']) expect(() => dagFilePath(bad), bad).toThrow(/outside dags/);
  });
});

describe('ids', () => {
  it("accept Unicode letters and digits like Airflow's \\w, and refuse '.' and '..'", () => {
    for (const id of ['données_quotidiennes', 'über-etl.v2', '数据_1', 'x']) expect(idProblem('dag_id', id), id).toBeNull();
    expect(idProblem('dag_id', '..')).toMatch(/'\.' and '\.\.' name folders/);
    expect(idProblem('task_id', '.')).toMatch(/'\.' and '\.\.' name folders/);
    for (const id of ['a b', 'a/b', 'é\u0301', 'a\0']) expect(idProblem('dag_id', id), id).not.toBeNull();
  });
});

describe('a task whose ids are all ".."', () => {
  let harness: Harness;
  afterEach(() => harness.cleanup());

  it('writes its log and XCom inside logs/ and xcom/, and deletes no file outside them', async () => {
    harness = createHarness();
    // An unrelated JSON file on the volume, where `xcom/../..` used to land; and the volume's parent.
    const bystander = path.join(harness.root, 'return_value.json');
    fs.writeFileSync(bystander, '{"mine": true}');
    const base = makePayload(bashTask({ bash_command: 'echo pushed' }, { task_id: '..' }));
    const payload = makePayload(base.task, { dag_id: '..', run_id: '..', dag: { ...base.dag, dag_id: '..' } });
    await harness.dispatch(payload);
    const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, requestTick: harness.requestTick, callId: 'c' });
    expect(final?.status, final?.error).toBe('SUCCESS');
    expect(fs.readFileSync(bystander, 'utf8')).toBe('{"mine": true}');
    expect(readXcom(harness.root, payload, 'return_value')?.value).toBe('pushed');
    expect(fs.existsSync(path.join(harness.root, 'xcom', '%2E%2E', '%2E%2E', '%2E%2E', 'return_value.json'))).toBe(true);
    expect(fs.existsSync(path.join(harness.root, 'logs', 'dag_id=%2E%2E', 'run_id=%2E%2E', 'task_id=%2E%2E', 'attempt=1.log'))).toBe(true);
    expect(fs.readdirSync(harness.root).sort()).toEqual(['dags', 'logs', 'return_value.json', 'xcom']);
  });
});

describe('ids of a Python DAG file, through the CLI and the real parse worker', () => {
  let sandbox: CliSandbox;
  afterEach(() => sandbox.cleanup());

  it("refuses a '..' task id at upload with file:line, and runs a Unicode DAG id with its paths inside their folders", async () => {
    sandbox = new CliSandbox();
    await sandbox.ok(['create', '--env', 'ids', '--config', sandbox.writeConfig()]);
    const volume = path.join(sandbox.envRoot('ids'), 'vol');
    const header = 'from datetime import datetime\nfrom airflow.sdk import DAG, task\nfrom airflow.providers.standard.operators.bash import BashOperator\n\n';
    const dotdot = sandbox.writeFile('proj/dotdot.py', `${header}with DAG("escape", schedule=None, start_date=datetime(2024, 1, 1)):\n    BashOperator(task_id="..", bash_command="echo hi")\n`);
    const refused = await sandbox.run(['dags', 'create', '--env', 'ids', '--file', dotdot]);
    expectOneLineError(refused, /dotdot\.py:6: .*task_id '\.\.' is not usable: '\.' and '\.\.' name folders/);
    expect(fs.existsSync(path.join(volume, 'dags/dotdot.py'))).toBe(false);

    const unicode = sandbox.writeFile(
      'proj/quotidien.py',
      `${header}with DAG("données_quotidiennes", schedule=None, start_date=datetime(2024, 1, 1)):\n    @task\n    def étape():\n        return "fait"\n\n    étape()\n`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'ids', '--file', unicode]);
    const runId = (await sandbox.ok(['dags', 'trigger', '--env', 'ids', '--dag-id', 'données_quotidiennes'])).stdout.trim();
    await sandbox.ok(['scheduler', '--env', 'ids', '--until-idle', '--timeout', '120']);
    const tasks = JSON.parse((await sandbox.ok(['tasks', 'list', '--env', 'ids', '--dag-id', 'données_quotidiennes', '--run-id', runId, '--json'])).stdout) as {
      task_instances: TaskInstanceJson[];
    };
    expect(tasks.task_instances.map((t) => [t.task_id, t.state])).toEqual([['étape', 'success']]);
    const id = { dag_id: 'données_quotidiennes', run_id: runId, task_id: 'étape', map_index: -1, try_number: 1 };
    expect(JSON.parse(fs.readFileSync(path.join(volume, xcomPath(id, 'return_value')), 'utf8')).value).toBe('fait');
    expect(fs.existsSync(path.join(volume, logPath(id)))).toBe(true);
  });
});
