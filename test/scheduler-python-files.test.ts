/**
 * The tick's sync of Python DAG files, against a protocol stand-in for the parse worker
 * (test/fixtures/python/fake_parse_worker.py): discovery heuristic, .airflowignore, changed files only,
 * one worker per tick and none when idle, helper modules, import errors with tracebacks, timeouts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { getDag } from '../src/db/queries/dags.js';
import { listImportErrors } from '../src/db/queries/import-errors.js';
import { loadDagSpec } from '../src/db/queries/serialized-dags.js';
import { describeEachBackend } from './helpers/backends.js';
import { fakeDagFile, okAnswer, rawDag } from './helpers/raw-dag.js';
import { TickHarness } from './helpers/tick-harness.js';

const FAKE_WORKER = fileURLToPath(new URL('./fixtures/python/fake_parse_worker.py', import.meta.url));

beforeAll(() => {
  process.env['AIRFLOW_SERVERLESS_PARSE_WORKER'] = FAKE_WORKER;
});
afterAll(() => {
  delete process.env['AIRFLOW_SERVERLESS_PARSE_WORKER'];
});

/** What the fake workers did since the last look: starts and parsed files (their log is next to dags/). */
function workerLog(h: TickHarness): { starts: number; parsed: string[] } {
  const logFile = path.join(h.volume.root, 'fake-parse-worker.log');
  const lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean) : [];
  fs.rmSync(logFile, { force: true });
  return { starts: lines.filter((l) => l.startsWith('start ')).length, parsed: lines.filter((l) => l.startsWith('parse ')).map((l) => l.slice(6)) };
}

