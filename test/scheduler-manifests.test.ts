/** Manifest sync: parse only changed files, import errors with lines, fixes, removals, paused-at-creation. */
import { afterEach, expect, it } from 'vitest';
import { getDag, listDagTags } from '../src/db/queries/dags.js';
import { listImportErrors } from '../src/db/queries/import-errors.js';
import { getJob } from '../src/db/queries/jobs.js';
import { getSerializedDag, loadDagSpec } from '../src/db/queries/serialized-dags.js';
import { describeEachBackend } from './helpers/backends.js';
import { TickHarness } from './helpers/tick-harness.js';

const good = (cmd = 'echo 1') => `
etl:
  schedule: "@daily"
  start_date: 2024-01-01
  tags: [nightly]
  tasks:
    extract:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "${cmd}"
    load:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "echo 2"
      dependencies: [extract]
`;

const broken = `
etl:
  schedule: "@daily"
  start_date: 2024-01-01
  tasks:
    extract:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "echo 1"
      dependencies: [nowhere]
`;

describeEachBackend('manifest sync', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('parses new and changed files only, and stores the DAG, its tags and its next run', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('team/etl.yaml', good());
    expect((await h.tick()).manifestsParsed).toBe(1);
    const row = (await getDag(h.db, 'etl'))!;
    expect(row).toMatchObject({ fileloc: 'team/etl.yaml', is_paused: false, is_stale: false, has_import_errors: false });
    expect(row.next_dagrun_create_after).not.toBeNull();
    expect((await listDagTags(h.db, 'etl')).map((t) => t.name)).toEqual(['nightly']);
    const hash = (await getSerializedDag(h.db, 'etl'))!.dag_hash;

    expect((await h.tick()).manifestsParsed).toBe(0); // unchanged hash: not parsed again
    h.volume.write('team/etl.yaml', good('echo changed'));
    expect((await h.tick()).manifestsParsed).toBe(1);
    expect((await getSerializedDag(h.db, 'etl'))!.dag_hash).not.toBe(hash);
  });

  it('stamps what a pass does after parsing a file with the time after the parse, not the pass start', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('manual.yaml', 'manual:\n  schedule: null\n  start_date: 2024-01-01\n  tasks:\n    only:\n      operator: airflow.operators.empty.EmptyOperator\n');
    await h.trigger('manual', 'r1');
    // Every reading of the clock is a second later than the one before: a long parse, in effect.
    const start = h.clock.now().getTime();
    let readings = 0;
    h.clock.now = () => new Date(start + 1000 * readings++);
    const result = await h.tick();
    expect(result).toMatchObject({ manifestsParsed: 1, runsStarted: 1 });
    const passStart = Date.parse((await getJob(h.db, 'SchedulerJob'))!.start_date!);
    const run = (await h.run('manual', 'r1'))!;
    expect(Date.parse(run.start_date!)).toBeGreaterThan(passStart);
    // The next pass parses nothing and keeps its one instant for all it does.
    await h.trigger('manual', 'r2');
    await h.tick();
    const second = (await h.run('manual', 'r2'))!;
    expect(second.start_date).toBe((await getJob(h.db, 'SchedulerJob'))!.start_date);
  });

  it('records a failing file as one import error with its line; the DAG keeps its last good version', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('etl.yaml', good());
    await h.tick();
    h.volume.write('etl.yaml', broken);
    const result = await h.tick();
    expect(result.importErrors).toBe(1);
    let errors = await listImportErrors(h.db);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.filename).toBe('etl.yaml');
    expect(errors[0]!.stacktrace).toMatch(/^etl\.yaml:\d+: .*nowhere/m);
    expect((await getDag(h.db, 'etl'))!.has_import_errors).toBe(true);
    expect((await loadDagSpec(h.db, 'etl'))!.tasks.map((t) => t.task_id)).toEqual(['extract', 'load']);

    // Still broken, edited differently: still exactly one row.
    h.volume.write('etl.yaml', broken + '\n# edited\n');
    await h.tick();
    expect(await listImportErrors(h.db)).toHaveLength(1);

    h.volume.write('etl.yaml', good());
    await h.tick();
    errors = await listImportErrors(h.db);
    expect(errors).toHaveLength(0);
    expect((await getDag(h.db, 'etl'))!.has_import_errors).toBe(false);
  });

  it('refuses what `dags create` refuses: no DAG, a template that cannot parse, a missing callable file', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('empty.yaml', '');
    h.volume.write('comments.yaml', '# nothing yet\n');
    h.volume.write('template.yaml', good('echo {{ ds '));
    const python = (file: string) => `py:\n  tasks:\n    t:\n      operator: PythonOperator\n      python_callable_file: ${file}\n      python_callable_name: run\n`;
    h.volume.write('missing.yaml', python('lib/missing.py'));
    h.volume.write('present.yaml', python('lib/present.py').replace('py:', 'py2:'));
    h.volume.write('lib/present.py', 'def run():\n    pass\n');
    expect(await h.tick()).toMatchObject({ manifestsParsed: 5, importErrors: 4 });
    const errors = new Map((await listImportErrors(h.db)).map((e) => [e.filename, e.stacktrace]));
    expect([...errors.keys()].sort()).toEqual(['comments.yaml', 'empty.yaml', 'missing.yaml', 'template.yaml']);
    expect(errors.get('empty.yaml')).toBe('empty.yaml: the manifest declares no DAG');
    expect(errors.get('template.yaml')).toMatch(/^template\.yaml: dag 'etl': task 'extract': bash_command: template syntax error/);
    expect(errors.get('missing.yaml')).toBe('missing.yaml: python_callable_file lib/missing.py not found (looked in dags/.callables/missing.yaml/ and in dags/)');
    expect(await getDag(h.db, 'py2')).toBeDefined();
  });

  it('a bad file never stops the tick: other files and runs go on', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('bad.yaml', 'this: [is not: valid');
    h.volume.write('etl.yaml', good());
    const result = await h.tick();
    expect(result).toMatchObject({ ran: true, manifestsParsed: 2, importErrors: 1 });
    expect(await getDag(h.db, 'etl')).toBeDefined();
  });

  it('marks DAGs stale when their file disappears or their id leaves the file, and creates no runs for them', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('etl.yaml', good());
    h.volume.write('two.yaml', good().replace('etl:', 'first:') + good().replace('etl:', 'second:'));
    await h.tick();
    h.volume.remove('etl.yaml');
    h.volume.write('two.yaml', good().replace('etl:', 'first:'));
    await h.tick();
    expect((await getDag(h.db, 'etl'))!.is_stale).toBe(true);
    expect((await getDag(h.db, 'second'))!.is_stale).toBe(true);
    expect((await getDag(h.db, 'first'))!.is_stale).toBe(false);
    const runsBefore = (await h.runs('etl')).length;
    h.clock.advance(3 * 86_400_000);
    await h.tick();
    expect(await h.runs('etl')).toHaveLength(runsBefore);
  });

  it('a DAG id declared by two files is an import error of the later file; the first keeps the DAG', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('a.yaml', good());
    h.volume.write('b.yaml', good('echo from b'));
    expect(await h.tick()).toMatchObject({ manifestsParsed: 2, importErrors: 1 });
    expect((await getDag(h.db, 'etl'))!).toMatchObject({ fileloc: 'a.yaml', has_import_errors: false, is_stale: false });
    const errors = await listImportErrors(h.db);
    expect(errors.map((e) => e.filename)).toEqual(['b.yaml']);
    expect(errors[0]!.stacktrace).toContain("DAG id 'etl' is already defined in a.yaml");

    h.volume.write('b.yaml', good().replace('etl:', 'other:'));
    expect(await h.tick()).toMatchObject({ manifestsParsed: 1, importErrors: 0 });
    expect(await listImportErrors(h.db)).toHaveLength(0);
    expect((await getDag(h.db, 'other'))!.fileloc).toBe('b.yaml');
  });

  it('DAGs swapped between two files in one edit move, whichever file is written first', async () => {
    h = new TickHarness(await factory.create());
    h.volume.write('a.yaml', good());
    h.volume.write('b.yaml', good().replace('etl:', 'other:'));
    await h.tick();
    h.volume.write('a.yaml', good().replace('etl:', 'other:'));
    h.volume.write('b.yaml', good());
    expect(await h.tick()).toMatchObject({ manifestsParsed: 2, importErrors: 0 });
    expect((await getDag(h.db, 'other'))!).toMatchObject({ fileloc: 'a.yaml', is_stale: false, has_import_errors: false });
    expect((await getDag(h.db, 'etl'))!).toMatchObject({ fileloc: 'b.yaml', is_stale: false, has_import_errors: false });
    expect(await listImportErrors(h.db)).toHaveLength(0);
  });

  it('many files: every DAG, tag and next run is stored, and a duplicate in a later batch is still caught', async () => {
    h = new TickHarness(await factory.create());
    const name = (i: number) => `d${String(i).padStart(3, '0')}`;
    for (let i = 0; i < 150; i++) h.volume.write(`${name(i)}.yaml`, good().replace('etl:', `${name(i)}:`));
    h.volume.write('zz.yaml', good().replace('etl:', 'd000:'));
    expect(await h.tick()).toMatchObject({ manifestsParsed: 151, importErrors: 1 });
    for (const i of [0, 99, 100, 149]) {
      const row = (await getDag(h.db, name(i)))!;
      expect(row).toMatchObject({ fileloc: `${name(i)}.yaml`, is_stale: false, has_import_errors: false });
      expect(row.next_dagrun_create_after).not.toBeNull();
      expect((await listDagTags(h.db, name(i))).map((t) => t.name)).toEqual(['nightly']);
      expect((await loadDagSpec(h.db, name(i)))!.dag_id).toBe(name(i));
    }
    expect((await listImportErrors(h.db)).map((e) => e.filename)).toEqual(['zz.yaml']);
    expect((await h.tick()).manifestsParsed).toBe(0);
  });

  it('new DAGs start paused when the environment says so', async () => {
    h = new TickHarness(await factory.create(), { config: { core: { dags_are_paused_at_creation: true } } });
    h.volume.write('etl.yaml', good());
    await h.tick();
    expect((await getDag(h.db, 'etl'))!.is_paused).toBe(true);
    expect(await h.runs('etl')).toHaveLength(0);
  });
});
