/**
 * The REST API's clear, mark and backfill endpoints in-process, over a DAG parsed by a real tick, on both
 * backends (Postgres with TEST_DATABASE_URL): dry runs
 * list what would change and write nothing, real requests leave `cmd:*` records that the next tick
 * applies, and every answer matches Airflow 3.2's OpenAPI schemas.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../src/executor/protocol.js';
import type { createUiApp } from '../src/ui/server/app.js';
import { describeEachBackend } from './helpers/backends.js';
import { UiFixture } from './helpers/ui-fixtures.js';
import { loadOpenApiValidator, type OpenApiValidator } from './helpers/ui-openapi.js';

let schemas: OpenApiValidator;
beforeAll(() => {
  schemas = loadOpenApiValidator();
});

const MANIFEST = `ops:
  schedule: "@daily"
  start_date: 2024-01-01
  catchup: false
  is_paused_upon_creation: true
  tasks:
    extract:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: echo extract
    transform:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: echo transform
      retries: 2
      dependencies: [extract]
    load:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: echo load
      dependencies: [transform]
    report:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: echo report
      dependencies: [extract]
`;

const FAILED = 'scheduled__2024-01-02T00:00:00+00:00';
const GOOD = 'scheduled__2024-01-01T00:00:00+00:00';

describeEachBackend('operations API', (factory) => {
  let f: UiFixture;
  let app: ReturnType<typeof createUiApp>;
  let ticks: number;


  beforeEach(async () => {
    f = await UiFixture.create({ db: await factory.create() });
    fs.mkdirSync(path.join(f.volume, 'dags'), { recursive: true });
    fs.writeFileSync(path.join(f.volume, 'dags', 'ops.yaml'), MANIFEST);
    expect((await f.tick()).manifestsParsed).toBe(1);
    ticks = 0;
    // A request that needs the tick's answer (creating a backfill) gets a real tick, as the scheduler loop would run.
    app = f.app({
      requestTick: async () => {
        ticks++;
      },
    });
    // One good and one failed scheduled day (rows as the tick writes them).
    await f.run({ dag_id: 'ops', run_id: GOOD, state: 'success', logical_date: '2024-01-01T00:00:00.000Z', start_date: '2024-01-02T00:00:01.000Z', end_date: '2024-01-02T00:01:00.000Z' });
    await f.run({ dag_id: 'ops', run_id: FAILED, state: 'failed', logical_date: '2024-01-02T00:00:00.000Z', start_date: '2024-01-03T00:00:01.000Z', end_date: '2024-01-03T00:01:00.000Z' });
    for (const [runId, states] of [
      [GOOD, { extract: 'success', transform: 'success', load: 'success', report: 'success' }],
      [FAILED, { extract: 'success', transform: 'failed', load: 'upstream_failed', report: 'success' }],
    ] as const) {
      for (const [taskId, state] of Object.entries(states)) {
        await f.ti({ dag_id: 'ops', run_id: runId, task_id: taskId, state, try_number: taskId === 'transform' && state === 'failed' ? 3 : 1, max_tries: taskId === 'transform' ? 2 : 0 });
      }
    }
  });

  afterEach(async () => {
    await f.close();
  });

  async function call(url: string, method = 'GET', body?: unknown) {
    const response = await app.request(url, {
      method,
      headers: { Authorization: `Bearer ${f.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: JSON.parse(text) as Record<string, unknown> & { detail?: unknown } };
  }

  async function ok(schema: string, url: string, method = 'GET', body?: unknown) {
    const response = await call(url, method, body);
    expect(response.status, response.text).toBe(200);
    schemas.assertValid(schema, response.json);
    return response.json;
  }

  async function commands(): Promise<Command[]> {
    return (await f.dict.entries<Command>('cmd:')).map(([, c]) => c);
  }

  const keys = (json: Record<string, unknown>) =>
    (json.task_instances as Array<{ dag_run_id: string; task_id: string; state: string | null }>).map((t) => `${t.dag_run_id === FAILED ? 'failed' : 'good'}.${t.task_id}:${t.state}`);

  async function stateOf(runId: string): Promise<Record<string, string | null>> {
    const rows = await f.db.all<{ task_id: string; state: string | null }>('SELECT task_id, state FROM task_instance WHERE run_id = ? ORDER BY task_id', [runId]);
    return Object.fromEntries(rows.map((r) => [r.task_id, r.state]));
  }

  describe('POST /api/v2/dags/{dag_id}/clearTaskInstances', () => {
    it('dry-runs by default with only_failed (Airflow defaults), and changes nothing', async () => {
      const json = await ok('TaskInstanceCollectionResponse', '/api/v2/dags/ops/clearTaskInstances', 'POST', {});
      expect(keys(json)).toEqual(['failed.transform:failed', 'failed.load:upstream_failed']);
      const selected = await ok('TaskInstanceCollectionResponse', '/api/v2/dags/ops/clearTaskInstances', 'POST', {
        dag_run_id: GOOD,
        task_ids: ['extract'],
        include_downstream: true,
        only_failed: false,
      });
      expect(keys(selected).sort()).toEqual(['good.extract:success', 'good.load:success', 'good.report:success', 'good.transform:success']);
      const upstream = await ok('TaskInstanceCollectionResponse', '/api/v2/dags/ops/clearTaskInstances', 'POST', {
        task_ids: ['transform'],
        include_upstream: true,
        only_failed: false,
        start_date: '2024-01-02T00:00:00Z',
      });
      expect(keys(upstream).sort()).toEqual(['failed.extract:success', 'failed.transform:failed']);
      expect(await commands()).toEqual([]);
      expect(ticks).toBe(0);
    });

    it('clears for real through cmd:clear, and the next tick reruns the failed day', async () => {
      const json = await ok('TaskInstanceCollectionResponse', '/api/v2/dags/ops/clearTaskInstances', 'POST', { dry_run: false, dag_run_id: FAILED });
      expect(keys(json)).toEqual(['failed.transform:null', 'failed.load:null']);
      const [command] = await commands();
      expect(command).toMatchObject({ kind: 'clear', dag_id: 'ops', run_id: FAILED, only_failed: true, by: 'rest_api' });
      expect(ticks).toBe(1);
      expect((await f.tick()).commandsApplied).toBe(1);
      expect(await stateOf(FAILED)).toMatchObject({ extract: 'success', report: 'success', transform: null, load: null });
      const transform = await f.db.get<{ try_number: number; max_tries: number }>("SELECT try_number, max_tries FROM task_instance WHERE run_id = ? AND task_id = 'transform'", [FAILED]);
      // The try number keeps counting; max_tries grows by the task's retries.
      expect(transform).toEqual({ try_number: 3, max_tries: 5 });
      const run = await ok('DAGRunResponse', `/api/v2/dags/ops/dagRuns/${FAILED}`);
      expect(['queued', 'running']).toContain(run.state);
      // Unpaused, the next tick starts the run again and dispatches the cleared task (its next try).
      await ok('DAGResponse', '/api/v2/dags/ops', 'PATCH', { is_paused: false });
      await f.tick();
      expect((await ok('DAGRunResponse', `/api/v2/dags/ops/dagRuns/${FAILED}`)).state).toBe('running');
      expect(await stateOf(FAILED)).toMatchObject({ transform: 'queued', load: null });
      const rerun = await f.db.get<{ try_number: number }>("SELECT try_number FROM task_instance WHERE run_id = ? AND task_id = 'transform'", [FAILED]);
      expect(rerun?.try_number).toBe(4);
    });

    it('refuses unknown tasks (400), unknown runs and DAGs (404), bad bodies (422) and past/future (400)', async () => {
      expect((await call('/api/v2/dags/ops/clearTaskInstances', 'POST', { task_ids: ['nope'] })).status).toBe(400);
      expect((await call('/api/v2/dags/ops/clearTaskInstances', 'POST', { dag_run_id: 'nope' })).status).toBe(404);
      expect((await call('/api/v2/dags/nope/clearTaskInstances', 'POST', {})).status).toBe(404);
      const bad = await call('/api/v2/dags/ops/clearTaskInstances', 'POST', { dry_run: 'yes', colour: 1 });
      expect(bad.status).toBe(422);
      schemas.assertValid('HTTPValidationError', bad.json);
      const past = await call('/api/v2/dags/ops/clearTaskInstances', 'POST', { include_past: true });
      expect(past.status).toBe(400);
      expect(past.json.detail).toBe('Not supported by airflow-serverless: include_past');
      expect((await call('/api/v2/dags/ops/clearTaskInstances', 'POST', { reset_dag_runs: false })).json.detail).toBe(
        'Not supported by airflow-serverless: reset_dag_runs',
      );
      expect(await commands()).toEqual([]);
    });
  });

  describe('PATCH …/taskInstances/{task_id} (new_state) and its dry run', () => {
    const url = `/api/v2/dags/ops/dagRuns/${FAILED}/taskInstances/transform`;

    it('dry-runs a mark (the instances that change), then marks through cmd:set_state; the tick clears failed downstream', async () => {
      const dry = await ok('TaskInstanceCollectionResponse', `${url}/dry_run`, 'PATCH', { new_state: 'success' });
      expect(keys(dry)).toEqual(['failed.transform:failed']);
      const withDownstream = await ok('TaskInstanceCollectionResponse', `${url}/dry_run`, 'PATCH', { new_state: 'success', include_downstream: true });
      expect(keys(withDownstream)).toEqual(['failed.transform:failed', 'failed.load:upstream_failed']);
      // The map-index form names the unmapped instance as -1.
      expect(keys(await ok('TaskInstanceCollectionResponse', `${url}/-1/dry_run`, 'PATCH', { new_state: 'success' }))).toEqual(['failed.transform:failed']);
      expect(await commands()).toEqual([]);

      const marked = await ok('TaskInstanceCollectionResponse', url, 'PATCH', { new_state: 'success' });
      expect(keys(marked)).toEqual(['failed.transform:success']);
      expect((await commands())[0]).toMatchObject({ kind: 'set_state', run_id: FAILED, task_ids: ['transform'], state: 'success', by: 'rest_api' });
      expect((await f.tick()).commandsApplied).toBe(1);
      // Airflow's set_task_instance_state: the marked task's failed downstream task is cleared to run again.
      expect(await stateOf(FAILED)).toMatchObject({ transform: 'success', load: null });
    });

    it('marks one map index through the /{map_index} form', async () => {
      await ok('TaskInstanceCollectionResponse', `${url}/-1`, 'PATCH', { new_state: 'failed' });
      expect((await commands())[0]).toMatchObject({ kind: 'set_state', map_indexes: { transform: -1 }, state: 'failed' });
    });

    it('refuses a state Airflow refuses (422), an unknown instance (404), a note (400)', async () => {
      const bad = await call(url, 'PATCH', { new_state: 'running' });
      expect(bad.status).toBe(422);
      expect((bad.json.detail as Array<{ loc: string[] }>)[0]?.loc).toEqual(['body', 'new_state']);
      expect((await call(`/api/v2/dags/ops/dagRuns/${FAILED}/taskInstances/nope`, 'PATCH', { new_state: 'success' })).status).toBe(404);
      expect((await call(`${url}/4`, 'PATCH', { new_state: 'success' })).status).toBe(404);
      expect((await call(url, 'PATCH', { note: 'hi' })).status).toBe(400);
      expect((await call(`${url}?update_mask=colour`, 'PATCH', { new_state: 'success' })).status).toBe(400);
      expect(await commands()).toEqual([]);
    });
  });

  describe('PATCH /dags/{dag_id}/dagRuns/{run_id} and POST …/clear', () => {
    it('marks a run through cmd:set_state and answers it with its new state', async () => {
      const run = await ok('DAGRunResponse', `/api/v2/dags/ops/dagRuns/${FAILED}`, 'PATCH', { state: 'success' });
      expect(run).toMatchObject({ dag_run_id: FAILED, state: 'success' });
      expect((await commands())[0]).toMatchObject({ kind: 'set_state', run_id: FAILED, task_ids: null, state: 'success' });
      expect((await f.tick()).commandsApplied).toBe(1);
      expect((await ok('DAGRunResponse', `/api/v2/dags/ops/dagRuns/${FAILED}`)).state).toBe('success');
      const bad = await call(`/api/v2/dags/ops/dagRuns/${FAILED}`, 'PATCH', { state: 'running' });
      expect(bad.status).toBe(422);
      expect((await call('/api/v2/dags/ops/dagRuns/nope', 'PATCH', { state: 'failed' })).status).toBe(404);
    });

    it('clears a run: dry run (the default) lists its instances, a real one queues cmd:clear and answers the queued run', async () => {
      const dry = await call(`/api/v2/dags/ops/dagRuns/${FAILED}/clear`, 'POST', { only_failed: true });
      expect(dry.status).toBe(200);
      schemas.assertValid('TaskInstanceCollectionResponse', dry.json);
      expect(keys(dry.json)).toEqual(['failed.transform:failed', 'failed.load:upstream_failed']);
      const all = await ok('TaskInstanceCollectionResponse', `/api/v2/dags/ops/dagRuns/${FAILED}/clear`, 'POST', {});
      expect(keys(all)).toHaveLength(4);
      expect(await commands()).toEqual([]);

      const run = await ok('DAGRunResponse', `/api/v2/dags/ops/dagRuns/${FAILED}/clear`, 'POST', { dry_run: false });
      expect(run).toMatchObject({ state: 'queued', start_date: null, end_date: null });
      expect((await commands())[0]).toMatchObject({ kind: 'clear', run_id: FAILED, only_failed: false });
      expect((await f.tick()).commandsApplied).toBe(1);
      expect(Object.values(await stateOf(FAILED))).toEqual([null, null, null, null]);
    });
  });

  describe('/ui/plans (the page confirmations)', () => {
    it('lists what a mark changes and the failed downstream instances it clears; a run mark lists its unfinished ones', async () => {
      const plan = await call(`/ui/plans/dags/ops/dagRuns/${FAILED}/taskInstances/transform/mark?map_index=-1`, 'POST', { new_state: 'success' });
      expect(plan.status).toBe(200);
      expect(keys(plan.json)).toEqual(['failed.transform:failed']);
      expect(keys({ task_instances: plan.json.cleared })).toEqual(['failed.load:upstream_failed']);
      await f.run({ dag_id: 'ops', run_id: 'manual__1', state: 'running', run_type: 'manual', logical_date: null });
      await f.ti({ dag_id: 'ops', run_id: 'manual__1', task_id: 'extract', state: 'running' });
      await f.ti({ dag_id: 'ops', run_id: 'manual__1', task_id: 'transform', state: null });
      const run = await call('/ui/plans/dags/ops/dagRuns/manual__1/mark', 'POST', { state: 'failed' });
      expect((run.json.task_instances as Array<{ task_id: string; state: string | null }>).map((t) => `${t.task_id}:${t.state}`)).toEqual(['extract:running', 'transform:null']);
      expect((await call(`/ui/plans/dags/ops/dagRuns/${FAILED}/mark`, 'POST', { state: 'running' })).status).toBe(422);
      expect(await commands()).toEqual([]);
    });
  });

  describe('backfills', () => {
    const body = { dag_id: 'ops', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-05T00:00:00Z' };

    it('dry-runs the dates each reprocess behaviour would run', async () => {
      const dates = async (reprocess_behavior: string) =>
        ((await ok('DryRunBackfillCollectionResponse', '/api/v2/backfills/dry_run', 'POST', { ...body, reprocess_behavior })).backfills as Array<{ logical_date: string }>).map(
          (b) => b.logical_date.slice(0, 10),
        );
      expect(await dates('none')).toEqual(['2024-01-03', '2024-01-04', '2024-01-05']);
      expect(await dates('failed')).toEqual(['2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
      expect(await dates('completed')).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
      const backwards = await ok('DryRunBackfillCollectionResponse', '/api/v2/backfills/dry_run', 'POST', { ...body, run_backwards: true });
      expect((backwards.backfills as Array<{ logical_date: string }>)[0]?.logical_date).toBe('2024-01-05T00:00:00.000Z');
      expect(await commands()).toEqual([]);
    });

    it('creates one through cmd:backfill_create once a tick applies it, lists, gets, pauses and cancels it', async () => {
      app = f.app({
        requestTick: async () => {
          await f.tick();
        },
      });
      const created = await ok('BackfillResponse', '/api/v2/backfills', 'POST', { ...body, max_active_runs: 2, dag_run_conf: { k: 1 } });
      expect(created).toMatchObject({ dag_id: 'ops', reprocess_behavior: 'none', max_active_runs: 2, is_paused: false, completed_at: null, dag_run_conf: { k: 1 } });
      const runs = await f.db.all<{ run_id: string; run_type: string }>("SELECT run_id, run_type FROM dag_run WHERE run_type = 'backfill' ORDER BY run_id");
      expect(runs.map((r) => r.run_id)).toEqual([
        'backfill__2024-01-03T00:00:00+00:00',
        'backfill__2024-01-04T00:00:00+00:00',
        'backfill__2024-01-05T00:00:00+00:00',
      ]);
      const list = await ok('BackfillCollectionResponse', '/api/v2/backfills?dag_id=ops');
      expect(list.total_entries).toBe(1);
      const id = created.id as number;
      expect(await ok('BackfillResponse', `/api/v2/backfills/${id}`)).toMatchObject({ id, dag_id: 'ops' });

      // Only one active backfill per DAG (409).
      expect((await call('/api/v2/backfills', 'POST', body)).status).toBe(409);

      expect(await ok('BackfillResponse', `/api/v2/backfills/${id}/pause`, 'PUT')).toMatchObject({ is_paused: true });
      expect((await ok('BackfillResponse', `/api/v2/backfills/${id}`)).is_paused).toBe(true);
      expect(await ok('BackfillResponse', `/api/v2/backfills/${id}/unpause`, 'PUT')).toMatchObject({ is_paused: false });
      const cancelled = await ok('BackfillResponse', `/api/v2/backfills/${id}/cancel`, 'PUT');
      expect(cancelled.completed_at).not.toBeNull();
      expect((await ok('BackfillResponse', `/api/v2/backfills/${id}`)).completed_at).not.toBeNull();
      expect((await call(`/api/v2/backfills/${id}/pause`, 'PUT')).status).toBe(409);
    });

    it('answers 503 when no tick applies the create in time, and validates (422/404/400)', async () => {
      app = f.app({ requestTick: async () => {}, commandResultTimeoutMs: 50 });
      const queued = await call('/api/v2/backfills', 'POST', body);
      expect(queued.status).toBe(503);
      expect((await commands())[0]).toMatchObject({ kind: 'backfill_create', dag_id: 'ops', reprocess_behavior: 'none' });
      expect((await call('/api/v2/backfills', 'GET')).status).toBe(422);
      expect((await call('/api/v2/backfills/77', 'GET')).status).toBe(404);
      expect((await call('/api/v2/backfills/x', 'GET')).status).toBe(422);
      const missing = await call('/api/v2/backfills/dry_run', 'POST', { dag_id: 'ops' });
      expect(missing.status).toBe(422);
      expect((missing.json.detail as Array<{ loc: string[] }>).map((i) => i.loc.join('.'))).toEqual(['body.from_date', 'body.to_date']);
      const reversed = await call('/api/v2/backfills/dry_run', 'POST', { ...body, from_date: '2024-02-01T00:00:00Z' });
      expect(reversed.status).toBe(400);
      expect((await call('/api/v2/backfills/dry_run', 'POST', { ...body, dag_id: 'nope' })).status).toBe(404);
    });
  });
});
