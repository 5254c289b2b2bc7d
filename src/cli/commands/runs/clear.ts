import { Flags } from '@oclif/core';
import { clearRun } from '../../../service/operations.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag, runIdFlag } from '../../base-command.js';
import { previewAndClear } from '../../clear-flow.js';
import { plural } from '../../output.js';

export default class RunsClear extends EnvCommand {
  static override description =
    'Clear a DAG run so it runs again: every task instance (or only the failed ones) goes back to no state and the run to queued. Asks unless --yes.';

  static override examples = [
    '<%= config.bin %> runs clear --env dev --dag-id hourly_etl --run-id scheduled__2025-01-01T00:00:00+00:00 --only-failed --yes',
    '<%= config.bin %> runs clear --env dev --dag-id hourly_etl --run-id manual__2025-01-01T00:00:00+00:00 --dry-run',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    ...runIdFlag,
    'only-failed': Flags.boolean({ summary: 'Only failed and upstream_failed task instances.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    'dry-run': Flags.boolean({ summary: 'Only list what would be cleared; change nothing.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RunsClear);
    const environment = await this.environment(flags.env);
    const request = { dagId: flags['dag-id'], runId: flags['run-id'], onlyFailed: flags['only-failed'] };
    await previewAndClear((dryRun) => clearRun(environment, { ...request, dryRun }), flags, (preview) =>
      `Clear run ${flags['run-id']} (${plural(preview.task_instances.length, 'task instance')})?`,
    );
  }
}
