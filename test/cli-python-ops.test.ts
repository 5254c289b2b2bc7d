/**
 * The operations commands of issue 10 with Python DAG files (issue 9), through the real CLI and the real
 * parse worker and task runner: `dags test --file x.py` runs a Python DAG to success with each task's log
 * streamed, `tasks test` runs one `@task` of it, `dags sync` uploads a folder mixing a Python DAG file, its
 * helper module, a manifest and its callable, and a Python file that fails to import changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, expectOneLineError, REPO_ROOT } from './helpers/cli.js';
import { volumeDags } from './helpers/volume-files.js';

/** A TaskFlow DAG whose tasks use a helper module from the DAG file's own folder. */
const ETL_PY = `import pendulum

from airflow.sdk import dag, task

from shop_helpers import shout


@dag(schedule="@daily", start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=True)
def shop_etl():
    @task
    def extract(ds=None):
        print(shout("extracting " + ds))
        return [3, 4]

    @task
    def total(numbers):
        print("total is", sum(numbers))
        return sum(numbers)

    total(extract())


shop_etl()
`;
const HELPER_PY = 'def shout(text):\n    return text.upper() + "!"\n';

const MANIFEST = `greet:
  schedule: null
  start_date: 2025-01-01
  is_paused_upon_creation: false
  tasks:
    hello:
      operator: PythonOperator
      python_callable_file: callables/greet.py
      python_callable_name: greet
`;
const CALLABLE_PY = 'def greet():\n    print("hello from the callable")\n    return "hi"\n';

