/**
 * The REST API in-process (hono's app.request) over a real migrated SQLite file: every endpoint, its
 * filters and errors, and each response checked against Airflow 3.2's OpenAPI schemas.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandKey, type Command } from '../src/executor/protocol.js';
import type { createUiApp } from '../src/ui/server/app.js';
import { insertTaskInstanceHistory } from '../src/db/queries/task-instance-history.js';
import { triggerCommandId } from '../src/ui/server/commands.js';
import { FIXTURE_NOW, UiFixture } from './helpers/ui-fixtures.js';
import { datetimeStrings, loadOpenApiValidator, type OpenApiValidator } from './helpers/ui-openapi.js';

let schemas: OpenApiValidator;
beforeAll(() => {
  schemas = loadOpenApiValidator();
});

let f: UiFixture;
let app: ReturnType<typeof createUiApp>;
let tickRequests: number;
/** Every body the server sent in a test: none may carry a secret. */
let bodies: string[];

beforeEach(async () => {
  f = await UiFixture.create();
  tickRequests = 0;
  bodies = [];
  app = f.app({
    requestTick: async () => {
      tickRequests++;
    },
  });
});

afterEach(async () => {
  for (const body of bodies) {
    expect(body).not.toContain(f.token);
    expect(body).not.toContain('secret-dispatch-token');
  }
  await f.close();
});

async function call(path: string, init: RequestInit & { auth?: string | null } = {}) {
  const { auth, ...rest } = init;
  const headers = new Headers(rest.headers);
  const token = auth === undefined ? f.token : auth;
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  const response = await app.request(path, { ...rest, headers });
  const text = await response.text();
  bodies.push(text);
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as Record<string, unknown> & { detail?: unknown } };
}

async function get(path: string, schema?: string) {
  const response = await call(path);
  if (schema) {
    expect(response.status, response.text).toBe(200);
    schemas.assertValid(schema, response.json);
    for (const value of datetimeStrings(response.json)) expect(value).toMatch(/Z$/);
  }
  return response;
}

const jsonBody = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

async function commands(): Promise<Command[]> {
  return (await f.dict.entries<Command>('cmd:')).map(([, c]) => c);
}

/** Two DAGs with runs, task instances, logs and XComs; a paused third; an import error. */
async function seed(): Promise<void> {
  await f.dag({ dag_id: 'etl', tags: ['prod', 'daily'], owners: 'data, ops', description: 'Extract and load' });
  await f.dag({ dag_id: 'reports', tags: ['prod'], tasks: [['build', []]] });
  await f.dag({ dag_id: 'paused_dag', is_paused: true, tags: ['dev'] });
  await f.run({
    dag_id: 'etl',
    run_id: 'scheduled__2024-01-01T00:00:00+00:00',
    logical_date: '2024-01-01T00:00:00.000Z',
    start_date: '2024-01-01T00:00:05.000Z',
    end_date: '2024-01-01T00:01:05.000Z',
    state: 'success',
  });
  await f.run({
    dag_id: 'etl',
    run_id: 'scheduled__2024-01-02T00:00:00+00:00',
    logical_date: '2024-01-02T00:00:00.000Z',
    start_date: '2024-01-02T00:00:05.000Z',
    end_date: '2024-01-02T00:00:35.000Z',
    state: 'failed',
  });
  await f.run({
    dag_id: 'reports',
    run_id: 'manual__2024-01-03T00:00:00+00:00',
    logical_date: '2024-01-03T00:00:00.000Z',
    state: 'running',
    run_type: 'manual',
    triggered_by: 'cli',
    conf: { x: 1 },
    start_date: '2024-01-03T00:00:01.000Z',
  });
  await f.ti({
    dag_id: 'etl',
    run_id: 'scheduled__2024-01-01T00:00:00+00:00',
    task_id: 'extract',
    start_date: '2024-01-01T00:00:05.000Z',
    end_date: '2024-01-01T00:00:15.000Z',
  });
  await f.ti({ dag_id: 'etl', run_id: 'scheduled__2024-01-01T00:00:00+00:00', task_id: 'load' });
  await f.ti({
    dag_id: 'etl',
    run_id: 'scheduled__2024-01-02T00:00:00+00:00',
    task_id: 'extract',
    state: 'failed',
    try_number: 2,
    max_tries: 1,
  });
  await f.ti({ dag_id: 'etl', run_id: 'scheduled__2024-01-02T00:00:00+00:00', task_id: 'load', state: 'upstream_failed', try_number: 0 });
  await f.ti({ dag_id: 'reports', run_id: 'manual__2024-01-03T00:00:00+00:00', task_id: 'build', state: null, try_number: 0 });
}

