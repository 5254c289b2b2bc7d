/**
 * The tick with the real parse worker (python/parse_worker.py): Python DAG files become DAGs, a helper
 * module's edit re-parses the file that imports it, and a broken file is an import error with file:line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { getDag } from '../src/db/queries/dags.js';
import { listImportErrors } from '../src/db/queries/import-errors.js';
import { loadDagSpec } from '../src/db/queries/serialized-dags.js';
import { PYTHON_PACKAGE_DIR } from '../src/python-package.js';
import { describeEachBackend } from './helpers/backends.js';
import { TickHarness } from './helpers/tick-harness.js';

const SAMPLES = path.join(PYTHON_PACKAGE_DIR, 'tests/dags');

const usesHelper = (suffix: string) => `
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator
from helpers.names import task_ids

with DAG(dag_id="uses_helper${suffix}", schedule="@daily", start_date="2024-01-01"):
    for task_id in task_ids():
        EmptyOperator(task_id=task_id)
`;

describeEachBackend('Python DAG files with the real parse worker', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('parses sample DAG files into DAGs with the config defaults and their schedules', async () => {
    h = new TickHarness(await factory.create(), { config: { core: { default_task_retries: 2 } } });
    for (const name of ['tutorial_taskflow.py', 'setup_teardown.py', 'tutorial.py']) h.volume.write(name, fs.readFileSync(path.join(SAMPLES, name), 'utf8'));
    const result = await h.tick();
    expect(result).toMatchObject({ manifestsParsed: 3, importErrors: 0 });
    const spec = (await loadDagSpec(h.db, 'tutorial_taskflow_api'))!;
    expect(spec.tasks.map((t) => t.task_id)).toEqual(['extract', 'transform', 'load']);
    expect(spec.tasks[1]).toMatchObject({ upstream: ['extract'], operator: 'python_file', retries: 2 });
    expect(spec).toMatchObject({ fileloc: 'tutorial_taskflow.py', schedule: { kind: 'none' }, start_date: '2021-01-01T00:00:00Z' });
    const teardowns = (await loadDagSpec(h.db, 'setup_teardown'))!.tasks.filter((t) => t.is_teardown);
    expect(teardowns.length).toBeGreaterThan(0);
    expect((await getDag(h.db, 'tutorial'))!.next_dagrun_create_after).not.toBeNull();
  });

  it('re-parses a DAG file when the helper module it imports changes', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('helpers/__init__.py', '');
    h.volume.write('helpers/names.py', 'def task_ids():\n    return ["a", "b"]\n');
    h.volume.write('uses.py', usesHelper(''));
    await h.tick();
    expect((await loadDagSpec(h.db, 'uses_helper'))!.tasks.map((t) => t.task_id)).toEqual(['a', 'b']);
    expect((await h.tick()).manifestsParsed).toBe(0);
    h.volume.write('helpers/names.py', 'def task_ids():\n    return ["a", "b", "c"]\n');
    expect((await h.tick()).manifestsParsed).toBe(1);
    expect((await loadDagSpec(h.db, 'uses_helper'))!.tasks.map((t) => t.task_id)).toEqual(['a', 'b', 'c']);
  });

  it('files an import error with file:line and the traceback, and clears it when fixed', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('helpers/__init__.py', '');
    h.volume.write('helpers/names.py', 'def task_ids():\n    return missing_name\n');
    h.volume.write('team/uses.py', usesHelper(''));
    await h.tick();
    const [error] = await listImportErrors(h.db);
    expect(error!.filename).toBe('team/uses.py');
    expect(error!.stacktrace.split('\n')[0]).toMatch(/^team\/uses\.py:7: NameError: name 'missing_name' is not defined$/);
    expect(error!.stacktrace).toContain('Traceback');
    h.volume.write('helpers/names.py', 'def task_ids():\n    return ["x"]\n');
    await h.tick();
    expect(await listImportErrors(h.db)).toEqual([]);
    expect((await loadDagSpec(h.db, 'uses_helper'))!.tasks.map((t) => t.task_id)).toEqual(['x']);
  });
});