describe('operations commands with Python DAG files', () => {
  const sandbox = new CliSandbox();
  let etl = '';

  beforeAll(() => {
    etl = sandbox.writeFile('proj/etl.py', ETL_PY);
    sandbox.writeFile('proj/shop_helpers.py', HELPER_PY);
  });
  afterAll(() => sandbox.cleanup());

  it('dags test --file runs a Python DAG to success with no environment, each task log streamed in order', async () => {
    const result = await sandbox.run(['dags', 'test', '--file', etl, '--logical-date', '2025-03-01']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    // The helper module travelled with the file: its output is in extract's log.
    expect(at('[extract] EXTRACTING 2025-03-01!')).toBeGreaterThanOrEqual(0);
    expect(at('[total] total is 7')).toBeGreaterThan(at('[extract] EXTRACTING 2025-03-01!'));
    expect(result.stdout).toMatch(/DAG run manual__2025-03-01T00:00:00\+00:00: success/);
    expect(fs.existsSync(path.join(sandbox.home, 'envs'))).toBe(false);
  }, 120_000);

  it("dags test --file runs an example DAG file unchanged (examples/dags/tutorial_taskflow.py)", async () => {
    const result = await sandbox.run(['dags', 'test', '--file', path.join(REPO_ROOT, 'examples/dags/tutorial_taskflow.py'), '--conf', '{"currency": "USD"}']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('[load] 3 orders, total 1236.70 USD');
    expect(result.stdout).toMatch(/: success\n$/);
  }, 120_000);

  it('tasks test runs one @task of a Python file alone and once; its upstream does not run', async () => {
    const ok = await sandbox.run(['tasks', 'test', '--file', etl, '--dag-id', 'shop_etl', '--task-id', 'extract', '--logical-date', '2025-02-02']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('EXTRACTING 2025-02-02!');
    expect(ok.stdout).not.toContain('total is');
    expect(ok.stdout).toMatch(/Task extract: success/);

    // Had a tick parsed the file, it would have re-registered the whole DAG and total would run too.
    // total alone: its XCom input from extract is None (nothing upstream ran), so sum() fails: exit 1.
    const failed = await sandbox.run(['tasks', 'test', '--file', etl, '--dag-id', 'shop_etl', '--task-id', 'total']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('TypeError');
    expect(failed.stdout).toMatch(/Task total: failed/);
  }, 120_000);

  it('dags test and tasks test refuse a Python file that fails to import, in one line with file:line', async () => {
    const broken = sandbox.writeFile('broken/bad.py', 'from airflow.sdk import dag\n\n\nundefined_name\n');
    const expected = new RegExp(`^Error: ${path.join(sandbox.dir, 'broken')}/bad\\.py:4: NameError: name 'undefined_name' is not defined$`);
    expectOneLineError(await sandbox.run(['dags', 'test', '--file', broken]), expected);
    expectOneLineError(await sandbox.run(['tasks', 'test', '--file', broken, '--dag-id', 'x', '--task-id', 'y']), expected);
    expectOneLineError(await sandbox.run(['dags', 'test', '--file', sandbox.writeFile('broken/plain.py', 'x = 1\n')]), /plain\.py: not a DAG file/);
    expectOneLineError(await sandbox.run(['tasks', 'test', '--file', etl, '--dag-id', 'shop_etl', '--task-id', 'nope']), /has no task "nope"/);
  }, 120_000);

  describe('dags sync of a folder mixing Python and YAML', () => {
    const sync = (dir: string, ...extra: string[]) => sandbox.run(['dags', 'sync', '--env', 'dev', '--dir', path.join(sandbox.dir, dir), '--yes', ...extra]);

    beforeAll(async () => {
      await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
      sandbox.writeFile('mixed/etl.py', ETL_PY.replace('catchup=True', 'catchup=False'));
      sandbox.writeFile('mixed/shop_helpers.py', HELPER_PY);
      sandbox.writeFile('mixed/notes.py', 'UNUSED = 1\n'); // neither a DAG file nor imported by one
      sandbox.writeFile('mixed/greet.yaml', MANIFEST);
      sandbox.writeFile('mixed/callables/greet.py', CALLABLE_PY);
    });

    it('uploads the Python file with its helper module and the manifest with its callable; both DAGs run', async () => {
      const done = await sync('mixed', '--json');
      expect(done.code, done.stderr).toBe(0);
      const plan = JSON.parse(done.stdout) as { upload: Array<{ path: string }>; dags: Array<{ fileloc: string; dag_ids: string[] }> };
      expect(plan.dags.sort((a, b) => a.fileloc.localeCompare(b.fileloc))).toEqual([
        { fileloc: 'etl.py', dag_ids: ['shop_etl'] },
        { fileloc: 'greet.yaml', dag_ids: ['greet'] },
      ]);
      expect(Object.keys(volumeDags(sandbox)).sort()).toEqual(['.callables/greet.yaml/callables/greet.py', 'etl.py', 'greet.yaml', 'shop_helpers.py']);
      expect(plan.upload.map((u) => u.path).sort()).toEqual(['.callables/greet.yaml/callables/greet.py', 'etl.py', 'greet.yaml', 'shop_helpers.py']);

      await sandbox.ok(['tick', '--env', 'dev']);
      await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'shop_etl']);
      await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'shop_etl', '--logical-date', '2025-04-01']);
      await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'greet']);
      await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '90']);
      const runs = await sandbox.json<{ dag_runs: Array<{ dag_id: string; state: string }> }>(['runs', 'list', '--env', 'dev', '--run-type', 'manual']);
      expect(runs.dag_runs.map((r) => [r.dag_id, r.state]).sort()).toEqual([
        ['greet', 'success'],
        ['shop_etl', 'success'],
      ]);
      const log = await sandbox.ok(['tasks', 'logs', '--env', 'dev', '--dag-id', 'shop_etl', '--run-id', 'manual__2025-04-01T00:00:00+00:00', '--task-id', 'extract']);
      expect(log.stdout).toContain('EXTRACTING 2025-04-01!');
    }, 240_000);

    it('a Python file that fails to import changes nothing; a good folder then replaces the old one', async () => {
      const before = volumeDags(sandbox);
      sandbox.writeFile('mixed/etl.py', ETL_PY.replace('from shop_helpers import shout', 'from shop_helpers import whisper'));
      const refused = await sync('mixed');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/etl\.py:\d+: ImportError: cannot import name 'whisper'/);
      expect(refused.stderr).toMatch(/1 problem\(s\) in .*: nothing was changed/);
      expect(volumeDags(sandbox)).toEqual(before);

      // Only the manifest is left: the Python file and its module are deleted, the manifest unchanged.
      fs.rmSync(path.join(sandbox.dir, 'mixed/etl.py'));
      const done = await sync('mixed', '--json');
      expect(done.code, done.stderr).toBe(0);
      expect((JSON.parse(done.stdout) as { delete: string[] }).delete.sort()).toEqual(['etl.py', 'shop_helpers.py']);
      expect(Object.keys(volumeDags(sandbox)).sort()).toEqual(['.callables/greet.yaml/callables/greet.py', 'greet.yaml']);
    }, 120_000);

    it('honours .airflowignore as the tick does: an ignored file is neither parsed nor uploaded; the ignore file is', async () => {
      sandbox.writeFile('ignoring/.airflowignore', '# work in progress\nscratch/\n');
      sandbox.writeFile('ignoring/scratch/wip.py', 'from airflow.sdk import dag\n\nthis is not python\n');
      sandbox.writeFile('ignoring/etl.py', ETL_PY);
      sandbox.writeFile('ignoring/shop_helpers.py', HELPER_PY);
      const done = await sync('ignoring', '--json');
      expect(done.code, done.stderr).toBe(0);
      expect(volumeDags(sandbox)).toEqual({ '.airflowignore': '# work in progress\nscratch/\n', 'etl.py': ETL_PY, 'shop_helpers.py': HELPER_PY });
      await sandbox.ok(['tick', '--env', 'dev']);
      const errors = await sandbox.json<{ import_errors: unknown[] }>(['dags', 'list-import-errors', '--env', 'dev', '--json']);
      expect(errors.import_errors).toEqual([]);
    }, 120_000);
  });
});
