/** Environment and DAG lifecycle through the real CLI: create/update, upload rules, list/show, pause, delete, destroy. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DagDetailJson, DagJson } from '../src/service/shapes.js';
import { CliSandbox, EXAMPLES_DIR } from './helpers/cli.js';

type DagList = { dags: DagJson[]; total_entries: number; import_errors: unknown[] };

describe('environments and DAGs through the CLI', () => {
  const sandbox = new CliSandbox();
  let volume: string;

  beforeAll(async () => {
    const created = await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    expect(created.stdout).toContain('Created environment dev');
    volume = path.join(sandbox.envRoot('dev'), 'vol');
  });
  afterAll(() => sandbox.cleanup());

  it('lays out the environment, keeps the config text unresolved, and updates in place when re-run', async () => {
    for (const dir of ['dags', 'data', 'logs', 'xcom']) expect(fs.statSync(path.join(volume, dir)).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(volume, 'data/airflow.db'))).toBe(true);
    expect(fs.existsSync(path.join(sandbox.envRoot('dev'), 'state.db'))).toBe(true);

    const withSecret = sandbox.writeConfig('executor:\n  parallelism: ${DEMO_PARALLELISM:-3}\n', 'secret.yaml');
    const again = await sandbox.ok(['create', '--env', 'dev', '--config', withSecret]);
    expect(again.stdout).toContain('Updated environment dev');
    expect(fs.readFileSync(path.join(sandbox.envRoot('dev'), 'config.yaml'), 'utf8')).toContain('${DEMO_PARALLELISM:-3}');

    const envs = await sandbox.json<{ environments: Array<{ name: string; provider: string; scheduler_running: boolean }> }>(['envs', 'list']);
    expect(envs.environments).toEqual([expect.objectContaining({ name: 'dev', provider: 'local', scheduler_running: false })]);
  });

  it('create refuses an existing file name; update requires one; both upload the callables', async () => {
    const manifest = path.join(EXAMPLES_DIR, 'xcom_pipeline.yaml');
    const created = await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', manifest]);
    expect(created.stdout).toContain('xcom_pipeline (3 tasks)');
    expect(fs.existsSync(path.join(volume, 'dags/.callables/xcom_pipeline.yaml/callables/xcom_pipeline.py'))).toBe(true);

    const twice = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', manifest]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('already exists');
    await sandbox.ok(['dags', 'update', '--env', 'dev', '--file', manifest]);

    const fresh = await sandbox.run(['dags', 'update', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr).toContain('does not exist');
    expect(fs.existsSync(path.join(volume, 'dags/branching.yaml'))).toBe(false);
  });

  it('refuses a DAG id another file already declares', async () => {
    const copy = sandbox.writeFile('elsewhere/copy.yaml', fs.readFileSync(path.join(EXAMPLES_DIR, 'weekly_backfill.yaml'), 'utf8').replace('weekly_backfill:', 'xcom_pipeline:'));
    const clash = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', copy]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('already declared in xcom_pipeline.yaml');
  });

  it('lists and shows DAGs after a tick, pauses and unpauses through commands, deletes the file', async () => {
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
    // Before a tick, `show` reads the manifest itself.
    const unparsed = await sandbox.json<DagDetailJson>(['dags', 'show', '--env', 'dev', '--dag-id', 'branching']);
    expect(unparsed.last_parsed_time).toBeNull();
    expect(unparsed.tasks.map((t) => t.task_id)).toContain('join');

    await sandbox.ok(['tick', '--env', 'dev']);
    const listed = await sandbox.json<DagList>(['dags', 'list', '--env', 'dev']);
    expect(listed.dags.map((d) => d.dag_id)).toEqual(['branching', 'xcom_pipeline']);
    expect(listed.dags[0]).toMatchObject({ dag_id: 'branching', is_paused: false, timetable_summary: expect.any(String) });
    expect(listed.dags[0]?.tags.map((t) => t.name).sort()).toEqual(['branching', 'example']);

    const shown = await sandbox.json<DagDetailJson>(['dags', 'show', '--env', 'dev', '--dag-id', 'branching']);
    const join = shown.tasks.find((t) => t.task_id === 'join');
    expect(join).toMatchObject({ operator: 'BashOperator', trigger_rule: 'none_failed_min_one_success', upstream_task_ids: ['full_load', 'incremental_load'] });
    expect(shown.tasks.find((t) => t.task_id === 'choose')).toMatchObject({
      operator: 'BranchPythonOperator',
      downstream_task_ids: ['full_load', 'incremental_load'],
    });

    await sandbox.ok(['dags', 'pause', '--env', 'dev', '--dag-id', 'branching']);
    await sandbox.ok(['tick', '--env', 'dev']);
    let dags = (await sandbox.json<DagList>(['dags', 'list', '--env', 'dev'])).dags;
    expect(dags.find((d) => d.dag_id === 'branching')?.is_paused).toBe(true);
    await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'branching']);
    await sandbox.ok(['tick', '--env', 'dev']);
    dags = (await sandbox.json<DagList>(['dags', 'list', '--env', 'dev'])).dags;
    expect(dags.find((d) => d.dag_id === 'branching')?.is_paused).toBe(false);

    const deleted = await sandbox.ok(['dags', 'delete', '--env', 'dev', '--dag-id', 'branching']);
    expect(deleted.stdout).toContain('removed branching.yaml');
    expect(fs.existsSync(path.join(volume, 'dags/branching.yaml'))).toBe(false);
    await sandbox.ok(['tick', '--env', 'dev']);
    dags = (await sandbox.json<DagList>(['dags', 'list', '--env', 'dev'])).dags;
    expect(dags.map((d) => d.dag_id)).toEqual(['xcom_pipeline']);
  });

  it('destroy --force removes the environment', async () => {
    await sandbox.ok(['create', '--env', 'doomed', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['destroy', '--env', 'doomed', '--force']);
    expect(fs.existsSync(sandbox.envRoot('doomed'))).toBe(false);
    const envs = await sandbox.json<{ environments: Array<{ name: string }> }>(['envs', 'list']);
    expect(envs.environments.map((e) => e.name)).toEqual(['dev']);
  });
});
