/**
 * The web page in a real browser (Debian's Chromium via playwright-core) against the real server on a
 * socket: log in through the tokenised link, browse DAGs, grid, graph and logs, trigger and pause (as
 * `cmd:*` records), watch a tick's run appear, and check that hostile text stays text.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import type { Command } from '../src/executor/protocol.js';
import { runTick } from '../src/scheduler/tick.js';
import type { UiServer } from '../src/ui/server/start.js';
import { RecordingSpawner } from './fakes/ports.js';
import { ARTIFACTS_DIR, buildUiAssets, launchChromium, openUiPage } from './helpers/browser.js';
import { UiFixture } from './helpers/ui-fixtures.js';

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

async function open(): Promise<void> {
  ({ server, context, page, pageErrors } = await openUiPage(browser, f, assets.dir, { viewport: { width: 1280, height: 800 } }));
}

beforeEach(async () => {
  f = await UiFixture.create();
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

const FAILED_RUN = 'scheduled__2024-01-02T00:00:00+00:00';

async function seedEtl(): Promise<void> {
  await f.dag({ dag_id: 'etl', tags: ['prod'], tasks: [['extract', []], ['transform', ['extract']], ['load', ['transform']], ['report', ['extract']]] });
  await f.dag({ dag_id: 'paused_dag', is_paused: true });
  const runs: Array<[string, string, Record<string, string | null>]> = [
    ['scheduled__2024-01-01T00:00:00+00:00', 'success', { extract: 'success', transform: 'success', load: 'success', report: 'skipped' }],
    [FAILED_RUN, 'failed', { extract: 'success', transform: 'failed', load: 'upstream_failed', report: 'success' }],
    ['scheduled__2024-01-03T00:00:00+00:00', 'running', { extract: 'success', transform: 'running', load: null, report: 'up_for_retry' }],
  ];
  for (const [index, [runId, state, tis]] of runs.entries()) {
    const day = `2024-01-0${index + 1}T00:00:00.000Z`;
    const end = state === 'running' ? null : new Date(Date.parse(day) + (index + 1) * 45_000).toISOString();
    await f.run({ dag_id: 'etl', run_id: runId, state, logical_date: day, start_date: day, end_date: end });
    for (const [taskId, tiState] of Object.entries(tis)) {
      await f.ti({ dag_id: 'etl', run_id: runId, task_id: taskId, state: tiState, try_number: taskId === 'transform' && state === 'failed' ? 2 : 1, max_tries: 1 });
    }
  }
  f.writeLog({ dag_id: 'etl', run_id: FAILED_RUN, task_id: 'transform', try_number: 1 }, '[2024-01-02T00:00:01Z] first try failed\n');
  f.writeLog(
    { dag_id: 'etl', run_id: FAILED_RUN, task_id: 'transform', try_number: 2 },
    '[2024-01-02T00:05:01Z] INFO transforming\n[2024-01-02T00:05:02Z] ERROR boom: division by zero\n',
  );
  f.writeXCom({ dag_id: 'etl', run_id: FAILED_RUN, task_id: 'extract' }, 'return_value', { rows: 42 });
  await f.importError('dags/broken.yaml', 'line 3: tasks.x.operator is required');
}

describe('web page', () => {
  it('logs in from the tokenised link and lists the DAGs with their runs and import errors', async () => {
    await seedEtl();
    await open();
    expect(new URL(page.url()).search).toBe('');
    await page.getByTestId('dag-table').getByRole('link', { name: 'etl', exact: true }).waitFor();
    const row = page.locator('tr[data-dag-id="etl"]');
    await expect.poll(() => row.locator('.dot').count()).toBe(3);
    expect(await row.locator('.dot').evaluateAll((dots) => dots.map((d) => d.getAttribute('data-state')))).toEqual([
      'success',
      'failed',
      'running',
    ]);
    await row.getByText('0 0 * * *').waitFor();
    expect(await page.locator('tr[data-dag-id="paused_dag"] [data-testid="pause-toggle"]').isChecked()).toBe(false);
    expect(await row.getByTestId('pause-toggle').isChecked()).toBe(true);
    await page.getByTestId('import-errors').getByText('1 DAG import error').click();
    await page.getByText('line 3: tasks.x.operator is required').waitFor();
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'dags.png'), fullPage: true });
  });

  it('shows the grid coloured by state, opens a failed task log per try and its XCom, and draws the graph', async () => {
    await seedEtl();
    await open();
    await page.getByRole('link', { name: 'etl', exact: true }).click();
    await page.getByTestId('grid').waitFor();
    const cells = page.getByTestId('grid-cell');
    await expect.poll(() => cells.count()).toBe(12);
    const failed = page.locator(`[data-testid="grid-cell"][data-run-id="${FAILED_RUN}"][data-task-id="transform"]`);
    expect(await failed.getAttribute('class')).toContain('state-failed');
    expect(await failed.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 0, 0)');
    const success = page.locator(`[data-testid="grid-cell"][data-run-id="${FAILED_RUN}"][data-task-id="extract"]`);
    expect(await success.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(0, 128, 0)');

    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'grid.png'), fullPage: true });

    await failed.click();
    const panel = page.getByTestId('task-panel');
    await panel.getByTestId('log').getByText('ERROR boom: division by zero').waitFor();
    await expect.poll(() => panel.getByTestId('try-tab').count()).toBe(2);
    await panel.getByTestId('try-tab').first().click();
    await panel.getByTestId('log').getByText('first try failed').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'task-log.png'), fullPage: true });

    await page.locator(`[data-testid="grid-cell"][data-run-id="${FAILED_RUN}"][data-task-id="extract"]`).click();
    await panel.getByTestId('xcoms').getByText('return_value').waitFor();
    await panel.getByTestId('xcoms').getByText('"rows": 42').waitFor();

    await page.getByRole('link', { name: 'Graph' }).click();
    await page.getByTestId('graph').waitFor();
    await expect.poll(() => page.getByTestId('graph-node').count()).toBe(4);
    // The graph shows the newest run by default; picking the failed run recolours it.
    expect(await page.locator('[data-testid="graph-node"][data-task-id="transform"]').getAttribute('data-state')).toBe('running');
    await page.getByTestId('graph-run').selectOption(FAILED_RUN);
    await page.locator('[data-testid="graph-node"][data-task-id="transform"][data-state="failed"]').waitFor();
    expect(await page.locator('svg.graph path.edge').count()).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'graph.png'), fullPage: true });
  });

  it('toggles pause through a cmd:pause record, and the switch stays put', async () => {
    await seedEtl();
    await open();
    const toggle = page.locator('tr[data-dag-id="etl"] [data-testid="pause-toggle"]');
    await toggle.waitFor();
    await toggle.click();
    await page.getByTestId('toast-info').getByText('Paused etl').waitFor();
    const [command] = await commands();
    expect(command).toMatchObject({ kind: 'pause', dag_id: 'etl', by: 'ui' });
    // After a refresh of the list (the tick has not run), the DAG still shows as paused.
    await page.reload();
    await page.locator('tr[data-dag-id="etl"]').waitFor();
    expect(await page.locator('tr[data-dag-id="etl"] [data-testid="pause-toggle"]').isChecked()).toBe(false);
  });

  it('renders hostile DAG ids, descriptions, log lines and XComs as text', async () => {
    const hostile = 'xss<img src=x onerror=window.__xss=1>';
    await f.dag({ dag_id: hostile, description: '<script>window.__xss=2</script>', tags: ['<b>tag</b>'], tasks: [['t<svg onload=window.__xss=3>', []]] });
    await f.run({ dag_id: hostile, run_id: 'r<i>1</i>', state: 'failed' });
    await f.ti({ dag_id: hostile, run_id: 'r<i>1</i>', task_id: 't<svg onload=window.__xss=3>', state: 'failed' });
    f.writeLog(
      { dag_id: hostile, run_id: 'r<i>1</i>', task_id: 't<svg onload=window.__xss=3>', try_number: 1 },
      '<script>window.__xss=4</script>\n<img src=x onerror=window.__xss=5>\n',
    );
    f.writeXCom({ dag_id: hostile, run_id: 'r<i>1</i>', task_id: 't<svg onload=window.__xss=3>' }, 'k<b>', '<img src=x onerror=window.__xss=6>');
    await f.importError('dags/<img src=x onerror=window.__xss=7>.yaml', '<script>window.__xss=8</script>');
    await open();
    await page.getByRole('link', { name: hostile, exact: true }).waitFor();
    await page.getByText('<script>window.__xss=2</script>').waitFor();
    await page.getByText('<b>tag</b>').waitFor();
    await page.getByText('1 DAG import error').click();
    await page.getByText('<script>window.__xss=8</script>').waitFor();

    await page.getByRole('link', { name: hostile, exact: true }).click();
    await page.getByTestId('grid-cell').click();
    await page.getByTestId('log').getByText('<script>window.__xss=4</script>').waitFor();
    await page.getByTestId('log').getByText('<img src=x onerror=window.__xss=5>').waitFor();
    await page.getByTestId('xcoms').getByText('<img src=x onerror=window.__xss=6>').waitFor();
    await page.getByRole('link', { name: 'Graph' }).click();
    await page.getByTestId('graph-node').waitFor();

    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src]), svg[onload]').count()).toBe(0);
  });

  it("renders doc_md as safe markup and shows the DAG file's source in the Code tab", async () => {
    const docs = [
      '    ### Nightly load',
      '    Loads **orders** into the `warehouse`; see [the runbook](https://example.com/runbook).',
      '',
      '    - first <img src=x onerror=window.__xss=9>',
      '    - [bad link](javascript:window.__xss=10)',
      '',
      '    <script>window.__xss=11</script>',
    ].join('\n');
    const source = 'from airflow.sdk import dag\n\n@dag(schedule=None, doc_md=__doc__)\ndef nightly():\n    """<script>window.__xss=12</script>"""\n';
    await f.dag({ dag_id: 'nightly', spec: { fileloc: 'nightly.py', doc_md: docs } });
    fs.mkdirSync(path.join(f.volume, 'dags'), { recursive: true });
    fs.writeFileSync(path.join(f.volume, 'dags/nightly.py'), source);
    await open();
    await page.getByRole('link', { name: 'nightly', exact: true }).click();
    const rendered = page.getByTestId('dag-docs');
    await rendered.getByRole('heading', { name: 'Nightly load' }).waitFor();
    expect(await rendered.locator('strong').textContent()).toBe('orders');
    expect(await rendered.locator('code').textContent()).toBe('warehouse');
    expect(await rendered.getByRole('link', { name: 'the runbook' }).getAttribute('href')).toBe('https://example.com/runbook');
    await rendered.getByText('first <img src=x onerror=window.__xss=9>').waitFor();
    await rendered.getByText('bad link (javascript:window.__xss=10)').waitFor();
    await rendered.getByText('<script>window.__xss=11</script>').waitFor();
    expect(await rendered.locator('a[href^="javascript"]').count()).toBe(0);

    await page.getByTestId('code-tab').click();
    const code = page.getByTestId('dag-source');
    await code.waitFor();
    expect(await code.textContent()).toBe(source);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'code-tab.png') });
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
  });
});

describe('trigger', () => {
  it('validates conf as JSON, records a cmd:trigger, and shows the run a tick creates', async () => {
    const manifest = `hello:
  description: greets
  schedule: null
  start_date: 2024-01-01
  params:
    name: world
  tasks:
    say:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: echo hello
`;
    fs.mkdirSync(path.join(f.volume, 'dags'), { recursive: true });
    fs.writeFileSync(path.join(f.volume, 'dags', 'hello.yaml'), manifest);
    const spawner = new RecordingSpawner();
    const tick = () =>
      runTick({
        db: f.db,
        dict: f.dict,
        spawner,
        clock: f.clock,
        config: defaultConfig(),
        volume: { root: f.volume, reload: async () => {}, commit: async () => {} },
        owner: 'browser-test',
      });
    expect((await tick()).manifestsParsed).toBe(1);

    await open();
    await page.getByRole('link', { name: 'hello', exact: true }).click();
    await page.getByTestId('grid-view').waitFor();
    await page.getByTestId('trigger-button').click();
    const dialog = page.getByTestId('trigger-dialog');
    const conf = dialog.getByTestId('trigger-conf');
    // Pre-filled with the DAG's params, as Airflow does.
    expect(JSON.parse(await conf.inputValue())).toEqual({ name: 'world' });

    // The logical date is pre-filled with now, as Airflow 3's form does (emptied, the run gets none).
    const prefilled = await dialog.getByTestId('trigger-logical-date').inputValue();
    expect(prefilled).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(prefilled) - Date.now())).toBeLessThan(120_000);

    await conf.fill('{"name": ');
    await dialog.getByTestId('trigger-error').getByText('Invalid JSON').waitFor();
    expect(await dialog.getByTestId('trigger-submit').isDisabled()).toBe(true);
    await conf.fill('[1, 2]');
    await dialog.getByTestId('trigger-error').getByText('Conf must be a JSON object').waitFor();
    await conf.fill('{"name": "browser", "n": 3}');
    await dialog.getByTestId('trigger-logical-date').fill('2024-02-01T00:00:00');
    await dialog.getByTestId('trigger-error').getByText('with a zone').waitFor();
    await dialog.getByTestId('trigger-logical-date').fill('');
    expect(await dialog.getByTestId('trigger-submit').isDisabled()).toBe(false);
    await dialog.getByTestId('trigger-submit').click();
    await dialog.waitFor({ state: 'detached' });

    const [command] = await commands();
    expect(command).toMatchObject({
      kind: 'trigger',
      dag_id: 'hello',
      run_id: 'manual__2024-03-01T12:00:00+00:00',
      conf: { name: 'browser', n: 3 },
      logical_date: null,
      by: 'ui',
    });
    // Pending until a tick: a dashed queued column.
    await page.locator('.run-bar.pending[data-run-id="manual__2024-03-01T12:00:00+00:00"]').waitFor();

    // A second trigger of the same run id is refused, and the dialog says why.
    await page.getByTestId('trigger-button').click();
    await page.locator('#trigger-run-id').fill('manual__2024-03-01T12:00:00+00:00');
    await page.getByTestId('trigger-submit').click();
    await page.getByTestId('trigger-error').getByText('already exists').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    // The browser logs the refused request; that one is expected.
    pageErrors = pageErrors.filter((e) => !e.includes('status of 409'));

    const result = await tick();
    expect(result.commandsApplied).toBe(1);
    expect(await commands()).toEqual([]);
    // The poller picks up the created run: no longer pending, with its task instance in the grid.
    await page.locator('.run-bar:not(.pending)[data-run-id="manual__2024-03-01T12:00:00+00:00"]').waitFor();
    await page.locator('[data-testid="grid-cell"][data-task-id="say"]').waitFor();
    await page.locator('.run-bar[data-run-id="manual__2024-03-01T12:00:00+00:00"]').click();
    await page.getByTestId('task-panel').getByText('"name": "browser"').waitFor();
  });
});
