/**
 * No id can leave its folder: every path built from an id goes through pathSegment (volume-layout.ts),
 * Python's runner follows the same rule, and ids are Airflow's `^[\w.-]+$` with Python's Unicode `\w`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idProblem } from '../src/dag/fields.js';
import { PYTHON_RUNNER_SOURCE } from '../src/worker/operators/python-runner.js';
import { readXcom, runTaskFunction } from '../src/worker/index.js';
import { dagFilePath, logPath, pathSegment, xcomDir, xcomPath } from '../src/volume-layout.js';
import { bashTask, createHarness, makePayload, type Harness } from './worker-harness.js';

const HOSTILE = ['.', '..', '', 'a/b', '../x', '../../etc', 'x\0y', '%2E%2E', 'données_quotidiennes'];

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

  it("is the rule Python's runner uses for XCom paths", () => {
    const source = /^def _segment\(value\):\n(?: {4}.*\n)+/m.exec(PYTHON_RUNNER_SOURCE)?.[0];
    expect(source).toBeDefined();
    const script = `${source}\nimport json, sys\nprint(json.dumps([_segment(v) for v in json.loads(sys.stdin.read())]))\n`;
    const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(HOSTILE), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(HOSTILE.map(pathSegment));
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