describeEachBackend('Python DAG file sync', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('parses changed Python DAG files with one worker per tick, and starts none when nothing changed', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('a.py', fakeDagFile(okAnswer([rawDag('a', { schedule: { kind: 'cron', expression: '0 0 * * *', preset: '@daily' }, start_date: '2024-01-01T00:00:00Z' })])));
    h.volume.write('b.py', fakeDagFile(okAnswer([rawDag('b1'), rawDag('b2')])));
    h.volume.write('helpers.py', 'def util():\n    return 1\n'); // no "airflow"/"dag" in it: not a DAG file
    h.volume.write('notes.txt', 'airflow dag');
    expect((await h.tick()).manifestsParsed).toBe(2);
    expect(workerLog(h)).toEqual({ starts: 1, parsed: ['a.py', 'b.py'] });
    expect(await getDag(h.db, 'a')).toMatchObject({ fileloc: 'a.py', has_import_errors: false });
    expect((await getDag(h.db, 'a'))!.next_dagrun_create_after).not.toBeNull();
    expect((await loadDagSpec(h.db, 'b2'))!.fileloc).toBe('b.py');

    expect((await h.tick()).manifestsParsed).toBe(0);
    expect(workerLog(h)).toEqual({ starts: 0, parsed: [] });

    h.volume.write('a.py', fakeDagFile(okAnswer([rawDag('a', { tags: ['new'] })])));
    expect((await h.tick()).manifestsParsed).toBe(1);
    expect(workerLog(h)).toEqual({ starts: 1, parsed: ['a.py'] });
  });

  it('re-parses a DAG file when a local module it imported changed, and only then', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('lib/util.py', 'X = 1\n');
    h.volume.write('uses.py', fakeDagFile(okAnswer([rawDag('uses')], ['lib/util.py'])));
    h.volume.write('alone.py', fakeDagFile(okAnswer([rawDag('alone')])));
    await h.tick();
    workerLog(h);
    h.volume.write('lib/util.py', 'X = 2\n');
    expect((await h.tick()).manifestsParsed).toBe(1);
    expect(workerLog(h).parsed).toEqual(['uses.py']);
    expect((await h.tick()).manifestsParsed).toBe(0);
    h.volume.remove('lib/util.py');
    expect((await h.tick()).manifestsParsed).toBe(1);
  });

  it('records an import error with the traceback, keeps the last good DAG, and retries when a module is fixed', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('etl.py', fakeDagFile(okAnswer([rawDag('etl')])));
    await h.tick();
    const traceback = 'Traceback (most recent call last):\n  File "/vol/dags/etl.py", line 3, in <module>\nNameError: name \'foo\' is not defined\n';
    h.volume.write('etl.py', fakeDagFile({ ok: false, error: "etl.py:3: NameError: name 'foo' is not defined", traceback, line: 3 }));
    const result = await h.tick();
    expect(result.manifestsParsed).toBe(1);
    const [error] = await listImportErrors(h.db);
    expect(error!.filename).toBe('etl.py');
    expect(error!.stacktrace.split('\n')[0]).toBe("etl.py:3: NameError: name 'foo' is not defined");
    expect(error!.stacktrace).toContain('File "/vol/dags/etl.py", line 3');
    expect(await getDag(h.db, 'etl')).toMatchObject({ has_import_errors: true, is_stale: false });

    expect((await h.tick()).manifestsParsed).toBe(0); // unchanged folder: not retried
    h.volume.write('helper.py', 'foo = 1\n'); // any Python file changing may fix a failed import
    expect((await h.tick()).manifestsParsed).toBe(1);
  });

  it('turns bad worker output into an import error naming the DAG and field', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('bad.py', fakeDagFile(okAnswer([rawDag('bad', {}, [{ task_id: 'a', upstream: ['a'] }])])));
    await h.tick();
    const [error] = await listImportErrors(h.db);
    expect(error!.stacktrace).toBe("bad.py: dag 'bad': task 'a' depends on itself");
  });

  it('kills a worker that hangs past the import timeout, files a timeout error, and goes on with a fresh one', async () => {
    h = new TickHarness(await factory.create(), { config: { core: { dagbag_import_timeout: 0.2 } } });
    h.volume.write('a_hangs.py', fakeDagFile(okAnswer([]), '# FAKE-HANG\n'));
    h.volume.write('b_dies.py', fakeDagFile(okAnswer([]), '# FAKE-EXIT\n'));
    h.volume.write('c_good.py', fakeDagFile(okAnswer([rawDag('good')])));
    const started = Date.now();
    const result = await h.tick();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.manifestsParsed).toBe(3);
    expect(workerLog(h).starts).toBe(3);
    const errors = new Map((await listImportErrors(h.db)).map((e) => [e.filename, e.stacktrace]));
    expect(errors.get('a_hangs.py')!.split('\n')[0]).toBe('a_hangs.py: DAG file import timed out after 0.2 s (core.dagbag_import_timeout)');
    expect(errors.get('b_dies.py')).toContain('b_dies.py: the parse worker exited (exit code 3) while importing this file');
    expect(errors.get('b_dies.py')).toContain('fatal: boom');
    expect(await getDag(h.db, 'good')).toBeDefined();
  });

  it('honours .airflowignore (glob syntax) and makes DAGs of a file that stops looking like a DAG file stale', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('.airflowignore', '# scratch files\nscratch_*.py\nvendor/\n');
    h.volume.write('sub/.airflowignore', '/local.py\n');
    h.volume.write('scratch_one.py', fakeDagFile(okAnswer([rawDag('scratch')])));
    h.volume.write('vendor/x.py', fakeDagFile(okAnswer([rawDag('vendored')])));
    h.volume.write('sub/local.py', fakeDagFile(okAnswer([rawDag('local')])));
    h.volume.write('sub/deeper/local.py', fakeDagFile(okAnswer([rawDag('deep')])));
    h.volume.write('kept.py', fakeDagFile(okAnswer([rawDag('kept')])));
    await h.tick();
    expect(workerLog(h).parsed.sort()).toEqual(['kept.py', 'sub/deeper/local.py']);
    h.volume.write('kept.py', 'print("no longer a DAG file")\n');
    await h.tick();
    expect(await getDag(h.db, 'kept')).toMatchObject({ is_stale: true });
  });
});
