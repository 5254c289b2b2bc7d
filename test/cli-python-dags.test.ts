/**
 * Python DAG files through the real CLI, with a protocol stand-in for the parse worker
 * (test/fixtures/python/fake_parse_worker.py): upload validates with the same parse, carries the local
 * modules, refuses bad files in one line with nothing uploaded, and prints warnings; `dags show` repeats them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagDetailJson } from '../src/service/shapes.js';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';
import { fakeDagFile, okAnswer, rawDag } from './helpers/raw-dag.js';

const FAKE_WORKER = fileURLToPath(new URL('./fixtures/python/fake_parse_worker.py', import.meta.url));
const WARNING = "task 'a': pool='etl' is accepted and ignored (no pools in airflow-serverless)";

describe('Python DAG files through the CLI', () => {
  const sandbox = new CliSandbox();
  const env = { AIRFLOW_SERVERLESS_PARSE_WORKER: FAKE_WORKER };
  let volume: string;

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    volume = path.join(sandbox.envRoot('dev'), 'vol');
  });
  afterAll(() => sandbox.cleanup());

  it('uploads a DAG file with the local modules it imports, prints its warnings, and knows it before a tick', async () => {
    sandbox.writeFile('proj/helpers/util.py', 'X = 1\n');
    sandbox.writeFile('proj/unrelated.py', 'Y = 2\n');
    const file = sandbox.writeFile('proj/etl.py', fakeDagFile(okAnswer([rawDag('etl', { warnings: [WARNING] })], ['helpers/util.py'])));
    const created = await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', file], { env });
    expect(created.stdout).toContain('Uploaded etl.py: etl (1 task)');
    expect(created.stderr).toContain(`warning: ${WARNING}`);
    expect(fs.readFileSync(path.join(volume, 'dags/helpers/util.py'), 'utf8')).toBe('X = 1\n');
    expect(fs.existsSync(path.join(volume, 'dags/unrelated.py'))).toBe(false);

    // No tick has parsed it yet: show and trigger parse it from the volume.
    const shown = JSON.parse((await sandbox.ok(['dags', 'show', '--env', 'dev', '--dag-id', 'etl', '--json'], { env })).stdout) as DagDetailJson;
    expect(shown.warnings).toEqual([WARNING]);
    await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'etl'], { env });

    await sandbox.ok(['tick', '--env', 'dev'], { env });
    const text = await sandbox.ok(['dags', 'show', '--env', 'dev', '--dag-id', 'etl'], { env });
    expect(text.stdout).toContain(`warning: ${WARNING}`);
    const listed = JSON.parse((await sandbox.ok(['dags', 'list', '--env', 'dev', '--json'], { env })).stdout) as { dags: Array<{ dag_id: string }> };
    expect(listed.dags.map((d) => d.dag_id)).toContain('etl');
  });

  it('dags list shows a Python import error from the tick with its traceback, and no parsed file as unparsed', async () => {
    const traceback = 'Traceback (most recent call last):\n  File "/vol/dags/broken.py", line 3, in <module>\nNameError: name \'foo\' is not defined';
    fs.writeFileSync(path.join(volume, 'dags/broken.py'), fakeDagFile({ ok: false, error: "broken.py:3: NameError: name 'foo' is not defined", traceback, line: 3 }));
    fs.writeFileSync(path.join(volume, 'dags/nodags.py'), fakeDagFile(okAnswer([])));
    await sandbox.ok(['tick', '--env', 'dev'], { env });
    const listed = await sandbox.ok(['dags', 'list', '--env', 'dev'], { env });
    expect(listed.stderr).toContain("Import error in broken.py: broken.py:3: NameError: name 'foo' is not defined");
    expect(listed.stdout + listed.stderr).not.toContain('nodags.py');
    const json = JSON.parse((await sandbox.ok(['dags', 'list', '--env', 'dev', '--json'], { env })).stdout) as { import_errors: Array<{ filename: string; stack_trace: string }> };
    expect(json.import_errors.find((e) => e.filename === 'broken.py')?.stack_trace).toContain('File "/vol/dags/broken.py", line 3');
    fs.rmSync(path.join(volume, 'dags/broken.py'));
    fs.rmSync(path.join(volume, 'dags/nodags.py'));
    await sandbox.ok(['tick', '--env', 'dev'], { env });
  });

  it('dags trigger validates the conf against the params schema, one line naming the param', async () => {
    const file = sandbox.writeFile('typed/typed.py', fakeDagFile(okAnswer([rawDag('typed', { params: { n: 1 }, params_schema: { n: { type: 'integer', minimum: 1 } } })])));
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', file], { env });
    const bad = await sandbox.run(['dags', 'trigger', '--env', 'dev', '--dag-id', 'typed', '--conf', '{"n": 0}'], { env });
    expectOneLineError(bad, /^Error: DAG "typed": Invalid input for param n: must be >= 1 \(got 0\)$/);
    await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'typed', '--conf', '{"n": 2}'], { env });
  });

  it('refuses a file that fails to import with its file:line error, uploading nothing', async () => {
    const file = sandbox.writeFile('broken/bad.py', fakeDagFile({ ok: false, error: "bad.py:7: NameError: name 'foo' is not defined", traceback: 'Traceback ...', line: 7 }));
    const result = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', file], { env });
    expectOneLineError(result, new RegExp(`^Error: ${path.join(sandbox.dir, 'broken')}/bad\\.py:7: NameError: name 'foo' is not defined$`));
    expect(fs.existsSync(path.join(volume, 'dags/bad.py'))).toBe(false);
  });

  it('refuses a file that defines no DAG, and a Python file that is not a DAG file', async () => {
    const empty = sandbox.writeFile('empty/nodag.py', fakeDagFile(okAnswer([])));
    const none = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', empty], { env });
    expectOneLineError(none, /nodag\.py: defines no DAG .*nothing uploaded$/);
    const helper = sandbox.writeFile('empty/helper.py', 'def f():\n    return 1\n');
    const notDag = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', helper], { env });
    expectOneLineError(notDag, /helper\.py: not a DAG file: .*"airflow" and "dag"$/);
    expect(fs.existsSync(path.join(volume, 'dags/nodag.py'))).toBe(false);
  });

  it("prints a YAML manifest's warnings at upload too (schedule_interval, ignored arguments)", async () => {
    const file = sandbox.writeFile(
      'yaml/legacy.yaml',
      'legacy:\n  schedule_interval: "@daily"\n  start_date: 2025-01-01\n  tasks:\n    t:\n      operator: EmptyOperator\n      pool: etl\n',
    );
    const created = await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', file], { env });
    expect(created.stderr).toContain("warning: DAG 'legacy': schedule_interval is Airflow 2's name (removed in Airflow 3); read as schedule");
    expect(created.stderr).toContain("warning: task 't': pool='etl' is accepted and ignored (no pools in airflow-serverless)");
  });

  it('refuses a file whose DAGs break the shared checks, naming the file', async () => {
    const file = sandbox.writeFile('cyc/cyclic.py', fakeDagFile(okAnswer([rawDag('cyclic', {}, [{ task_id: 'a', upstream: ['b'] }, { task_id: 'b', upstream: ['a'] }])])));
    const result = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', file], { env });
    expectOneLineError(result, /cyclic\.py: dag 'cyclic': cycle: a -> b -> a$/);
  });
});