describe('authentication', () => {
  it('answers 401 without a token or with a wrong one, and 200 with the bearer token', async () => {
    const none = await call('/api/v2/dags', { auth: null });
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ detail: 'Not authenticated' });
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    schemas.assertValid('HTTPExceptionResponse', none.json);
    expect((await call('/api/v2/dags', { auth: 'wrong-token' })).status).toBe(401);
    expect((await call('/api/v2/dags', { auth: `${f.token}x` })).status).toBe(401);
    expect((await call('/ui/dags', { auth: null })).status).toBe(401);
    expect((await call('/api/v2/dags')).status).toBe(200);
  });

  it('keeps the health probe open, and the page and its assets closed', async () => {
    expect((await call('/api/v2/monitor/health', { auth: null })).status).toBe(200);
    const page = await call('/', { auth: null });
    expect(page.status).toBe(401);
    expect(page.text).toContain('open the link printed by `airflow-serverless ui`');
    expect((await call('/assets/app.js', { auth: null })).status).toBe(401);
    expect((await call('/api/v2/version', { auth: null })).status).toBe(401);
  });

  it('logs a browser in once from the link: cookie set, redirect to / without the token', async () => {
    const login = await app.request(`/?token=${f.token}`);
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(f.token);
    const cookie = setCookie.split(';')[0]!;

    const withCookie = await app.request('/api/v2/dags', { headers: { Cookie: cookie } });
    expect(withCookie.status).toBe(200);
    const page = await app.request('/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/app.js');
    // The same link again with the cookie just goes home; without it (another browser) it is refused.
    expect((await app.request(`/?token=${f.token}`, { headers: { Cookie: cookie } })).status).toBe(302);
    const reused = await app.request(`/?token=${f.token}`);
    expect(reused.status).toBe(401);
    expect(reused.headers.get('set-cookie')).toBeNull();
    // A forged cookie does nothing.
    expect((await app.request('/api/v2/dags', { headers: { Cookie: `${cookie.split('=')[0]}=forged` } })).status).toBe(401);
  });

  it('refuses a link with a wrong token and sets no cookie', async () => {
    const response = await app.request('/?token=not-the-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
    // The right link still works afterwards.
    expect((await app.request(`/?token=${f.token}`)).status).toBe(302);
  });

  it('records writes made with the cookie as by: ui', async () => {
    await f.dag({ dag_id: 'etl' });
    const login = await app.request(`/?token=${f.token}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const response = await app.request('/api/v2/dags/etl/dagRuns', {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { triggered_by: string }).triggered_by).toBe('ui');
    expect((await commands())[0]?.by).toBe('ui');
  });

  it('sends a restrictive content security policy and no-store on the API', async () => {
    const response = await call('/api/v2/dags');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('GET /api/v2/dags', () => {
  it('lists DAGs with their tags and owners (DAGCollectionResponse)', async () => {
    await seed();
    const { json } = await get('/api/v2/dags', 'DAGCollectionResponse');
    expect(json.total_entries).toBe(3);
    const dags = json.dags as Array<Record<string, unknown>>;
    expect(dags.map((d) => d.dag_id)).toEqual(['etl', 'paused_dag', 'reports']);
    expect(dags[0]).toMatchObject({
      dag_display_name: 'etl',
      is_paused: false,
      owners: ['data', 'ops'],
      description: 'Extract and load',
      timetable_summary: '0 0 * * *',
      tags: [
        { name: 'daily', dag_id: 'etl', dag_display_name: 'etl' },
        { name: 'prod', dag_id: 'etl', dag_display_name: 'etl' },
      ],
    });
  });

  it('pages with limit (default 50, capped at 100) and offset', async () => {
    for (let i = 0; i < 120; i++) await f.dag({ dag_id: `dag_${String(i).padStart(3, '0')}` });
    const first = await get('/api/v2/dags', 'DAGCollectionResponse');
    expect((first.json.dags as unknown[]).length).toBe(50);
    expect(first.json.total_entries).toBe(120);
    const capped = await get('/api/v2/dags?limit=500', 'DAGCollectionResponse');
    expect((capped.json.dags as unknown[]).length).toBe(100);
    const page = await get('/api/v2/dags?limit=5&offset=115');
    expect((page.json.dags as Array<{ dag_id: string }>).map((d) => d.dag_id)).toEqual([
      'dag_115',
      'dag_116',
      'dag_117',
      'dag_118',
      'dag_119',
    ]);
    expect(page.json.total_entries).toBe(120);
  });

  it('orders by order_by, `-` for descending', async () => {
    await seed();
    const desc = await get('/api/v2/dags?order_by=-dag_id');
    expect((desc.json.dags as Array<{ dag_id: string }>).map((d) => d.dag_id)).toEqual(['reports', 'paused_dag', 'etl']);
    const bad = await get('/api/v2/dags?order_by=password');
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toBe("Ordering with 'password' is disallowed or the attribute does not exist on the model");
  });

  it('filters by paused, dag_id_pattern (LIKE wildcards and |), tags and stale', async () => {
    await seed();
    await f.dag({ dag_id: 'gone', is_stale: true });
    const ids = async (query: string) =>
      ((await get(`/api/v2/dags?${query}`, 'DAGCollectionResponse')).json.dags as Array<{ dag_id: string }>).map((d) => d.dag_id);
    expect(await ids('paused=true')).toEqual(['paused_dag']);
    expect(await ids('paused=false')).toEqual(['etl', 'reports']);
    expect(await ids('dag_id_pattern=rep')).toEqual(['reports']);
    expect(await ids('dag_id_pattern=e_l')).toEqual(['etl']);
    expect(await ids('dag_id_pattern=%25ort%25')).toEqual(['reports']);
    expect(await ids(`dag_id_pattern=${encodeURIComponent('etl | paused')}`)).toEqual(['etl', 'paused_dag']);
    expect(await ids('tags=dev&tags=daily')).toEqual(['etl', 'paused_dag']);
    expect(await ids('tags=prod&tags=daily&tags_match_mode=all')).toEqual(['etl']);
    expect(await ids('exclude_stale=false')).toContain('gone');
    expect(await ids('')).not.toContain('gone');
  });

  it('answers 422 with pydantic-shaped issues for bad query values', async () => {
    const response = await get('/api/v2/dags?limit=abc&paused=maybe&offset=-1');
    expect(response.status).toBe(422);
    schemas.assertValid('HTTPValidationError', response.json);
    const issues = response.json.detail as Array<{ type: string; loc: string[]; input: unknown }>;
    expect(issues.map((i) => [i.type, i.loc])).toEqual(
      expect.arrayContaining([
        ['int_parsing', ['query', 'limit']],
        ['bool_parsing', ['query', 'paused']],
        ['greater_than_equal', ['query', 'offset']],
      ]),
    );
    expect(issues.find((i) => i.loc[1] === 'limit')?.input).toBe('abc');
  });
});

describe('GET and PATCH /api/v2/dags/{dag_id}', () => {
  it('returns one DAG (DAGResponse) or 404', async () => {
    await seed();
    const { json } = await get('/api/v2/dags/etl', 'DAGResponse');
    expect(json.dag_id).toBe('etl');
    const missing = await get('/api/v2/dags/nope');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ detail: 'The Dag with ID: `nope` was not found' });
  });

  it('pauses through a cmd:pause record and answers the DAG with the new value', async () => {
    await seed();
    const response = await call('/api/v2/dags/etl', jsonBody({ is_paused: true }, 'PATCH'));
    expect(response.status).toBe(200);
    schemas.assertValid('DAGResponse', response.json);
    expect(response.json.is_paused).toBe(true);
    const [command, ...rest] = await commands();
    expect(rest).toEqual([]);
    expect(command).toMatchObject({ kind: 'pause', dag_id: 'etl', by: 'rest_api', requested_at: FIXTURE_NOW });
    expect(command?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await f.dict.get(commandKey(command!.id))).toEqual(command);
    expect(tickRequests).toBe(1);
    // Until the tick applies it, reads show the requested value (the database still says unpaused).
    expect((await get('/api/v2/dags/etl')).json.is_paused).toBe(true);
    expect((await get('/api/v2/dags?paused=false')).json.dags).toEqual(
      expect.arrayContaining([expect.objectContaining({ dag_id: 'etl', is_paused: true })]),
    );

    const unpause = await call('/api/v2/dags/paused_dag', jsonBody({ is_paused: false }, 'PATCH'));
    expect(unpause.json.is_paused).toBe(false);
    expect((await commands()).map((c) => [c.kind, 'dag_id' in c ? c.dag_id : null])).toEqual(
      expect.arrayContaining([
        ['pause', 'etl'],
        ['unpause', 'paused_dag'],
      ]),
    );
  });

  it('validates the body: extra fields, missing or non-boolean is_paused, non-JSON (422)', async () => {
    await seed();
    const extra = await call('/api/v2/dags/etl', jsonBody({ is_paused: true, owners: 'me' }, 'PATCH'));
    expect(extra.status).toBe(422);
    schemas.assertValid('HTTPValidationError', extra.json);
    expect(extra.json.detail).toEqual([{ type: 'extra_forbidden', loc: ['body', 'owners'], msg: 'Extra inputs are not permitted', input: 'me' }]);
    const missing = await call('/api/v2/dags/etl', jsonBody({}, 'PATCH'));
    expect((missing.json.detail as Array<{ type: string; loc: string[] }>)[0]).toMatchObject({ type: 'missing', loc: ['body', 'is_paused'] });
    const wrongType = await call('/api/v2/dags/etl', jsonBody({ is_paused: 'yes' }, 'PATCH'));
    expect((wrongType.json.detail as Array<{ type: string }>)[0]?.type).toBe('bool_type');
    const notJson = await call('/api/v2/dags/etl', { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(422);
    expect((notJson.json.detail as Array<{ type: string }>)[0]?.type).toBe('json_invalid');
    const form = await call('/api/v2/dags/etl', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'is_paused=true',
    });
    expect(form.status).toBe(422);
    expect(await commands()).toEqual([]);
  });

  it('answers 404 for an unknown DAG and 400 for an update_mask without is_paused', async () => {
    await seed();
    expect((await call('/api/v2/dags/nope', jsonBody({ is_paused: true }, 'PATCH'))).status).toBe(404);
    const mask = await call('/api/v2/dags/etl?update_mask=description', jsonBody({ is_paused: true }, 'PATCH'));
    expect(mask.status).toBe(400);
    expect((await call('/api/v2/dags/etl?update_mask=is_paused', jsonBody({ is_paused: true }, 'PATCH'))).status).toBe(200);
    expect((await commands()).length).toBe(1);
  });
});

describe('GET /api/v2/dags/{dag_id}/tasks', () => {
  it('lists the DAG tasks with downstream ids (TaskCollectionResponse)', async () => {
    await f.dag({ dag_id: 'etl', tasks: [['extract', []], ['transform', ['extract']], ['load', ['transform']]] });
    const { json } = await get('/api/v2/dags/etl/tasks', 'TaskCollectionResponse');
    expect(json.total_entries).toBe(3);
    const tasks = json.tasks as Array<{ task_id: string; downstream_task_ids: string[]; operator_name: string }>;
    expect(tasks.map((t) => [t.task_id, t.downstream_task_ids])).toEqual([
      ['extract', ['transform']],
      ['load', []],
      ['transform', ['load']],
    ]);
    expect(tasks[0]?.operator_name).toBe('BashOperator');
    await get('/api/v2/dags/etl/tasks/load', 'TaskResponse');
    expect((await get('/api/v2/dags/etl/tasks/nope')).status).toBe(404);
    expect((await get('/api/v2/dags/nope/tasks')).status).toBe(404);
  });
});

describe('GET /api/v2/dags/{dag_id}/dagRuns', () => {
  it('lists one DAG runs (DAGRunCollectionResponse) with duration and conf', async () => {
    await seed();
    const { json } = await get('/api/v2/dags/etl/dagRuns', 'DAGRunCollectionResponse');
    expect(json.total_entries).toBe(2);
    const runs = json.dag_runs as Array<Record<string, unknown>>;
    expect(runs.map((r) => r.dag_run_id)).toEqual(['scheduled__2024-01-01T00:00:00+00:00', 'scheduled__2024-01-02T00:00:00+00:00']);
    expect(runs[0]).toMatchObject({
      dag_id: 'etl',
      state: 'success',
      run_type: 'scheduled',
      logical_date: '2024-01-01T00:00:00.000Z',
      duration: 60,
      conf: {},
      dag_versions: [],
    });
  });

  it('uses ~ for every DAG, and filters by state, dates and run_id_pattern', async () => {
    await seed();
    const all = await get('/api/v2/dags/~/dagRuns', 'DAGRunCollectionResponse');
    expect(all.json.total_entries).toBe(3);
    const runIds = async (query: string) =>
      ((await get(`/api/v2/dags/~/dagRuns?${query}`, 'DAGRunCollectionResponse')).json.dag_runs as Array<{ dag_run_id: string }>).map(
        (r) => r.dag_run_id,
      );
    expect(await runIds('state=failed&state=running')).toEqual([
      'scheduled__2024-01-02T00:00:00+00:00',
      'manual__2024-01-03T00:00:00+00:00',
    ]);
    expect(await runIds('logical_date_gte=2024-01-02T00:00:00Z&logical_date_lte=2024-01-02T23:59:59Z')).toEqual([
      'scheduled__2024-01-02T00:00:00+00:00',
    ]);
    expect(await runIds(`logical_date_gt=${encodeURIComponent('2024-01-02T00:00:00+00:00')}`)).toEqual(['manual__2024-01-03T00:00:00+00:00']);
    expect(await runIds('run_after_lt=2024-01-02T00:00:00Z')).toEqual(['scheduled__2024-01-01T00:00:00+00:00']);
    expect(await runIds('start_date_gte=2024-01-02T00:00:00Z&end_date_lte=2024-01-03T00:00:00Z')).toEqual([
      'scheduled__2024-01-02T00:00:00+00:00',
    ]);
    expect(await runIds('run_id_pattern=manual')).toEqual(['manual__2024-01-03T00:00:00+00:00']);
    expect(await runIds('dag_id_pattern=rep')).toEqual(['manual__2024-01-03T00:00:00+00:00']);
    expect(await runIds('run_type=manual')).toEqual(['manual__2024-01-03T00:00:00+00:00']);
  });

  it('orders and pages', async () => {
    await seed();
    const page = await get('/api/v2/dags/~/dagRuns?order_by=-logical_date&limit=2&offset=0');
    expect((page.json.dag_runs as Array<{ dag_run_id: string }>).map((r) => r.dag_run_id)).toEqual([
      'manual__2024-01-03T00:00:00+00:00',
      'scheduled__2024-01-02T00:00:00+00:00',
    ]);
    expect(page.json.total_entries).toBe(3);
    const byDuration = await get('/api/v2/dags/etl/dagRuns?order_by=duration');
    expect((byDuration.json.dag_runs as Array<{ duration: number }>).map((r) => r.duration)).toEqual([30, 60]);
    expect((await get('/api/v2/dags/etl/dagRuns?order_by=nope')).status).toBe(400);
  });

  it('answers 404 for an unknown DAG and 422 for a bad date', async () => {
    expect((await get('/api/v2/dags/nope/dagRuns')).status).toBe(404);
    await seed();
    const bad = await get('/api/v2/dags/etl/dagRuns?logical_date_gte=yesterday');
    expect(bad.status).toBe(422);
    expect((bad.json.detail as Array<{ loc: string[] }>)[0]?.loc).toEqual(['query', 'logical_date_gte']);
  });

  it('GET one run (DAGRunResponse), 404 for an unknown run', async () => {
    await seed();
    const { json } = await get('/api/v2/dags/reports/dagRuns/manual__2024-01-03T00:00:00+00:00', 'DAGRunResponse');
    expect(json).toMatchObject({ state: 'running', conf: { x: 1 }, triggered_by: 'cli', end_date: null, duration: null });
    const missing = await get('/api/v2/dags/reports/dagRuns/nope');
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe('The DagRun with dag_id: `reports` and run_id: `nope` was not found');
  });
});

describe('POST /api/v2/dags/{dag_id}/dagRuns/list', () => {
  const listed = async (dagId: string, body: unknown) => {
    const response = await call(`/api/v2/dags/${dagId}/dagRuns/list`, jsonBody(body));
    expect(response.status, response.text).toBe(200);
    schemas.assertValid('DAGRunCollectionResponse', response.json);
    return {
      ids: (response.json.dag_runs as Array<{ dag_run_id: string }>).map((r) => r.dag_run_id),
      total: response.json.total_entries,
    };
  };

  it('filters every DAG (~) by dag_ids, states, date and duration bounds, conf text; orders and pages', async () => {
    await seed();
    expect((await listed('~', {})).total).toBe(3);
    expect((await listed('~', { dag_ids: ['reports'] })).ids).toEqual(['manual__2024-01-03T00:00:00+00:00']);
    expect((await listed('~', { states: ['failed', 'running'] })).ids).toEqual([
      'scheduled__2024-01-02T00:00:00+00:00',
      'manual__2024-01-03T00:00:00+00:00',
    ]);
    expect((await listed('~', { logical_date_gte: '2024-01-02T00:00:00Z', logical_date_lt: '2024-01-03T00:00:00Z' })).ids).toEqual([
      'scheduled__2024-01-02T00:00:00+00:00',
    ]);
    expect((await listed('~', { duration_gt: 45 })).ids).toEqual(['scheduled__2024-01-01T00:00:00+00:00']);
    expect((await listed('~', { conf_contains: '"x"' })).ids).toEqual(['manual__2024-01-03T00:00:00+00:00']);
    const page = await listed('~', { order_by: '-logical_date', page_limit: 2, page_offset: 1 });
    expect(page).toEqual({ ids: ['scheduled__2024-01-02T00:00:00+00:00', 'scheduled__2024-01-01T00:00:00+00:00'], total: 3 });
    // A DAG id in the path narrows to that DAG.
    expect((await listed('etl', {})).total).toBe(2);
  });

  it('answers 422 for unknown fields or bad values, 404 for an unknown DAG, 400 for a bad order_by', async () => {
    await seed();
    const bad = await call('/api/v2/dags/~/dagRuns/list', jsonBody({ states: ['done'], page_limit: -1, colour: 'red' }));
    expect(bad.status).toBe(422);
    schemas.assertValid('HTTPValidationError', bad.json);
    expect((bad.json.detail as Array<{ loc: string[] }>).map((i) => i.loc.join('.')).sort()).toEqual([
      'body.colour',
      'body.page_limit',
      'body.states',
    ]);
    expect((await call('/api/v2/dags/nope/dagRuns/list', jsonBody({}))).status).toBe(404);
    expect((await call('/api/v2/dags/~/dagRuns/list', jsonBody({ order_by: 'colour' }))).status).toBe(400);
  });
});

describe('GET .../taskInstances/{task_id}/tries', () => {
  it('lists every try oldest first (TaskInstanceHistoryCollectionResponse): history, then the live row for its try', async () => {
    await seed();
    const runId = 'scheduled__2024-01-02T00:00:00+00:00';
    const [row] = await f.db.all<{ id: string }>("SELECT id FROM task_instance WHERE task_id = 'extract' AND state = 'failed'");
    for (const tryNumber of [1, 2]) {
      await insertTaskInstanceHistory(f.db, {
        task_instance_id: row!.id,
        dag_id: 'etl',
        task_id: 'extract',
        run_id: runId,
        map_index: -1,
        try_number: tryNumber,
        start_date: `2024-01-02T00:0${tryNumber}:00.000Z`,
        end_date: `2024-01-02T00:0${tryNumber}:30.000Z`,
        duration: 30,
        state: 'failed',
        max_tries: 1,
        hostname: 'worker-1',
        operator: 'BashOperator',
        external_executor_id: null,
        error: 'boom',
      });
    }
    const { json } = await get(`/api/v2/dags/etl/dagRuns/${runId}/taskInstances/extract/tries`, 'TaskInstanceHistoryCollectionResponse');
    const tries = json.task_instances as Array<Record<string, unknown>>;
    expect(json.total_entries).toBe(2);
    expect(tries.map((t) => [t.try_number, t.state, t.hostname])).toEqual([
      [1, 'failed', 'worker-1'],
      // The live row (try 2) replaces the history row of the same try.
      [2, 'failed', 'localhost'],
    ]);
    const mapped = await get(`/api/v2/dags/etl/dagRuns/${runId}/taskInstances/extract/-1/tries`, 'TaskInstanceHistoryCollectionResponse');
    expect(mapped.json.total_entries).toBe(2);
    expect((await get(`/api/v2/dags/etl/dagRuns/${runId}/taskInstances/nope/tries`)).status).toBe(404);
    expect((await get(`/api/v2/dags/etl/dagRuns/${runId}/taskInstances/extract/3/tries`)).status).toBe(404);
  });
});

describe('POST /api/v2/dags/{dag_id}/dagRuns', () => {
  it("refuses a conf that breaks a param's schema, naming the param, and queues nothing", async () => {
    await f.dag({ dag_id: 'typed', spec: { params: { n: 1 }, params_schema: { n: { type: 'integer', minimum: 1 } } } });
    const response = await call('/api/v2/dags/typed/dagRuns', jsonBody({ conf: { n: 'many' } }));
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ detail: 'Invalid input for param n: must be integer (got "many")' });
    expect(await commands()).toEqual([]);
    expect((await call('/api/v2/dags/typed/dagRuns', jsonBody({ conf: { n: 3 } }))).status).toBe(200);
  });

  it('answers the queued run it will create and records a cmd:trigger', async () => {
    await seed();
    const response = await call('/api/v2/dags/etl/dagRuns', jsonBody({ conf: { date: '2024-05-01' }, note: 'by hand' }));
    expect(response.status).toBe(200);
    schemas.assertValid('DAGRunResponse', response.json);
    expect(response.json).toMatchObject({
      dag_run_id: 'manual__2024-03-01T12:00:00+00:00',
      dag_id: 'etl',
      state: 'queued',
      run_type: 'manual',
      logical_date: null,
      run_after: FIXTURE_NOW,
      queued_at: FIXTURE_NOW,
      start_date: null,
      conf: { date: '2024-05-01' },
      note: 'by hand',
      triggered_by: 'rest_api',
    });
    const [command] = await commands();
    expect(command).toEqual({
      id: triggerCommandId('etl', 'manual__2024-03-01T12:00:00+00:00'),
      kind: 'trigger',
      dag_id: 'etl',
      run_id: 'manual__2024-03-01T12:00:00+00:00',
      conf: { date: '2024-05-01' },
      logical_date: null,
      note: 'by hand',
      requested_at: FIXTURE_NOW,
      by: 'rest_api',
    });
    expect(tickRequests).toBe(1);
    // Until the tick creates it, the run is visible as queued.
    const pending = await get('/api/v2/dags/etl/dagRuns/manual__2024-03-01T12:00:00+00:00', 'DAGRunResponse');
    expect(pending.json.state).toBe('queued');
  });

  it('derives run id, data interval and run_after from a logical date', async () => {
    await seed();
    const response = await call('/api/v2/dags/etl/dagRuns', jsonBody({ logical_date: '2024-02-10T06:30:00+02:00', conf: {} }));
    expect(response.status).toBe(200);
    schemas.assertValid('DAGRunResponse', response.json);
    expect(response.json).toMatchObject({
      dag_run_id: 'manual__2024-02-10T04:30:00+00:00',
      logical_date: '2024-02-10T04:30:00.000Z',
      // Airflow 3's cron trigger timetable: a zero-length interval at the logical date.
      data_interval_start: '2024-02-10T04:30:00.000Z',
      data_interval_end: '2024-02-10T04:30:00.000Z',
      run_after: '2024-02-10T04:30:00.000Z',
    });
    expect((await commands())[0]).toMatchObject({ logical_date: '2024-02-10T04:30:00.000Z', conf: {} });
  });

  it('gives a body with an explicit "logical_date": null no logical date and no data interval', async () => {
    await seed();
    const response = await call('/api/v2/dags/etl/dagRuns', jsonBody({ logical_date: null }));
    expect(response.status).toBe(200);
    schemas.assertValid('DAGRunResponse', response.json);
    expect(response.json).toMatchObject({ logical_date: null, data_interval_start: null, data_interval_end: null, run_after: FIXTURE_NOW });
    expect((await commands())[0]).toMatchObject({ kind: 'trigger', logical_date: null });
  });

  it('answers 400, not 500, for a body nested 100,000 levels deep or over 1 MiB, and records nothing', async () => {
    await seed();
    const deep = `{"conf": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const nested = await call('/api/v2/dags/etl/dagRuns', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: deep });
    expect(nested.status).toBe(400);
    expect(nested.json.detail).toBe('Request body nested too deeply; the limit is 64 levels');
    const big = await call('/api/v2/dags/etl/dagRuns', jsonBody({ conf: { blob: 'x'.repeat(1_100_000) } }));
    expect(big.status).toBe(400);
    expect(String(big.json.detail)).toMatch(/^Request body too large: \d+ bytes; the limit is 1048576$/);
    // Brackets inside strings are not nesting.
    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ conf: { text: '['.repeat(1000) } }))).status).toBe(200);
    expect((await commands()).length).toBe(1);
  });

  it("answers 400 for a run id of '.' or '..' (they name folders) and records nothing", async () => {
    await seed();
    for (const runId of ['.', '..']) {
      const response = await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: runId }));
      expect(response.status, runId).toBe(400);
      expect(String(response.json.detail)).toContain("'.' and '..' name folders");
    }
    expect(await commands()).toEqual([]);
  });

  it('answers 409 for a run id or logical date that exists or is already pending', async () => {
    await seed();
    const existingId = await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'scheduled__2024-01-01T00:00:00+00:00' }));
    expect(existingId.status).toBe(409);
    schemas.assertValid('HTTPExceptionResponse', existingId.json);
    const existingDate = await call('/api/v2/dags/etl/dagRuns', jsonBody({ logical_date: '2024-01-02T00:00:00Z' }));
    expect(existingDate.status).toBe(409);
    expect(await commands()).toEqual([]);

    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'mine', logical_date: '2024-06-01T00:00:00Z' }))).status).toBe(200);
    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'mine' }))).status).toBe(409);
    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ logical_date: '2024-06-01T00:00:00Z' }))).status).toBe(409);
    // The same run id in another DAG is fine.
    expect((await call('/api/v2/dags/reports/dagRuns', jsonBody({ dag_run_id: 'mine' }))).status).toBe(200);
    expect((await commands()).length).toBe(2);
  });

  it('accepts exactly one of two concurrent identical triggers', async () => {
    await seed();
    const results = await Promise.all([
      call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'race' })),
      call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'race' })),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await commands()).length).toBe(1);
  });

  it('validates the body (422), the run id (400) and the DAG (404)', async () => {
    await seed();
    const extra = await call('/api/v2/dags/etl/dagRuns', jsonBody({ conf: {}, execution_date: '2024-01-01T00:00:00Z' }));
    expect(extra.status).toBe(422);
    expect((extra.json.detail as Array<{ type: string; loc: string[] }>)[0]).toMatchObject({
      type: 'extra_forbidden',
      loc: ['body', 'execution_date'],
    });
    const conf = await call('/api/v2/dags/etl/dagRuns', jsonBody({ conf: [1, 2] }));
    expect((conf.json.detail as Array<{ type: string }>)[0]?.type).toBe('dict_type');
    const naive = await call('/api/v2/dags/etl/dagRuns', jsonBody({ logical_date: '2024-01-01T00:00:00' }));
    expect((naive.json.detail as Array<{ type: string }>)[0]?.type).toBe('timezone_aware');
    const interval = await call('/api/v2/dags/etl/dagRuns', jsonBody({ data_interval_start: '2024-01-01T00:00:00Z' }));
    expect(interval.status).toBe(422);
    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'bad id/with slash' }))).status).toBe(400);
    expect((await call('/api/v2/dags/etl/dagRuns', jsonBody({ run_after: '2024-01-01T00:00:00Z' }))).status).toBe(400);
    expect((await call('/api/v2/dags/nope/dagRuns', jsonBody({}))).status).toBe(404);
    expect(await commands()).toEqual([]);
  });
});

