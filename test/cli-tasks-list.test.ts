/**
 * `tasks list` between ticks: what the task functions already reported to the state dict shows at once
 * (a finished try is not `queued` until the next tick), starred as not yet recorded; the next tick's
 * decision (here: a failure with a retry left becomes up_for_retry) replaces it without the star.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNRECORDED_REPORT_NOTE } from '../src/service/tasks.js';
import { CliSandbox, eventually } from './helpers/cli.js';

interface Listed {
  task_instances: Array<{ task_id: string; state: string | null; try_number: number; start_date: string | null; end_date: string | null; note?: string }>;
}

describe('tasks list shows reports the next tick has not recorded yet', () => {
  const sandbox = new CliSandbox();
  const release = path.join(sandbox.dir, 'release');
  const manifest = `reports:
  schedule: null
  start_date: 2025-01-01
  tasks:
    ok:
      operator: BashOperator
      bash_command: 'true'
    bad:
      operator: BashOperator
      bash_command: 'exit 3'
      retries: 1
    waits:
      operator: BashOperator
      bash_command: 'while [ ! -f ${release} ]; do sleep 0.05; done'
`;
  const runId = 'manual__2025-01-01T00:00:00+00:00';
  const list = () => sandbox.json<Listed>(['tasks', 'list', '--env', 'dev', '--dag-id', 'reports', '--run-id', runId]);
  const byTask = (listed: Listed) => new Map(listed.task_instances.map((t) => [t.task_id, t]));

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', sandbox.writeFile('dags/reports.yaml', manifest)]);
    await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'reports', '--logical-date', '2025-01-01']);
  });
  afterAll(async () => {
    fs.writeFileSync(release, ''); // lets the waiting task process end before its folder goes
    await sandbox.cleanup();
  });

  it('overlays RUNNING and final reports with a marker, and drops the marker once a tick records them', async () => {
    await sandbox.ok(['tick', '--env', 'dev']);

    const reported = await eventually(async () => {
      const tasks = byTask(await list());
      const settled = tasks.get('ok')?.note && tasks.get('bad')?.note && tasks.get('waits')?.state === 'running';
      return settled ? tasks : undefined;
    }, 30_000);
    expect(reported.get('ok')).toMatchObject({ state: 'success', try_number: 1, note: UNRECORDED_REPORT_NOTE });
    expect(reported.get('ok')?.end_date).toEqual(expect.any(String));
    // The task's own outcome, not a guess at the tick's retry decision.
    expect(reported.get('bad')).toMatchObject({ state: 'failed', try_number: 1, note: UNRECORDED_REPORT_NOTE });
    expect(reported.get('waits')).toMatchObject({ state: 'running', start_date: expect.any(String) });
    expect(reported.get('waits')).not.toHaveProperty('note');

    const table = (await sandbox.ok(['tasks', 'list', '--env', 'dev', '--dag-id', 'reports', '--run-id', runId])).stdout;
    expect(table).toMatch(/ok\s*│\s*success\*/);
    expect(table).toMatch(/bad\s*│\s*failed\*/);
    expect(table).toMatch(/waits\s*│\s*running\s/);
    expect(table).toContain(`* ${UNRECORDED_REPORT_NOTE}`);

    await sandbox.ok(['tick', '--env', 'dev']);
    const recorded = byTask(await list());
    expect(recorded.get('ok')).toMatchObject({ state: 'success', try_number: 1 });
    expect(recorded.get('bad')).toMatchObject({ state: 'up_for_retry', try_number: 1 });
    expect(recorded.get('waits')).toMatchObject({ state: 'running' });
    for (const task of recorded.values()) expect(task).not.toHaveProperty('note');
    const after = (await sandbox.ok(['tasks', 'list', '--env', 'dev', '--dag-id', 'reports', '--run-id', runId])).stdout;
    expect(after).not.toContain('*');
  });
});
