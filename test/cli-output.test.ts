/** Output conventions: JSON keys in snake_case like Airflow's API, time columns labelled UTC. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snakeCaseKeys } from '../src/cli/output.js';
import { CliSandbox, EXAMPLES_DIR } from './helpers/cli.js';

describe('snakeCaseKeys', () => {
  it('turns camelCase keys into snake_case and keeps values', () => {
    expect(snakeCaseKeys({ manifestsParsed: 2, ran: true, tasksUpstreamFailed: 0 })).toEqual({
      manifests_parsed: 2,
      ran: true,
      tasks_upstream_failed: 0,
    });
  });
});

describe('CLI output', () => {
  const sandbox = new CliSandbox();

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
  });
  afterAll(() => sandbox.cleanup());

  it('tick --json reports what the pass did with snake_case keys', async () => {
    const result = await sandbox.ok(['tick', '--env', 'dev', '--json']);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(summary.manifests_parsed).toBe(1);
    expect(summary.ran).toBe(true);
    expect(Object.keys(summary).filter((key) => /[A-Z]/.test(key))).toEqual([]);
  });

  it('labels time columns as UTC', async () => {
    const listing = await sandbox.ok(['dags', 'list', '--env', 'dev']);
    expect(listing.stdout).toMatch(/Next run \(UTC\)/);
  });
});

describe('dags create checks template syntax', () => {
  const sandbox = new CliSandbox();
  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
  });
  afterAll(() => sandbox.cleanup());

  it('refuses a manifest whose template cannot parse, naming DAG, task and field, and uploads nothing', async () => {
    const file = sandbox.writeFile(
      'dags/broken.yaml',
      'broken:\n  tasks:\n    extract:\n      operator: BashOperator\n      bash_command: "echo {{ ds"\n',
    );
    const result = await sandbox.run(['dags', 'create', '--env', 'dev', '--file', file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/broken\.yaml: dag 'broken': task 'extract': bash_command: template syntax error: expected variable end/);
    const listing = await sandbox.ok(['dags', 'list', '--env', 'dev']);
    expect(listing.stdout + listing.stderr).not.toMatch(/broken/);
  });
});