describe('task instances', () => {
  it('lists a run task instances (TaskInstanceCollectionResponse) with the row uuid as id', async () => {
    await seed();
    const [row] = await f.db.all<{ id: string }>("SELECT id FROM task_instance WHERE task_id = 'extract' AND state = 'failed'");
    const { json } = await get(
      '/api/v2/dags/etl/dagRuns/scheduled__2024-01-02T00:00:00+00:00/taskInstances',
      'TaskInstanceCollectionResponse',
    );
    expect(json.total_entries).toBe(2);
    const tis = json.task_instances as Array<Record<string, unknown>>;
    expect(tis.map((t) => [t.task_id, t.state, t.try_number])).toEqual([
      ['extract', 'failed', 2],
      ['load', 'upstream_failed', 0],
    ]);
    expect(tis[0]).toMatchObject({
      id: row!.id,
      dag_run_id: 'scheduled__2024-01-02T00:00:00+00:00',
      map_index: -1,
      max_tries: 1,
      logical_date: '2024-01-02T00:00:00.000Z',
      operator: 'BashOperator',
      pool: 'default_pool',
    });
  });

  it('takes ~ for DAG and run, and filters by state (none = no state), task_id and try_number', async () => {
    await seed();
    const all = await get('/api/v2/dags/~/dagRuns/~/taskInstances', 'TaskInstanceCollectionResponse');
    expect(all.json.total_entries).toBe(5);
    const keys = async (query: string) =>
      (
        (await get(`/api/v2/dags/~/dagRuns/~/taskInstances?${query}`, 'TaskInstanceCollectionResponse')).json.task_instances as Array<{
          dag_id: string;
          task_id: string;
          state: string | null;
        }>
      ).map((t) => `${t.dag_id}.${t.task_id}:${t.state}`);
    expect(await keys('state=failed&state=none')).toEqual(['etl.extract:failed', 'reports.build:null']);
    expect(await keys('task_id=load')).toEqual(['etl.load:success', 'etl.load:upstream_failed']);
    expect(await keys('try_number=2')).toEqual(['etl.extract:failed']);
    expect(await keys('dag_id_pattern=rep')).toEqual(['reports.build:null']);
    const onePerDag = await get('/api/v2/dags/etl/dagRuns/~/taskInstances?limit=1&offset=1&order_by=-try_number');
    expect(onePerDag.json.total_entries).toBe(4);
    expect((onePerDag.json.task_instances as Array<{ task_id: string }>).length).toBe(1);
  });

  it('answers 404 for an unknown DAG or run', async () => {
    await seed();
    expect((await get('/api/v2/dags/nope/dagRuns/~/taskInstances')).status).toBe(404);
    expect((await get('/api/v2/dags/etl/dagRuns/nope/taskInstances')).status).toBe(404);
  });

  it('gets one task instance (TaskInstanceResponse), mapped ones by map index', async () => {
    await seed();
    const { json } = await get(
      '/api/v2/dags/etl/dagRuns/scheduled__2024-01-01T00:00:00+00:00/taskInstances/extract',
      'TaskInstanceResponse',
    );
    expect(json).toMatchObject({ task_id: 'extract', state: 'success', duration: 10, start_date: '2024-01-01T00:00:05.000Z' });
    expect((await get('/api/v2/dags/etl/dagRuns/scheduled__2024-01-01T00:00:00+00:00/taskInstances/nope')).status).toBe(404);

    await f.ti({ dag_id: 'reports', run_id: 'manual__2024-01-03T00:00:00+00:00', task_id: 'fan', map_index: 0 });
    await f.ti({ dag_id: 'reports', run_id: 'manual__2024-01-03T00:00:00+00:00', task_id: 'fan', map_index: 1 });
    const unmapped = await get('/api/v2/dags/reports/dagRuns/manual__2024-01-03T00:00:00+00:00/taskInstances/fan');
    expect(unmapped.status).toBe(404);
    expect(unmapped.json.detail).toBe('Task instance is mapped, add the map_index value to the URL');
    const mapped = await get('/api/v2/dags/reports/dagRuns/manual__2024-01-03T00:00:00+00:00/taskInstances/fan/1', 'TaskInstanceResponse');
    expect(mapped.json).toMatchObject({ map_index: 1, rendered_map_index: '1' });
  });
});

