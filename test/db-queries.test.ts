/**
 * The query modules (src/db/queries) on both backends: each group once, so SQL that only one dialect
 * accepts, or a row shape that differs, fails here rather than in a scheduler test on one backend.
 */
import { expect, it } from 'vitest';
import * as q from '../src/db/queries/index.js';
import { describeEachBackend } from './helpers/backends.js';

const NOW = '2024-06-01T00:00:00.000Z';
const LATER = '2024-06-02T00:00:00.000Z';

function dag(dagId: string, pausedAtCreation = false): q.DagUpsert {
  return {
    dag_id: dagId,
    fileloc: `/vol/dags/${dagId}.yaml`,
    relative_fileloc: `${dagId}.yaml`,
    owners: 'airflow',
    description: null,
    timetable_summary: '@daily',
    timetable_description: 'At 00:00',
    timezone: 'UTC',
    max_active_tasks: 16,
    max_active_runs: 1,
    last_parsed_time: NOW,
    last_parse_duration: 0.25,
    is_paused_at_creation: pausedAtCreation,
  };
}

function run(runId: string, logicalDate: string | null): q.NewDagRun {
  return {
    dag_id: 'etl',
    run_id: runId,
    logical_date: logicalDate,
    run_type: logicalDate ? 'scheduled' : 'manual',
    triggered_by: 'timetable',
    conf: { answer: 42, nested: { list: [1, 'x'] } },
    data_interval_start: logicalDate,
    data_interval_end: logicalDate,
    run_after: logicalDate ?? LATER,
    now: NOW,
  };
}

