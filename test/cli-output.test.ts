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