describe('logs', () => {
  const base = '/api/v2/dags/etl/dagRuns/scheduled__2024-01-02T00:00:00+00:00/taskInstances/extract/logs';

  it('returns structured lines as JSON (TaskInstancesLogResponse), raw text for text/plain', async () => {
    await seed();
    f.writeLog(
      { dag_id: 'etl', run_id: 'scheduled__2024-01-02T00:00:00+00:00', task_id: 'extract', try_number: 2 },
      '[2024-01-02T00:00:06.000Z] INFO starting\nplain line\n2024-01-02T00:00:07+00:00 ERROR boom\n',
    );
    const { json } = await get(`${base}/2`, 'TaskInstancesLogResponse');
    expect(json).toEqual({
      content: [
        { timestamp: '2024-01-02T00:00:06.000Z', event: 'INFO starting' },
        { event: 'plain line' },
        { timestamp: '2024-01-02T00:00:07.000Z', event: 'ERROR boom' },
      ],
      continuation_token: null,
    });
    const text = await call(`${base}/2`, { headers: { Accept: 'text/plain' } });
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toContain('text/plain');
    expect(text.text).toBe('[2024-01-02T00:00:06.000Z] INFO starting\nplain line\n2024-01-02T00:00:07+00:00 ERROR boom\n');
    const ndjson = await call(`${base}/2`, { headers: { Accept: 'application/x-ndjson' } });
    expect(ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toHaveLength(3);
  });

  it('says so when a try has no log file, and 404s for an unknown task instance or bad try', async () => {
    await seed();
    const { json } = await get(`${base}/1`, 'TaskInstancesLogResponse');
    expect((json.content as Array<{ event: string }>)[0]?.event).toContain('Log file does not exist');
    expect((await get('/api/v2/dags/etl/dagRuns/scheduled__2024-01-02T00:00:00+00:00/taskInstances/nope/logs/1')).status).toBe(404);
    expect((await get(`${base}/abc`)).status).toBe(422);
  });
});

describe('XCom', () => {
  const base = '/api/v2/dags/etl/dagRuns/scheduled__2024-01-01T00:00:00+00:00/taskInstances';

  beforeEach(async () => {
    await seed();
    f.writeXCom({ dag_id: 'etl', run_id: 'scheduled__2024-01-01T00:00:00+00:00', task_id: 'extract' }, 'return_value', { rows: 42 });
    f.writeXCom({ dag_id: 'etl', run_id: 'scheduled__2024-01-01T00:00:00+00:00', task_id: 'extract' }, 'path', '/tmp/out.csv');
    f.writeXCom({ dag_id: 'etl', run_id: 'scheduled__2024-01-01T00:00:00+00:00', task_id: 'load' }, 'return_value', 7);
  });

  it('lists a task instance XComs (XComCollectionResponse)', async () => {
    const { json } = await get(`${base}/extract/xcomEntries`, 'XComCollectionResponse');
    expect(json.total_entries).toBe(2);
    expect((json.xcom_entries as Array<{ key: string }>).map((e) => e.key)).toEqual(['path', 'return_value']);
    expect((json.xcom_entries as Array<Record<string, unknown>>)[0]).toMatchObject({
      dag_id: 'etl',
      task_id: 'extract',
      map_index: -1,
      logical_date: '2024-01-01T00:00:00.000Z',
      timestamp: FIXTURE_NOW,
    });
    const wildcard = await get('/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries?xcom_key=return_value', 'XComCollectionResponse');
    expect((wildcard.json.xcom_entries as Array<{ task_id: string }>).map((e) => e.task_id).sort()).toEqual(['extract', 'load']);
    const paged = await get(`${base}/extract/xcomEntries?limit=1&offset=1`);
    expect((paged.json.xcom_entries as Array<{ key: string }>).map((e) => e.key)).toEqual(['return_value']);
  });

  it('gets one XCom with its value, stringified on request, 404 when absent', async () => {
    const { json } = await get(`${base}/extract/xcomEntries/return_value`, 'XComResponseNative');
    expect(json.value).toEqual({ rows: 42 });
    const text = await get(`${base}/extract/xcomEntries/return_value?stringify=true`, 'XComResponseString');
    expect(text.json.value).toBe('{"rows":42}');
    const missing = await get(`${base}/extract/xcomEntries/nope`);
    expect(missing.status).toBe(404);
    expect((await get('/api/v2/dags/../dagRuns/../taskInstances/../xcomEntries/x')).status).toBe(404);
  });
});

describe('import errors, health, version', () => {
  it('lists import errors (ImportErrorCollectionResponse) with filename_pattern and gets one', async () => {
    await f.importError('dags/broken.yaml', 'line 3: tasks.extract.operator is required');
    await f.importError('dags/other.yaml', 'cycle: a -> b -> a');
    const { json } = await get('/api/v2/importErrors', 'ImportErrorCollectionResponse');
    expect(json.total_entries).toBe(2);
    expect((json.import_errors as Array<Record<string, unknown>>)[0]).toMatchObject({
      filename: 'dags/broken.yaml',
      stack_trace: 'line 3: tasks.extract.operator is required',
      bundle_name: 'dags-folder',
    });
    const filtered = await get('/api/v2/importErrors?filename_pattern=other');
    expect(filtered.json.total_entries).toBe(1);
    const id = (filtered.json.import_errors as Array<{ import_error_id: number }>)[0]!.import_error_id;
    await get(`/api/v2/importErrors/${id}`, 'ImportErrorResponse');
    expect((await get('/api/v2/importErrors/999')).status).toBe(404);
    expect((await get('/api/v2/importErrors?order_by=-filename&limit=1')).json.import_errors).toEqual([
      expect.objectContaining({ filename: 'dags/other.yaml' }),
    ]);
  });

  it('reports the scheduler healthy while its heartbeat is fresh (HealthInfoResponse)', async () => {
    const none = await get('/api/v2/monitor/health', 'HealthInfoResponse');
    expect(none.json).toMatchObject({
      metadatabase: { status: 'healthy' },
      scheduler: { status: 'unhealthy', latest_scheduler_heartbeat: null },
    });
    await f.heartbeat('2024-03-01T11:59:00.000Z');
    const fresh = await get('/api/v2/monitor/health', 'HealthInfoResponse');
    expect(fresh.json.scheduler).toEqual({ status: 'healthy', latest_scheduler_heartbeat: '2024-03-01T11:59:00.000Z' });
    f.clock.advance(10 * 60_000);
    expect(((await get('/api/v2/monitor/health')).json.scheduler as { status: string }).status).toBe('unhealthy');
  });

  it('reports the metadatabase unhealthy when it cannot be read', async () => {
    await f.db.close();
    const response = await call('/api/v2/monitor/health', { auth: null });
    expect(response.status).toBe(200);
    expect(response.json.metadatabase).toEqual({ status: 'unhealthy' });
  });

  it('returns the version (VersionInfo)', async () => {
    const { json } = await get('/api/v2/version', 'VersionInfo');
    expect(json).toEqual({ version: '0.1.0-test', git_version: null });
  });

  it('answers unknown paths with 404 {detail}', async () => {
    const response = await get('/api/v2/nothing');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ detail: 'Not Found' });
  });
});

