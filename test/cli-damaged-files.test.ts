/**
 * Damaged or half-made environments: errors name the damaged file, `destroy --force` still removes an
 * environment whose config is corrupted, and a create that fails on its database leaves no folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliSandbox } from './helpers/cli.js';

describe('damaged environments', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('"file is not a database" names the file: the metadata database, and the state dict', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    const database = path.join(sandbox.envRoot('dev'), 'vol', 'data', 'airflow.db');
    fs.writeFileSync(database, 'x'.repeat(4096));
    const runs = await sandbox.run(['runs', 'list', '--env', 'dev']);
    expect(runs.code).toBe(1);
    expect(runs.stderr).toContain(database);
    expect(runs.stderr).toContain('file is not a database');
    expect(runs.stderr.trimEnd().split('\n')).toHaveLength(1);

    await sandbox.ok(['create', '--env', 'other', '--config', sandbox.writeConfig()]);
    const stateDict = path.join(sandbox.envRoot('other'), 'state.db');
    fs.writeFileSync(stateDict, 'y'.repeat(4096));
    const tick = await sandbox.run(['tick', '--env', 'other']);
    expect(tick.code).toBe(1);
    expect(tick.stderr).toBe(`Error: cannot open the state dict ${stateDict}: file is not a database\n`);
  });

  it('destroy --force removes an environment whose config is corrupted', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    fs.writeFileSync(path.join(sandbox.envRoot('dev'), 'config.yaml'), 'provider: [local\n\u0000garbage');
    const destroyed = await sandbox.ok(['destroy', '--env', 'dev', '--force']);
    expect(destroyed.stdout).toMatch(/^Removed environment dev \(.*\); its config could not be read/);
    expect(fs.existsSync(sandbox.envRoot('dev'))).toBe(false);
    // Without --force a corrupted config is still reported, not removed.
    await sandbox.ok(['create', '--env', 'two', '--config', sandbox.writeConfig()]);
    fs.writeFileSync(path.join(sandbox.envRoot('two'), 'config.yaml'), 'executor: {parallelism: 0}\n');
    const refused = await sandbox.run(['destroy', '--env', 'two']);
    expect(refused.code).toBe(1);
    expect(fs.existsSync(sandbox.envRoot('two'))).toBe(true);
  });

  it('a create that cannot initialise its PostgreSQL database leaves no environment folder', async () => {
    const config = sandbox.writeConfig('database:\n  type: postgres\n  connection_string: postgres://nobody@127.0.0.1:1/none\n');
    const created = await sandbox.run(['create', '--env', 'pg', '--config', config]);
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
    expect(fs.existsSync(sandbox.envRoot('pg'))).toBe(false);
  });
});
