/**
 * What the CLI tells a new user at the points where the quick start leaves them guessing: a DAG uploaded
 * but not parsed yet, a file that is not there, a task that has no log, a second scheduler.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, EXAMPLES_DIR, eventually, exited, expectOneLineError } from './helpers/cli.js';
import type { CliResult } from './helpers/cli.js';

describe('CLI guidance', () => {
  const sandbox = new CliSandbox();

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
  });
  afterAll(() => sandbox.cleanup());

  it('dags list right after an upload names the manifest waiting for its first tick', async () => {
    const empty = await sandbox.ok(['dags', 'list', '--env', 'dev']);
    expect(empty.stdout).toMatch(/No DAGs yet\. Upload one with `dags create --env dev --file <manifest\.yaml>`/);

    const upload = await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
    expect(upload.stdout).toMatch(/^Uploaded branching\.yaml: branching \(5 tasks\)$/m);
    const single = sandbox.writeFile('dags/single.yaml', 'single:\n  schedule: null\n  tasks:\n    only:\n      operator: EmptyOperator\n');
    expect((await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', single])).stdout).toMatch(/single \(1 task\)$/m);

    const waiting = await sandbox.ok(['dags', 'list', '--env', 'dev']);
    expect(waiting.stdout).not.toMatch(/No DAGs yet/);
    expect(waiting.stderr).toMatch(/Not parsed yet: branching\.yaml, single\.yaml\. .*`tick --env dev`/);

    await sandbox.ok(['tick', '--env', 'dev']);
    const parsed = await sandbox.ok(['dags', 'list', '--env', 'dev']);
    expect(parsed.stdout).toMatch(/branching/);
    expect(parsed.stderr).not.toMatch(/Not parsed yet/);
  });

  it('tasks logs of a task that never started a try says why (skipped by a branch), not a missing file', async () => {
    const runId = (await sandbox.ok(['dags', 'trigger', '--env', 'dev', '--dag-id', 'branching', '--logical-date', '2025-01-01'])).stdout.trim();
    await sandbox.ok(['scheduler', '--env', 'dev', '--until-idle', '--interval', '0.2', '--quiet', '--timeout', '60']);
    const tasks = await sandbox.json<{ task_instances: Array<{ task_id: string; state: string }> }>([
      'tasks', 'list', '--env', 'dev', '--dag-id', 'branching', '--run-id', runId,
    ]);
    expect(tasks.task_instances).toContainEqual(expect.objectContaining({ task_id: 'full_load', state: 'skipped' }));
    const logs = (extra: string[] = []): Promise<CliResult> =>
      sandbox.run(['tasks', 'logs', '--env', 'dev', '--dag-id', 'branching', '--run-id', runId, '--task-id', 'full_load', ...extra]);
    expectOneLineError(await logs(), /task "full_load" was skipped .*, so it has no log$/);
    expectOneLineError(await logs(['--try', '1']), /task "full_load" was skipped .*, so it has no log$/);
  });

  it('a second scheduler on one environment is refused before it announces a start', async () => {
    const first = sandbox.start(['scheduler', '--env', 'dev', '--interval', '5', '--quiet']);
    await eventually(() => first.output.stderr.includes('Scheduler for dev started'));
    await eventually(async () => {
      const envs = await sandbox.json<{ environments: Array<{ name: string; scheduler_running: boolean }> }>(['envs', 'list']);
      return envs.environments.find((e) => e.name === 'dev')?.scheduler_running === true;
    });

    const second = await sandbox.run(['scheduler', '--env', 'dev', '--until-idle']);
    expectOneLineError(second, /a scheduler is already running for environment "dev"; stop it .* or use `tick --env dev`/);
    expect(second.stderr).not.toMatch(/started/);

    first.kill('SIGINT');
    expect(await exited(first)).not.toBe(0);
  });

  it('runs list of a misspelt DAG id is an error, of a DAG without runs an empty list', async () => {
    expectOneLineError(await sandbox.run(['runs', 'list', '--env', 'dev', '--dag-id', 'brancing']), /unknown DAG "brancing"/);
    expect((await sandbox.ok(['runs', 'list', '--env', 'dev', '--dag-id', 'single'])).stdout).toMatch(/^No runs\.$/m);
  });

  it('a manifest path that does not exist says so in words', async () => {
    expectOneLineError(await sandbox.run(['dags', 'create', '--env', 'dev', '--file', 'nope.yaml']), /cannot read nope\.yaml: no such file$/);
  });
});
