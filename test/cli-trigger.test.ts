/**
 * `dags trigger` as a user meets it: a run id or logical date already taken is refused at once (not
 * printed as queued and then silently dropped by the tick), a date that is not a real date is refused,
 * and triggering a paused DAG says the run will wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';

const MANIFEST = `once_more:
  schedule: null
  start_date: 2025-01-01
  tasks:
    noop:
      operator: EmptyOperator
`;

describe('dags trigger', () => {
  const sandbox = new CliSandbox();
  const trigger = (...extra: string[]): Promise<CliResult> =>
    sandbox.run(['dags', 'trigger', '--env', 'dev', '--dag-id', 'once_more', ...extra]);

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', sandbox.writeFile('dags/once_more.yaml', MANIFEST)]);
  });
  afterAll(() => sandbox.cleanup());

  it('refuses a logical date that is already queued, then one that already has a run', async () => {
    const first = await trigger('--logical-date', '2025-01-01');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('manual__2025-01-01T00:00:00+00:00');

    expectOneLineError(await trigger('--logical-date', '2025-01-01T00:00:00Z'), /"manual__2025-01-01T00:00:00\+00:00".*already queued/);

    await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '60']);
    const runs = await sandbox.json<{ dag_runs: Array<{ dag_run_id: string; state: string }> }>(['runs', 'list', '--env', 'dev']);
    expect(runs.dag_runs).toEqual([expect.objectContaining({ dag_run_id: 'manual__2025-01-01T00:00:00+00:00', state: 'success' })]);

    expectOneLineError(await trigger('--logical-date', '2025-01-01'), /already has a run with this run id or logical date.*--logical-date/);
  });

  it('refuses a logical date that is not a real date, instead of reading it as another one', async () => {
    for (const garbage of ['2025-02-30', '1', 'tomorrow', '2025-13-01T00:00:00Z']) {
      expectOneLineError(await trigger('--logical-date', garbage), /--logical-date ".*" is not an ISO 8601 date/);
    }
    const spaced = await trigger('--logical-date', '2025-03-01 06:30', '--json');
    expect(spaced.code, spaced.stderr).toBe(0);
    expect(JSON.parse(spaced.stdout)).toMatchObject({ dag_run_id: 'manual__2025-03-01T06:30:00+00:00', logical_date: '2025-03-01T06:30:00.000Z' });
  });

  it('says that a run of a paused DAG waits for unpause', async () => {
    const unpaused = await trigger('--logical-date', '2025-04-01');
    expect(unpaused.stderr).not.toMatch(/paused/);

    await sandbox.ok(['dags', 'pause', '--env', 'dev', '--dag-id', 'once_more']);
    const paused = await trigger('--logical-date', '2025-04-02');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout.trim()).toBe('manual__2025-04-02T00:00:00+00:00');
    expect(paused.stderr).toMatch(/once_more is paused; the run stays queued until `dags unpause --env dev --dag-id once_more`/);
  });
  it('takes a run id of the user\'s (as `airflow dags trigger --run-id`), refuses one Airflow would refuse, and refuses it twice', async () => {
    await sandbox.ok(['dags', 'unpause', '--env', 'dev', '--dag-id', 'once_more']);
    const named = await trigger('--run-id', 'rerun_for_ticket-42', '--logical-date', '2025-05-01', '--json');
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout)).toMatchObject({ dag_run_id: 'rerun_for_ticket-42', logical_date: '2025-05-01T00:00:00.000Z' });
    expectOneLineError(await trigger('--run-id', 'rerun_for_ticket-42'), /"rerun_for_ticket-42".*already queued.*--run-id/);
    for (const bad of ['has space', 'a/b', '..']) {
      expectOneLineError(await trigger('--run-id', bad), /--run-id: The provided run ID '.*' is invalid/);
    }

    await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '60']);
    const runs = await sandbox.json<{ dag_runs: Array<{ dag_run_id: string; run_type: string; state: string }> }>(['runs', 'list', '--env', 'dev']);
    expect(runs.dag_runs).toContainEqual(expect.objectContaining({ dag_run_id: 'rerun_for_ticket-42', run_type: 'manual', state: 'success' }));
    expectOneLineError(await trigger('--run-id', 'rerun_for_ticket-42'), /already has a run with this run id or logical date \("rerun_for_ticket-42"\)/);
  });
});