describe('page data (/ui)', () => {
  it('lists DAGs with their newest runs, and the grid of runs × tasks with pending triggers', async () => {
    await seed();
    const list = await get('/ui/dags');
    expect(list.status).toBe(200);
    const etl = (list.json.dags as Array<{ dag_id: string; recent_runs: Array<{ state: string }> }>).find((d) => d.dag_id === 'etl');
    expect(etl?.recent_runs.map((r) => r.state)).toEqual(['failed', 'success']);

    await call('/api/v2/dags/etl/dagRuns', jsonBody({ dag_run_id: 'pending_one' }));
    const grid = await get('/ui/grid/etl');
    expect(grid.status).toBe(200);
    expect((grid.json.tasks as Array<{ task_id: string; upstream: string[] }>).map((t) => [t.task_id, t.upstream])).toEqual([
      ['extract', []],
      ['load', ['extract']],
    ]);
    expect((grid.json.dag_runs as Array<{ dag_run_id: string }>).map((r) => r.dag_run_id)).toEqual([
      'scheduled__2024-01-01T00:00:00+00:00',
      'scheduled__2024-01-02T00:00:00+00:00',
    ]);
    expect((grid.json.pending_runs as Array<{ dag_run_id: string; state: string }>).map((r) => [r.dag_run_id, r.state])).toEqual([
      ['pending_one', 'queued'],
    ]);
    expect((grid.json.task_instances as unknown[]).length).toBe(4);
    expect((await get('/ui/grid/nope')).status).toBe(404);
  });
});

