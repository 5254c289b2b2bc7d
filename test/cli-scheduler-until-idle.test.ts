/**
 * `scheduler --until-idle --timeout`: when the timeout comes first the command exits 3 and says what was
 * still to do, naming the tries in flight, so a user (or a CI log) can tell a slow task from a stuck one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers/cli.js';

const MANIFEST = `slow:
  schedule: null
  start_date: 2025-01-01
  tasks:
    nap:
      operator: BashOperator
      bash_command: sleep 3
`;

describe('scheduler --until-idle', () => {
  const sandbox = new CliSandbox();
  afterAll(() => sandbox.cleanup());

  it('exits 3 at its timeout and names what is still in flight; a later run finishes the work', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', sandbox.writeFile('dags/slow.yaml', MANIFEST)]);
    await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'slow', '--logical-date', '2025-06-01']);

    const timedOut = await sandbox.run(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '1']);
    expect(timedOut.code, timedOut.stderr).toBe(3);
    const error = timedOut.stderr.split('\n').find((line) => line.startsWith('Error:'));
    expect(error).toMatch(/^Error: environment dev was not idle after 1s; still to do: .*1 task instances queued or running, 1 runs running, in flight: slow\.nap of manual__2025-06-01T00:00:00\+00:00, try 1, (queued|running)$/);

    await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '60']);
    const runs = await sandbox.json<{ dag_runs: Array<{ dag_run_id: string; state: string }> }>(['runs', 'list', '--env', 'dev']);
    expect(runs.dag_runs).toEqual([expect.objectContaining({ dag_run_id: 'manual__2025-06-01T00:00:00+00:00', state: 'success' })]);
  });
});