describeEachBackend('db queries', (factory) => {
  it('dags and tags: upsert keeps is_paused, filters and due DAGs', async () => {
    const db = await factory.create();
    await q.upsertDag(db, dag('etl', true));
    await q.upsertDag(db, dag('etl', false));
    await q.upsertDag(db, dag('report'));
    const etl = await q.getDag(db, 'etl');
    expect(etl).toMatchObject({ is_paused: true, is_stale: false, last_parsed_time: NOW, last_parse_duration: 0.25, max_active_runs: 1 });
    expect(await q.setDagPaused(db, 'etl', false)).toBe(true);
    expect(await q.setDagPaused(db, 'missing', true)).toBe(false);
    await q.setDagsStale(db, ['report'], true);
    expect((await q.listDags(db)).map((d) => d.dag_id)).toEqual(['etl']);
    expect((await q.listDags(db, { includeStale: true, paused: false, limit: 1, offset: 1 })).map((d) => d.dag_id)).toEqual(['report']);
    await q.setNextDagrun(db, 'etl', {
      next_dagrun: NOW,
      next_dagrun_data_interval_start: NOW,
      next_dagrun_data_interval_end: LATER,
      next_dagrun_create_after: LATER,
    });
    expect(await q.listDagsNeedingRuns(db, NOW, 10)).toEqual([]);
    expect((await q.listDagsNeedingRuns(db, LATER, 10)).map((d) => [d.dag_id, d.next_dagrun_create_after])).toEqual([['etl', LATER]]);
    await q.setDagsImportErrors(db, ['etl'], true);
    expect(await q.listDagsNeedingRuns(db, LATER, 10)).toEqual([]);
    await q.replaceDagTags(db, 'etl', ['b', 'a', 'a']);
    await q.replaceDagTags(db, 'report', ['z']);
    expect(await q.listDagTags(db)).toEqual([
      { dag_id: 'etl', name: 'a' },
      { dag_id: 'etl', name: 'b' },
      { dag_id: 'report', name: 'z' },
    ]);
  });

  it('serialized DAGs and DAG files round-trip their JSON', async () => {
    const db = await factory.create();
    const spec = { dag_id: 'etl', tasks: { a: { operator: 'bash', env: { 'Ünïcode?': 'yes' } } }, params: { n: 1.5 } };
    const row = { dag_id: 'etl', fileloc: 'etl.yaml', data: JSON.stringify(spec), dag_hash: 'h1', now: NOW };
    expect(await q.upsertSerializedDag(db, row)).toBe(true);
    expect(await q.upsertSerializedDag(db, { ...row, now: LATER })).toBe(false);
    expect(await q.upsertSerializedDag(db, { ...row, dag_hash: 'h2', now: LATER })).toBe(true);
    expect(await q.loadDagSpec(db, 'etl')).toEqual(spec);
    expect(await q.getSerializedDag(db, 'etl')).toMatchObject({ dag_hash: 'h2', created_at: NOW, last_updated: LATER });
    await q.upsertDagFile(db, { fileloc: 'etl.yaml', content_hash: 'c1', last_parsed_time: NOW, dag_ids: ['etl', 'etl2'] });
    await q.upsertDagFile(db, { fileloc: 'etl.yaml', content_hash: 'c2', last_parsed_time: LATER, dag_ids: ['etl'] });
    expect(await q.listDagFiles(db)).toEqual([{ fileloc: 'etl.yaml', content_hash: 'c2', last_parsed_time: LATER, dag_ids: ['etl'] }]);
    await q.deleteDagFile(db, 'etl.yaml');
    expect(await q.listDagFiles(db)).toEqual([]);
  });

  it('DAG runs: idempotent creation, filters, counts, previous run and claims', async () => {
    const db = await factory.create();
    expect(await q.insertDagRun(db, run('scheduled__1', '2024-05-30T00:00:00.000Z'))).toBe(true);
    expect(await q.insertDagRun(db, run('scheduled__1', '2024-05-30T00:00:00.000Z'))).toBe(false);
    expect(await q.insertDagRun(db, run('other-id', '2024-05-30T00:00:00.000Z'))).toBe(false);
    expect(await q.insertDagRun(db, run('scheduled__2', '2024-05-31T00:00:00.000Z'))).toBe(true);
    expect(await q.insertDagRun(db, run('manual__1', null))).toBe(true);
    const first = (await q.getDagRun(db, 'etl', 'scheduled__1'))!;
    expect(first).toMatchObject({ state: 'queued', logical_date: '2024-05-30T00:00:00.000Z', queued_at: NOW, clear_number: 0 });
    expect(typeof first.id).toBe('number');
    expect(q.runConf(first)).toEqual({ answer: 42, nested: { list: [1, 'x'] } });
    expect((await q.findDagRunByLogicalDate(db, 'etl', '2024-05-31T00:00:00.000Z'))?.run_id).toBe('scheduled__2');
    expect((await q.listDagRuns(db, { dagId: 'etl', descending: true })).map((r) => r.run_id)).toEqual([
      'manual__1',
      'scheduled__2',
      'scheduled__1',
    ]);
    expect(await q.countDagRuns(db, { states: ['queued'] })).toBe(3);
    expect(await q.updateDagRun(db, first, { state: 'running', start_date: NOW, updated_at: NOW }, 'queued')).toBe(true);
    expect(await q.updateDagRun(db, first, { state: 'failed', updated_at: NOW }, 'queued')).toBe(false);
    expect(await q.countActiveDagRuns(db, 'etl')).toEqual({ queued: 2, running: 1 });
    expect((await q.getLatestScheduledRun(db, 'etl'))?.run_id).toBe('scheduled__2');
    const second = (await q.getDagRun(db, 'etl', 'scheduled__2'))!;
    expect((await q.getPreviousDagRun(db, second))?.run_id).toBe('scheduled__1');
    expect(await q.getPreviousDagRun(db, first)).toBeUndefined();
  });

  it('task instances and their history: idempotent inserts, claims by state and try', async () => {
    const db = await factory.create();
    await q.insertDagRun(db, run('r1', '2024-05-30T00:00:00.000Z'));
    const key = (taskId: string) => ({ dag_id: 'etl', run_id: 'r1', task_id: taskId, map_index: -1 });
    const rows = ['extract', 'load'].map((taskId) => ({
      ...key(taskId),
      id: `ti-${taskId}`,
      max_tries: 2,
      operator: 'BashOperator',
      custom_operator_name: null,
      now: NOW,
    }));
    expect(await q.insertTaskInstances(db, rows)).toBe(2);
    expect(await q.insertTaskInstances(db, rows)).toBe(0);
    expect(await q.countTaskInstances(db, { states: [null] })).toBe(2);
    const patch = { state: 'queued' as const, try_number: 1, queued_dttm: NOW, updated_at: NOW };
    expect(await q.updateTaskInstance(db, 'ti-extract', patch, { states: [null, 'scheduled'] })).toBe(true);
    expect(await q.updateTaskInstance(db, 'ti-extract', patch, { states: [null, 'scheduled'] })).toBe(false);
    expect(await q.updateTaskInstance(db, 'ti-extract', { state: 'running', updated_at: LATER }, { tryNumber: 2 })).toBe(false);
    expect(await q.updateTaskInstance(db, 'ti-extract', { state: 'running', pid: 123, duration: 1.5, updated_at: LATER }, { tryNumber: 1 })).toBe(true);
    expect(await q.getTaskInstance(db, key('extract'))).toMatchObject({ state: 'running', try_number: 1, pid: 123, duration: 1.5, queued_dttm: NOW, updated_at: LATER });
    expect((await q.getTaskInstanceById(db, 'ti-load'))?.state).toBeNull();
    expect((await q.listTaskInstances(db, { states: ['running', null], limit: 5 })).map((t) => t.task_id)).toEqual(['extract', 'load']);
    expect([...(await q.countActiveTaskInstancesByRun(db)).entries()]).toEqual([[q.runKey('etl', 'r1'), 1]]);
    const history = { task_instance_id: 'ti-extract', ...key('extract'), try_number: 1, start_date: NOW, end_date: LATER, duration: 2, state: 'failed' as const, max_tries: 2, hostname: 'h', operator: 'BashOperator', external_executor_id: null, error: 'exit 1' };
    await q.insertTaskInstanceHistory(db, history);
    await q.insertTaskInstanceHistory(db, history);
    expect(await q.listTaskInstanceHistory(db, key('extract'))).toEqual([{ id: expect.any(Number), ...history }]);
    await q.deleteTaskInstances(db, ['ti-load']);
    expect((await q.listTaskInstancesForRun(db, 'etl', 'r1')).map((t) => t.task_id)).toEqual(['extract']);
  });

  it('import errors, command log and jobs', async () => {
    const db = await factory.create();
    await q.replaceImportError(db, { filename: 'bad.yaml', stacktrace: 'line 1', timestamp: NOW });
    await q.replaceImportError(db, { filename: 'bad.yaml', stacktrace: 'line 2', timestamp: LATER });
    expect(await q.countImportErrors(db)).toBe(1);
    const [error] = await q.listImportErrors(db);
    expect(error).toMatchObject({ filename: 'bad.yaml', stacktrace: 'line 2', timestamp: LATER, bundle_name: 'dags-folder' });
    expect((await q.getImportError(db, error!.id))?.filename).toBe('bad.yaml');
    await q.deleteImportError(db, 'bad.yaml');
    expect(await q.countImportErrors(db)).toBe(0);

    const command = { id: 'c1', kind: 'trigger', dag_id: 'etl', payload: '{"conf":{}}', requested_by: 'cli', requested_at: NOW, applied_at: LATER, ok: true, message: null };
    expect(await q.insertCommandLog(db, command)).toBe(true);
    expect(await q.insertCommandLog(db, { ...command, ok: false })).toBe(false);
    expect(await q.getCommandLog(db, 'c1')).toMatchObject({ ok: true, applied_at: LATER });
    expect(JSON.parse((await q.listCommandLog(db))[0]!.payload)).toEqual({ conf: {} });

    await q.upsertJob(db, { job_type: 'scheduler', state: 'running', start_date: NOW, latest_heartbeat: NOW, hostname: 'h', last_duration: null });
    await q.upsertJob(db, { job_type: 'scheduler', state: 'success', start_date: NOW, latest_heartbeat: LATER, hostname: 'h', last_duration: 0.5 });
    expect(await q.getJob(db, 'scheduler')).toEqual({ job_type: 'scheduler', state: 'success', start_date: NOW, latest_heartbeat: LATER, hostname: 'h', last_duration: 0.5 });
  });
});
