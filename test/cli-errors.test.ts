/** User mistakes end in one clear line on stderr and a non-zero exit, never a stack trace. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, EXAMPLES_DIR, expectOneLineError } from './helpers/cli.js';

describe('CLI errors', () => {
  const sandbox = new CliSandbox();

  beforeAll(async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);
    await sandbox.ok(['dags', 'create', '--env', 'dev', '--file', path.join(EXAMPLES_DIR, 'branching.yaml')]);
  });
  afterAll(() => sandbox.cleanup());

  it('missing config file', async () => {
    expectOneLineError(await sandbox.run(['create', '--env', 'x', '--config', 'nope.yaml']), /nope\.yaml.*not found/);
    expect(fs.existsSync(sandbox.envRoot('x'))).toBe(false);
  });

  it('invalid config value names the file and the key', async () => {
    const file = sandbox.writeConfig('  interval_seconds_typo: 3\n', 'bad-key.yaml');
    expectOneLineError(await sandbox.run(['create', '--env', 'x', '--config', file]), /bad-key\.yaml.*interval_seconds_typo/);
    const badValue = sandbox.writeFile('bad-value.yaml', 'provider: local\nexecutor:\n  parallelism: zero\n');
    expectOneLineError(await sandbox.run(['create', '--env', 'x', '--config', badValue]), /bad-value\.yaml.*executor\.parallelism/);
    expect(fs.existsSync(sandbox.envRoot('x'))).toBe(false);
  });

  it('malformed config YAML names file:line', async () => {
    const file = sandbox.writeFile('broken.yaml', 'provider: local\nscheduler:\n  interval_seconds: [1\n');
    expectOneLineError(await sandbox.run(['create', '--env', 'x', '--config', file]), /broken\.yaml:\d+/);
  });

  it('malformed manifest YAML names file:line and never reaches the volume', async () => {
    const file = sandbox.writeFile('dags/broken.yaml', 'etl:\n  tasks: [\n');
    expectOneLineError(await sandbox.run(['dags', 'create', '--env', 'dev', '--file', file]), /broken\.yaml:\d+: /);
    expect(fs.existsSync(path.join(sandbox.envRoot('dev'), 'vol/dags/broken.yaml'))).toBe(false);
  });

  it('a dependency cycle', async () => {
    const file = sandbox.writeFile(
      'dags/cycle.yaml',
      'cyclic:\n  tasks:\n    a:\n      operator: BashOperator\n      bash_command: echo a\n      dependencies: [b]\n    b:\n      operator: BashOperator\n      bash_command: echo b\n      dependencies: [a]\n',
    );
    expectOneLineError(await sandbox.run(['dags', 'create', '--env', 'dev', '--file', file]), /cycle\.yaml:\d+: .*cycle/);
    expect(fs.existsSync(path.join(sandbox.envRoot('dev'), 'vol/dags/cycle.yaml'))).toBe(false);
  });

  it('unknown environment, and an invalid environment name', async () => {
    expectOneLineError(await sandbox.run(['dags', 'list', '--env', 'nowhere']), /unknown environment "nowhere"/);
    expectOneLineError(await sandbox.run(['runs', 'list', '--env', 'Bad_Name']), /invalid environment name "Bad_Name"/);
  });

  it('unknown DAG', async () => {
    expectOneLineError(await sandbox.run(['dags', 'trigger', '--env', 'dev', '--dag-id', 'nope']), /unknown DAG "nope"/);
    expectOneLineError(await sandbox.run(['dags', 'pause', '--env', 'dev', '--dag-id', 'nope']), /unknown DAG "nope"/);
  });

  it('bad --conf JSON, and --conf that is not an object', async () => {
    expectOneLineError(
      await sandbox.run(['dags', 'trigger', '--env', 'dev', '--dag-id', 'branching', '--conf', '{mode: full}']),
      /--conf is not valid JSON/,
    );
    expectOneLineError(await sandbox.run(['dags', 'trigger', '--env', 'dev', '--dag-id', 'branching', '--conf', '[1]']), /JSON object/);
  });

  it('a missing required flag is a usage error (exit 2)', async () => {
    const result = await sandbox.run(['dags', 'list']);
    expectOneLineError(result, /Missing required flag env/);
    expect(result.code).toBe(2);
  });

  it('destroy without a terminal and without --force refuses, and keeps the environment', async () => {
    expectOneLineError(await sandbox.run(['destroy', '--env', 'dev']), /without confirmation.*--force/);
    expect(fs.existsSync(sandbox.envRoot('dev'))).toBe(true);
  });
});
