/**
 * A mistyped command (src/cli/hooks/command-not-found.ts). Piped, as here: one line naming the nearest
 * command and exit 2, like any wrong command line. On a terminal oclif's not-found plugin asks instead
 * (interactive, so not driven here). `help [COMMAND]`, which that plugin tells people to run, works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CliSandbox, expectOneLineError } from './helpers/cli.js';

describe('unknown commands', () => {
  const cli = new CliSandbox();
  afterAll(() => cli.cleanup());

  it('names the nearest command and exits 2', async () => {
    const typo = await cli.run(['dags', 'lst', '--env', 'dev']);
    expectOneLineError(typo, /^Error: unknown command `dags lst`; did you mean `dags list`\?/);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');

    const topicTypo = await cli.run(['dgs', 'trigger']);
    expectOneLineError(topicTypo, /did you mean `dags trigger`\?/);
  });

  it('says only that it is unknown when nothing is close', async () => {
    const result = await cli.run(['frobnicate']);
    expectOneLineError(result, /^Error: unknown command `frobnicate` \(`airflow-serverless --help` lists the commands\)$/);
    expect(result.code).toBe(2);
  });

  it('help [COMMAND] shows the help', async () => {
    const topic = await cli.ok(['help', 'dags']);
    expect(topic.stdout).toContain('$ airflow-serverless dags COMMAND');
    const command = await cli.ok(['help', 'dags', 'list']);
    expect(command.stdout).toContain('$ airflow-serverless dags list -e NAME [--json]');
  });
});