describe('GET /api/v2/dagSources/{dag_id}', () => {
  it("serves the DAG file's source as JSON or plain text, and 404s for an unknown DAG", async () => {
    const source = 'from airflow.sdk import dag\n# <script>alert(1)</script>\n';
    await f.dag({ dag_id: 'pyetl', spec: { fileloc: 'team/pyetl.py' } });
    fs.mkdirSync(path.join(f.volume, 'dags/team'), { recursive: true });
    fs.writeFileSync(path.join(f.volume, 'dags/team/pyetl.py'), source);
    const { json } = await get('/api/v2/dagSources/pyetl', 'DAGSourceResponse');
    expect(json).toEqual({ content: source, dag_id: 'pyetl', dag_display_name: 'pyetl', version_number: null });
    const text = await call('/api/v2/dagSources/pyetl', { headers: { Accept: 'text/plain' } });
    expect(text.text).toBe(source);
    expect((await get('/api/v2/dagSources/nope')).status).toBe(404);
    expect((await get('/api/v2/dagSources/pyetl?version_number=2')).status).toBe(404);
  });

  it('answers content null when the file is gone from the volume', async () => {
    await f.dag({ dag_id: 'gone' });
    const { json } = await get('/api/v2/dagSources/gone', 'DAGSourceResponse');
    expect(json).toMatchObject({ content: null, dag_id: 'gone' });
  });
});
