/**
 * Operating DAGs from the web page in a real browser (Debian's Chromium via playwright-core), against the
 * real server over a DAG parsed by a real tick: clear and mark a task instance and a run (each confirmed
 * from the server's dry run), backfill, the runs and task-instance browse pages with their filters, a
 * run's Gantt chart, and task groups collapsing in the grid and the graph. Writes land as `cmd:*` records;
 * a tick applies them and the page shows the result.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../src/executor/protocol.js';
import type { UiServer } from '../src/ui/server/start.js';
import { ARTIFACTS_DIR, buildUiAssets, launchChromium, openUiPage } from './helpers/browser.js';
import { UiFixture } from './helpers/ui-fixtures.js';

const BASH = 'airflow.providers.standard.operators.bash.BashOperator';
const MANIFEST = `ops:
  schedule: "@daily"
  start_date: 2024-01-01
  catchup: false
  is_paused_upon_creation: true
  task_groups:
    load_group: {tooltip: loads}
  tasks:
    extract: {operator: ${BASH}, bash_command: echo e}
    transform: {operator: ${BASH}, bash_command: echo t, dependencies: [extract]}
    stage: {operator: ${BASH}, bash_command: echo s, task_group_name: load_group, dependencies: [transform]}
    publish: {operator: ${BASH}, bash_command: echo p, task_group_name: load_group, dependencies: [stage]}
    report: {operator: ${BASH}, bash_command: echo r, dependencies: [extract]}
`;
const GOOD = 'scheduled__2024-01-01T00:00:00+00:00';
const FAILED = 'scheduled__2024-01-02T00:00:00+00:00';

let browser: Browser;
let assets: { dir: string; dispose(): void };

beforeAll(async () => {
  browser = await launchChromium();
  assets = await buildUiAssets();
});

afterAll(async () => {
  await browser?.close();
  assets?.dispose();
});

let f: UiFixture;
let server: UiServer;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

async function open(hash = ''): Promise<void> {
  // As the scheduler loop does: a write asks for a tick, which applies it.
  ({ server, context, page, pageErrors } = await openUiPage(browser, f, assets.dir, {
    viewport: { width: 1400, height: 900 },
    requestTick: async () => {
      await f.tick();
    },
  }));
  if (hash) await page.goto(`${server.url}/${hash}`);
}

beforeEach(async () => {
  f = await UiFixture.create();
  fs.mkdirSync(path.join(f.volume, 'dags'), { recursive: true });
  fs.writeFileSync(path.join(f.volume, 'dags', 'ops.yaml'), MANIFEST);
  expect((await f.tick()).manifestsParsed).toBe(1);
  const day = (n: number, s: number) => `2024-01-0${n}T00:0${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}.000Z`;
  await f.run({ dag_id: 'ops', run_id: GOOD, state: 'success', logical_date: '2024-01-01T00:00:00.000Z', start_date: day(2, 0), end_date: day(2, 50) });
  await f.run({ dag_id: 'ops', run_id: FAILED, state: 'failed', logical_date: '2024-01-02T00:00:00.000Z', start_date: day(3, 0), end_date: day(3, 40) });
  const tis: Array<[string, string, string, number, number]> = [
    ['extract', 'success', 'success', 0, 10],
    ['transform', 'success', 'failed', 10, 30],
    ['load_group.stage', 'success', 'upstream_failed', -1, -1],
    ['load_group.publish', 'success', 'upstream_failed', -1, -1],
    ['report', 'success', 'success', 12, 20],
  ];
  for (const [taskId, good, failed, start, end] of tis) {
    await f.ti({ dag_id: 'ops', run_id: GOOD, task_id: taskId, state: good, start_date: day(2, Math.max(start, 0)), end_date: day(2, Math.max(end, 1)) });
    await f.ti({
      dag_id: 'ops',
      run_id: FAILED,
      task_id: taskId,
      state: failed,
      try_number: failed === 'upstream_failed' ? 0 : 1,
      start_date: start < 0 ? null : day(3, start),
      end_date: end < 0 ? null : day(3, end),
    });
  }
});

afterEach(async () => {
  await context?.close();
  await server?.close();
  await f.close();
  expect(pageErrors).toEqual([]);
});

async function commands(): Promise<Command[]> {
  return (await f.dict.entries<Command>('cmd:')).map(([, c]) => c);
}

async function commandLog(): Promise<Array<{ kind: string; ok: number | boolean; payload: string }>> {
  return f.db.all('SELECT kind, ok, payload FROM command_log ORDER BY applied_at, id');
}

async function tiState(runId: string, taskId: string): Promise<string | null> {
  const row = await f.db.get<{ state: string | null }>('SELECT state FROM task_instance WHERE run_id = ? AND task_id = ?', [runId, taskId]);
  return row?.state ?? null;
}

const planRows = () => page.getByTestId('confirm-dialog').getByTestId('plan-row');
const planKeys = async () =>
  page
    .getByTestId('confirm-dialog')
    .getByTestId('plan-row')
    .evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-task-id')}->${r.getAttribute('data-to')}`));

function screenshot(name: string): Promise<Buffer> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return page.screenshot({ path: path.join(ARTIFACTS_DIR, name), fullPage: true });
}

describe('fixing a failed run from the page', () => {
  it('clears a failed task with its downstream, confirmed from the dry run, and the tick reruns it', async () => {
    await open('#/dags/ops?run=' + encodeURIComponent(FAILED) + '&task=transform');
    const panel = page.getByTestId('task-panel');
    await panel.getByTestId('clear-ti').click();
    const dialog = page.getByTestId('confirm-dialog');
    await expect.poll(planKeys).toEqual(['transform->none', 'load_group.stage->none', 'load_group.publish->none']);
    await dialog.getByTestId('option-upstream').check();
    await expect.poll(planKeys).toEqual(['extract->none', 'transform->none', 'load_group.stage->none', 'load_group.publish->none']);
    await dialog.getByTestId('option-downstream').uncheck();
    await dialog.getByTestId('option-upstream').uncheck();
    await expect.poll(planKeys).toEqual(['transform->none']);
    await dialog.getByTestId('option-downstream').check();
    await dialog.getByTestId('option-only_failed').check();
    await expect.poll(planKeys).toEqual(['transform->none', 'load_group.stage->none', 'load_group.publish->none']);
    // Nothing is written before Confirm.
    expect(await commands()).toEqual([]);
    await screenshot('clear-dialog.png');
    await dialog.getByTestId('confirm-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('toast-info').getByText('Clearing 3 task instance(s)').waitFor();
    // The requested tick applied it: the failed task is cleared, the run queued again.
    const [logged] = await commandLog();
    expect(logged).toMatchObject({ kind: 'clear', ok: 1 });
    expect(await tiState(FAILED, 'transform')).toBeNull();
    await page.locator(`[data-testid="grid-cell"][data-run-id="${FAILED}"][data-task-id="transform"][data-state="none"]`).waitFor();
  });

  it('marks a failed task success: the confirmation lists the failed downstream it clears', async () => {
    await open(`#/dags/ops?run=${encodeURIComponent(FAILED)}&task=transform`);
    await page.getByTestId('task-panel').getByTestId('mark-ti-success').click();
    await expect.poll(planKeys).toEqual(['transform->success', 'load_group.stage->none', 'load_group.publish->none']);
    await page.getByTestId('confirm-dialog').getByTestId('confirm-submit').click();
    await page.getByTestId('toast-info').getByText('Marking transform success').waitFor();
    expect((await commandLog())[0]).toMatchObject({ kind: 'set_state', ok: 1 });
    expect(await tiState(FAILED, 'transform')).toBe('success');
    expect(await tiState(FAILED, 'load_group.stage')).toBeNull();
  });

  it('clears a run (only failed) and marks a run failed from the run panel; Cancel sends nothing', async () => {
    await open(`#/dags/ops?run=${encodeURIComponent(FAILED)}`);
    const panel = page.getByTestId('task-panel');
    await panel.getByTestId('clear-run').click();
    await expect.poll(() => planRows().count()).toBe(5);
    await page.getByTestId('confirm-dialog').getByTestId('option-only_failed').check();
    await expect.poll(planKeys).toEqual(['transform->none', 'load_group.stage->none', 'load_group.publish->none']);
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await commands()).toEqual([]);
    expect(await commandLog()).toEqual([]);

    await page.locator(`.run-bar[data-run-id="${GOOD}"]`).click();
    await panel.getByTestId('mark-run-failed').click();
    // Every task instance of the good run is finished: only the run's own state changes.
    await page.getByTestId('confirm-dialog').getByTestId('plan-summary').getByText('No task instance would change.').waitFor();
    await page.getByTestId('confirm-dialog').getByTestId('confirm-submit').click();
    await page.getByTestId('toast-info').getByText(`Marking run ${GOOD} failed`).waitFor();
    expect((await commandLog())[0]).toMatchObject({ kind: 'set_state', ok: 1 });
    await page.locator(`.run-bar[data-run-id="${GOOD}"][data-state="failed"]`).waitFor();
  });
});

describe('backfill dialog', () => {
  it('previews the dates from the dry run per reprocess behaviour and creates the backfill', async () => {
    await open('#/dags/ops');
    await page.getByTestId('backfill-button').click();
    const dialog = page.getByTestId('backfill-dialog');
    await dialog.getByTestId('backfill-from').fill('2024-01-01');
    await dialog.getByTestId('backfill-to').fill('2024-01-04');
    const dates = () => dialog.getByTestId('backfill-date').allTextContents();
    await expect.poll(dates).toEqual(['2024-01-03 00:00:00 UTC', '2024-01-04 00:00:00 UTC']);
    await dialog.getByTestId('backfill-reprocess').selectOption('failed');
    await expect.poll(dates).toEqual(['2024-01-02 00:00:00 UTC', '2024-01-03 00:00:00 UTC', '2024-01-04 00:00:00 UTC']);
    await dialog.getByTestId('backfill-from').fill('2024-02-01');
    await dialog.getByTestId('backfill-error').getByText('must not be after').waitFor();
    expect(await dialog.getByTestId('backfill-submit').isDisabled()).toBe(true);
    // The browser logs the refused dry run (a 400); that one is expected.
    await expect.poll(() => pageErrors.filter((e) => e.includes('status of 400')).length).toBe(1);
    pageErrors = pageErrors.filter((e) => !e.includes('status of 400'));
    await dialog.getByTestId('backfill-from').fill('2024-01-01');
    await expect.poll(dates).toHaveLength(3);
    expect(await commands()).toEqual([]);
    await screenshot('backfill-dialog.png');
    await dialog.getByTestId('backfill-submit').click();
    await page.getByTestId('toast-info').getByText('Backfill 1 created').waitFor();
    // New dates get backfill__ runs; the failed day's run is taken over by the backfill (Airflow 3).
    const runs = await f.db.all<{ run_id: string }>("SELECT run_id FROM dag_run WHERE run_type = 'backfill' ORDER BY run_id");
    expect(runs.map((r) => r.run_id)).toEqual(['backfill__2024-01-03T00:00:00+00:00', 'backfill__2024-01-04T00:00:00+00:00', FAILED]);
    await page.locator('.run-bar[data-run-id="backfill__2024-01-04T00:00:00+00:00"]').waitFor();
    // The running backfill shows as a banner: pause, unpause and cancel it (commands the tick applies).
    const banner = page.getByTestId('backfill-banner');
    await banner.getByText('Backfill 1').waitFor();
    await banner.getByTestId('backfill-pause').click();
    await page.locator('[data-testid="backfill-banner"][data-paused="true"]').waitFor();
    await banner.getByTestId('backfill-unpause').click();
    await page.locator('[data-testid="backfill-banner"][data-paused="false"]').waitFor();
    await banner.getByTestId('backfill-cancel').click();
    await banner.waitFor({ state: 'detached' });
    const [row] = await f.db.all<{ completed_at: string | null }>('SELECT completed_at FROM backfill WHERE id = 1');
    expect(row?.completed_at).not.toBeNull();
  });
});

describe('browse pages', () => {
  it('lists every run with state, run type and date filters kept in the URL', async () => {
    await f.run({ dag_id: 'ops', run_id: 'manual__x', state: 'running', run_type: 'manual', logical_date: '2024-02-10T00:00:00.000Z' });
    await open('#/runs');
    const rows = page.getByTestId('run-row');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByTestId('filter-state').selectOption('failed');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-run-id')))).toEqual([FAILED]);
    expect(page.url()).toContain('state=failed');
    await page.getByTestId('filter-state').selectOption('');
    await page.getByTestId('filter-run_type').selectOption('manual');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-run-id')))).toEqual(['manual__x']);
    await page.getByTestId('filter-run_type').selectOption('');
    await page.getByTestId('filter-logical_date_lte').fill('2024-01-01');
    await page.getByTestId('filter-logical_date_lte').dispatchEvent('change');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-run-id')))).toEqual([GOOD]);
    await page.reload();
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-run-id')))).toEqual([GOOD]);
    await screenshot('runs-page.png');
    // A run links to its DAG page with the run selected.
    await rows.first().getByRole('link', { name: GOOD }).click();
    await page.getByTestId('task-panel').getByText(`Run ${GOOD}`).waitFor();
  });

  it('lists task instances filtered by state, run type and logical date, linking to the instance', async () => {
    await open('#/task-instances');
    const rows = page.getByTestId('ti-row');
    await expect.poll(() => rows.count()).toBe(10);
    await page.getByTestId('filter-state').selectOption('upstream_failed');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-task-id')).sort())).toEqual(['load_group.publish', 'load_group.stage']);
    await f.run({ dag_id: 'ops', run_id: 'manual__x', state: 'running', run_type: 'manual', logical_date: '2024-02-10T00:00:00.000Z' });
    await f.ti({ dag_id: 'ops', run_id: 'manual__x', task_id: 'extract', state: 'success' });
    await page.getByTestId('filter-state').selectOption('success');
    await page.getByTestId('filter-run_type').selectOption('manual');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-run-id')))).toEqual(['manual__x']);
    await page.getByTestId('filter-run_type').selectOption('');
    await page.getByTestId('filter-logical_date_lte').fill('2024-01-31');
    await page.getByTestId('filter-logical_date_gte').fill('2024-01-02');
    await page.getByTestId('filter-logical_date_gte').dispatchEvent('change');
    await expect.poll(() => rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-task-id')).sort())).toEqual(['extract', 'report']);
    await page.getByTestId('filter-task_display_name_pattern').fill('rep');
    await page.getByTestId('filter-task_display_name_pattern').dispatchEvent('change');
    await expect.poll(() => rows.count()).toBe(1);
    await screenshot('task-instances-page.png');
    await rows.first().getByRole('link', { name: 'report' }).click();
    await page.getByTestId('task-panel').getByTestId('clear-ti').waitFor();
  });
});

describe('gantt and task groups', () => {
  it('draws a run as a Gantt chart, bars placed by start and length', async () => {
    await open(`#/dags/ops/gantt?run=${encodeURIComponent(FAILED)}`);
    const bars = page.getByTestId('gantt-bar');
    await expect.poll(() => bars.count()).toBe(3);
    const box = async (taskId: string) => (await page.locator(`[data-testid="gantt-bar"][data-task-id="${taskId}"]`).boundingBox())!;
    const extract = await box('extract');
    const transform = await box('transform');
    const report = await box('report');
    // extract 0–10 s, transform 10–30 s, report 12–20 s of a 30 s chart.
    expect(transform.x).toBeGreaterThan(extract.x + extract.width - 2);
    expect(transform.width).toBeCloseTo(extract.width * 2, -1);
    expect(report.x).toBeGreaterThan(extract.x + extract.width);
    expect(report.x + report.width).toBeLessThan(transform.x + transform.width);
    expect(await page.locator('[data-testid="gantt-bar"][data-task-id="transform"]').getAttribute('data-state')).toBe('failed');
    await screenshot('gantt.png');
    await page.locator('[data-testid="gantt-bar"][data-task-id="transform"]').click();
    await page.getByTestId('task-panel').getByTestId('mark-ti-success').waitFor();
    await page.getByTestId('graph-run').selectOption(GOOD);
    await expect.poll(() => bars.count()).toBe(5);
  });

  it('collapses and expands a task group in the grid and the graph', async () => {
    await open('#/dags/ops');
    // Collapsed by default: one row for the group, its state summarising its tasks per run.
    const groupCell = page.locator(`[data-testid="grid-group-cell"][data-run-id="${FAILED}"][data-group-id="load_group"]`);
    await groupCell.waitFor();
    expect(await groupCell.getAttribute('data-state')).toBe('upstream_failed');
    expect(await page.locator('[data-testid="grid-cell"][data-task-id="load_group.stage"]').count()).toBe(0);
    await page.locator('.grid [data-testid="group-toggle"][data-group-id="load_group"]').click();
    await expect.poll(() => page.locator('[data-testid="grid-cell"][data-task-id="load_group.stage"]').count()).toBe(2);
    await page.locator('.grid [data-testid="group-toggle"][data-group-id="load_group"]').click();
    await expect.poll(() => page.locator('[data-testid="grid-cell"][data-task-id="load_group.stage"]').count()).toBe(0);

    await page.getByRole('link', { name: 'Graph' }).click();
    await page.getByTestId('graph-run').selectOption(FAILED);
    const group = page.locator('[data-testid="graph-group"][data-group-id="load_group"]');
    await group.waitFor();
    expect(await group.getAttribute('data-state')).toBe('upstream_failed');
    await expect.poll(() => page.getByTestId('graph-node').count()).toBe(3);
    // Edges run to and from the collapsed group: transform -> group, plus extract's two.
    expect(await page.locator('svg.graph path.edge').count()).toBe(3);
    await group.click();
    await page.locator('[data-testid="graph-cluster"][data-group-id="load_group"]').waitFor();
    await expect.poll(() => page.getByTestId('graph-node').count()).toBe(5);
    expect(await page.locator('svg.graph path.edge').count()).toBe(4);
    await screenshot('graph-group.png');
    await page.locator('[data-testid="graph-cluster"] [data-testid="group-toggle"]').click();
    await expect.poll(() => page.getByTestId('graph-node').count()).toBe(3);
  });
});

describe('hostile text in the new views', () => {
  it('renders a <script> DAG id, run id and task id as text on the browse pages, the Gantt and the confirmations', async () => {
    const hostile = 'x<script>window.__xss=1</script>';
    await f.dag({ dag_id: hostile, tasks: [['t<img src=x onerror=window.__xss=2>', []]] });
    await f.run({ dag_id: hostile, run_id: 'r<script>window.__xss=3</script>', state: 'failed', start_date: '2024-01-01T00:00:00.000Z', end_date: '2024-01-01T00:01:00.000Z' });
    await f.ti({
      dag_id: hostile,
      run_id: 'r<script>window.__xss=3</script>',
      task_id: 't<img src=x onerror=window.__xss=2>',
      state: 'failed',
      start_date: '2024-01-01T00:00:00.000Z',
      end_date: '2024-01-01T00:00:30.000Z',
    });
    await open('#/runs');
    await page.getByTestId('runs-table').getByText(hostile).waitFor();
    await page.getByTestId('runs-table').getByText('r<script>window.__xss=3</script>').waitFor();
    await page.goto(`${server.url}/#/task-instances`);
    await page.getByTestId('task-instances-table').getByText('t<img src=x onerror=window.__xss=2>').waitFor();
    await page.goto(`${server.url}/#/dags/${encodeURIComponent(hostile)}/gantt`);
    await page.locator('.gantt-label').getByText('t<img src=x onerror=window.__xss=2>').waitFor();
    await page.getByTestId('gantt-bar').click();
    await page.getByTestId('task-panel').getByTestId('clear-ti').click();
    await page.getByTestId('confirm-dialog').getByText('t<img src=x onerror=window.__xss=2>').first().waitFor();
    await page.getByTestId('confirm-dialog').getByText('r<script>window.__xss=3</script>').first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
  });
});
