/**
 * The UI's read queries on both backends (Postgres only with TEST_DATABASE_URL): filters, ordering (NULLs
 * last, duration) and counts must give the same answers on SQLite and Postgres.
 */
import { expect, it } from 'vitest';
import { describeEachBackend } from './helpers/backends.js';
import { UiFixture } from './helpers/ui-fixtures.js';

describeEachBackend('UI queries', (factory) => {
  async function fixture(): Promise<UiFixture> {
    const f = await UiFixture.create({ db: await factory.create() });
    await f.dag({ dag_id: 'alpha', tags: ['a', 'b'], owners: 'ann, bob', next_dagrun: '2024-01-05T00:00:00.000Z' });
    await f.dag({ dag_id: 'beta', tags: ['a'], is_paused: true });
    await f.run({ dag_id: 'alpha', run_id: 'r1', logical_date: '2024-01-01T00:00:00.000Z', start_date: '2024-01-01T00:00:00.000Z', end_date: '2024-01-01T00:02:00.000Z' });
    await f.run({ dag_id: 'alpha', run_id: 'r2', logical_date: '2024-01-02T00:00:00.000Z', start_date: '2024-01-02T00:00:00.000Z', end_date: '2024-01-02T00:00:30.000Z', state: 'failed' });
    await f.run({ dag_id: 'beta', run_id: 'r3', logical_date: null, run_after: '2024-01-03T00:00:00.000Z', state: 'queued' });
    await f.ti({ dag_id: 'alpha', run_id: 'r1', task_id: 'extract', start_date: '2024-01-01T00:00:00.000Z', end_date: '2024-01-01T00:00:40.000Z' });
    await f.ti({ dag_id: 'alpha', run_id: 'r2', task_id: 'extract', state: 'failed', try_number: 2 });
    await f.ti({ dag_id: 'beta', run_id: 'r3', task_id: 'extract', state: null, try_number: 0 });
    return f;
  }

  async function get(f: UiFixture, url: string): Promise<Record<string, unknown>> {
    const response = await f.app().request(url, { headers: { Authorization: `Bearer ${f.token}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('filters and orders DAGs', async () => {
    const f = await fixture();
    try {
      const ids = async (q: string) => ((await get(f, `/api/v2/dags?${q}`)).dags as Array<{ dag_id: string }>).map((d) => d.dag_id);
      expect(await ids('paused=true')).toEqual(['beta']);
      expect(await ids('tags=a&tags=b&tags_match_mode=all')).toEqual(['alpha']);
      expect(await ids('owners=bob')).toEqual(['alpha']);
      expect(await ids('order_by=-next_dagrun')).toEqual(['alpha', 'beta']);
      expect(await ids('order_by=next_dagrun')).toEqual(['alpha', 'beta']);
      expect(await ids('order_by=-last_run_start_date')).toEqual(['alpha', 'beta']);
      expect((await get(f, '/api/v2/dags?dag_id_pattern=ALP')).total_entries).toBe(1);
      const alpha = (await get(f, '/api/v2/dags/alpha')) as { is_paused: boolean; next_dagrun_logical_date: string };
      expect(alpha.is_paused).toBe(false);
      expect(alpha.next_dagrun_logical_date).toBe('2024-01-05T00:00:00.000Z');
    } finally {
      await f.close();
    }
  });

  it('filters and orders runs and task instances', async () => {
    const f = await fixture();
    try {
      const runs = async (q: string) =>
        ((await get(f, `/api/v2/dags/~/dagRuns?${q}`)).dag_runs as Array<{ dag_run_id: string }>).map((r) => r.dag_run_id);
      expect(await runs('order_by=duration')).toEqual(['r2', 'r1', 'r3']);
      expect(await runs('order_by=-duration')).toEqual(['r1', 'r2', 'r3']);
      expect(await runs('order_by=-logical_date')).toEqual(['r2', 'r1', 'r3']);
      expect(await runs('logical_date_gte=2024-01-02T00:00:00Z')).toEqual(['r2']);
      expect(await runs('state=queued&state=failed')).toEqual(['r2', 'r3']);
      expect(await runs('order_by=conf')).toHaveLength(3);
      // Duration bounds (a dialect-specific expression) and conf text, in the query string and in the batch body.
      expect(await runs('duration_gt=60')).toEqual(['r1']);
      expect(await runs('conf_contains=%7B%7D&state=failed')).toEqual(['r2']);
      const batch = await f.app().request('/api/v2/dags/~/dagRuns/list', {
        method: 'POST',
        headers: { Authorization: `Bearer ${f.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ dag_ids: ['alpha'], duration_lte: 60, states: ['failed', null] }),
      });
      expect(((await batch.json()) as { dag_runs: Array<{ dag_run_id: string }> }).dag_runs.map((r) => r.dag_run_id)).toEqual(['r2']);
      const one = (await get(f, '/api/v2/dags/alpha/dagRuns/r1')) as { duration: number; conf: unknown };
      expect(one).toMatchObject({ duration: 120, conf: {} });

      const tis = async (q: string) =>
        ((await get(f, `/api/v2/dags/~/dagRuns/~/taskInstances?${q}`)).task_instances as Array<{ dag_run_id: string }>).map(
          (t) => t.dag_run_id,
        );
      expect(await tis('state=none')).toEqual(['r3']);
      expect(await tis('order_by=-duration')).toEqual(['r1', 'r2', 'r3']);
      expect(await tis('duration_gte=30')).toEqual(['r1']);
      // Our extension for the browse page: the run's type.
      expect(await tis('run_type=scheduled&state=failed')).toEqual(['r2']);
      expect(await tis('run_type=manual')).toEqual([]);
      expect(await tis('logical_date_lte=2024-01-01T12:00:00Z')).toEqual(['r1']);
      const grid = await get(f, '/ui/grid/alpha');
      expect((grid.task_instances as unknown[]).length).toBe(2);
      const list = await get(f, '/ui/dags');
      expect((list.dags as Array<{ recent_runs: unknown[] }>).map((d) => d.recent_runs.length)).toEqual([2, 1]);
    } finally {
      await f.close();
    }
  });
});
