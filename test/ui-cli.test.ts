/**
 * `airflow-serverless ui` through the real CLI (bin/run.js over dist/, built by global-setup): it prints
 * a working login link and API token for a local environment, serves until SIGINT, and exits cleanly.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserCommand } from '../src/ui/open-browser.js';
import { CliSandbox, EXAMPLES_DIR, eventually, exited, REPO_ROOT } from './helpers/cli.js';

describe('ui command', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('serves a local environment behind a fresh token and stops on SIGINT', async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/cli/commands/ui.js')), 'dist is not built: run `npm run build`').toBe(true);
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
    await sandbox.ok(['tick', '--env', 'dev']);

    const ui = sandbox.start(['ui', '--env', 'dev', '--no-browser']) as ChildProcess & { output: { stdout: string; stderr: string } };
    const link = await eventually(() => /UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(ui.output.stdout)?.[1], 30_000);
    const token = new URL(link).searchParams.get('token')!;
    const base = new URL(link).origin;
    // The API line follows the UI line, possibly in a later chunk of output.
    await eventually(() => ui.output.stdout.includes(`Authorization: Bearer ${token}`), 10_000);

    const dags = await fetch(`${base}/api/v2/dags`, { headers: { Authorization: `Bearer ${token}` } });
    expect(dags.status).toBe(200);
    expect(((await dags.json()) as { dags: Array<{ dag_id: string }> }).dags.map((d) => d.dag_id)).toEqual(['branching']);
    expect((await fetch(`${base}/api/v2/dags`)).status).toBe(401);
    const login = await fetch(link, { redirect: 'manual' });
    expect(login.status).toBe(302);

    // Writes land in the environment's state dict for the next tick. Pausing first keeps the triggered run
    // queued, so the tick spawns no task process that could outlive the test.
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    expect((await fetch(`${base}/api/v2/dags/branching`, { method: 'PATCH', headers: auth, body: '{"is_paused": true}' })).status).toBe(200);
    const trigger = await fetch(`${base}/api/v2/dags/branching/dagRuns`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ conf: { mode: 'full' } }),
    });
    expect(trigger.status).toBe(200);
    const runId = ((await trigger.json()) as { dag_run_id: string }).dag_run_id;
    await sandbox.ok(['tick', '--env', 'dev']);
    const run = await fetch(`${base}/api/v2/dags/branching/dagRuns/${encodeURIComponent(runId)}`, { headers: auth });
    expect(await run.json()).toMatchObject({ conf: { mode: 'full' }, state: 'queued', triggered_by: 'rest_api' });
    const dag = await fetch(`${base}/api/v2/dags/branching`, { headers: auth });
    expect(((await dag.json()) as { is_paused: boolean }).is_paused).toBe(true);

    ui.kill('SIGINT');
    expect(await exited(ui)).toBe(0);
    // 'exit' can come before the last of the child's output has been read.
    await eventually(() => ui.output.stderr.includes('UI stopped'), 5_000);
    await expect(fetch(`${base}/api/v2/monitor/health`)).rejects.toThrow();
  });

  it('fails with one line for an unknown environment', async () => {
    const result = await sandbox.run(['ui', '--env', 'nope', '--no-browser']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('opens the browser with the platform opener', () => {
    expect(browserCommand('linux').command).toBe('xdg-open');
    expect(browserCommand('darwin').command).toBe('open');
    expect(browserCommand('win32')).toEqual({ command: 'cmd', args: ['/c', 'start', ''] });
  });
});
