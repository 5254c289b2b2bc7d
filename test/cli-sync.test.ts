/**
 * `dags sync` replaces the environment's DAG folder with a local folder, all or nothing: a folder with one
 * bad file changes nothing; a good one uploads new and changed files with their callables and helpers and
 * deletes the rest. Callables of different manifests never overwrite each other (each manifest has its
 * own callables folder), also through `dags create` from two folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers/cli.js';
import { volumeDags } from './helpers/volume-files.js';

const pythonDag = (dagId: string, callable: string) => `${dagId}:
  schedule: null
  start_date: 2025-01-01
  is_paused_upon_creation: false
  tasks:
    t:
      operator: PythonOperator
      python_callable_file: callables/mine.py
      python_callable_name: ${callable}
`;

describe('dags sync', () => {
  const sandbox = new CliSandbox();
  const sync = (dir: string, ...extra: string[]) => sandbox.run(['dags', 'sync', '--env', 'dev', '--dir', path.join(sandbox.dir, dir), ...extra]);
  const until = () => sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '90']);

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    sandbox.writeFile('v1/a.yaml', pythonDag('a', 'one'));
    sandbox.writeFile('v1/callables/mine.py', 'from helpers.text import word\n\ndef one():\n    return word()\n');
    sandbox.writeFile('v1/callables/helpers/__init__.py', '');
    sandbox.writeFile('v1/callables/helpers/text.py', 'def word():\n    return "one"\n');
    sandbox.writeFile('v1/team/b.yaml', 'b:\n  schedule: null\n  start_date: 2025-01-01\n  tasks:\n    e:\n      operator: EmptyOperator\n');
  });
  afterAll(() => sandbox.cleanup());

  it('asks (exit 2 without a terminal), then uploads the folder with callables and helpers; the DAGs run', async () => {
    const refused = await sync('v1');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stdout).toContain('upload (new)');
    expect(volumeDags(sandbox)).toEqual({});

    const done = await sync('v1', '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/Synced: 5 uploaded, 0 deleted, 0 unchanged/);
    // Piped: no progress lines.
    expect(done.stderr).toBe('');
    expect(Object.keys(volumeDags(sandbox)).sort()).toEqual([
      '.callables/a.yaml/callables/helpers/__init__.py',
      '.callables/a.yaml/callables/helpers/text.py',
      '.callables/a.yaml/callables/mine.py',
      'a.yaml',
      'team/b.yaml',
    ]);
    const again = await sync('v1', '--yes', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ upload: [], delete: [], unchanged: 5 });

    await sandbox.ok(['tick', '--env', 'dev']);
    const run = (await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'a'])).stdout.trim();
    await until();
    expect((await sandbox.ok(['dags', 'state', '--env', 'dev', '--dag-id', 'a', '--run-id', run])).stdout.trim()).toBe('success');
  }, 180_000);

  it('changes nothing when any file of the folder is bad, and lists every problem', async () => {
    const before = volumeDags(sandbox);
    sandbox.writeFile('v2/a.yaml', pythonDag('a', 'one').replace('schedule: null', 'schedule: "@daily"'));
    sandbox.writeFile('v2/callables/mine.py', 'def one():\n    return "changed"\n');
    sandbox.writeFile('v2/broken.yaml', 'broken:\n  tasks: [');
    sandbox.writeFile('v2/twice.yaml', pythonDag('a', 'one'));
    const failed = await sync('v2', '--yes');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/broken\.yaml/);
    expect(failed.stderr).toMatch(/DAG "a" is also declared/);
    expect(failed.stderr).toMatch(/nothing was changed in environment "dev"/);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    expect(volumeDags(sandbox)).toEqual(before);
  });

  it('replaces the folder: uploads changed files, deletes files and callables no longer there', async () => {
    fs.rmSync(path.join(sandbox.dir, 'v2/broken.yaml'));
    fs.rmSync(path.join(sandbox.dir, 'v2/twice.yaml'));
    sandbox.writeFile('v2/c.yaml', 'c:\n  schedule: null\n  start_date: 2025-01-01\n  tasks:\n    e:\n      operator: EmptyOperator\n');
    const plan = JSON.parse((await sync('v2', '--dry-run', '--json')).stdout) as { upload: Array<{ path: string; action: string }>; delete: string[] };
    expect(plan.upload).toEqual([
      { path: '.callables/a.yaml/callables/mine.py', action: 'changed' },
      { path: 'a.yaml', action: 'changed' },
      { path: 'c.yaml', action: 'new' },
    ]);
    expect(plan.delete).toEqual(['.callables/a.yaml/callables/helpers/__init__.py', '.callables/a.yaml/callables/helpers/text.py', 'team/b.yaml']);
    expect(volumeDags(sandbox)['a.yaml']).toContain('schedule: null');

    expect((await sync('v2', '--yes')).code).toBe(0);
    const after = volumeDags(sandbox);
    expect(Object.keys(after).sort()).toEqual(['.callables/a.yaml/callables/mine.py', 'a.yaml', 'c.yaml']);
    expect(after['.callables/a.yaml/callables/mine.py']).toContain('changed');
    await sandbox.ok(['tick', '--env', 'dev']);
    const listed = await sandbox.json<{ dags: Array<{ dag_id: string; is_stale: boolean }> }>(['dags', 'list', '--env', 'dev']);
    expect(listed.dags.filter((d) => !d.is_stale).map((d) => d.dag_id).sort()).toEqual(['a', 'c']);
  }, 120_000);

  it('keeps the callables of two manifests that both name callables/mine.py apart', async () => {
    sandbox.writeFile('one/x.yaml', pythonDag('x', 'first'));
    sandbox.writeFile('one/callables/mine.py', 'def first():\n    return 1\n');
    sandbox.writeFile('two/y.yaml', pythonDag('y', 'second'));
    sandbox.writeFile('two/callables/mine.py', 'def second():\n    return 2\n');
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(sandbox.dir, 'one/x.yaml')]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(sandbox.dir, 'two/y.yaml')]);
    await sandbox.ok(['tick', '--env', 'dev']);
    const x = (await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'x'])).stdout.trim();
    const y = (await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'y'])).stdout.trim();
    await until();
    // With one shared callables/mine.py, one of the two would have no function of its name.
    expect((await sandbox.ok(['dags', 'state', '--env', 'dev', '--dag-id', 'x', '--run-id', x])).stdout.trim()).toBe('success');
    expect((await sandbox.ok(['dags', 'state', '--env', 'dev', '--dag-id', 'y', '--run-id', y])).stdout.trim()).toBe('success');
  }, 180_000);
});
