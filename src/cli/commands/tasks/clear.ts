import { Flags } from '@oclif/core';
import { clearTaskInstances } from '../../../service/operations.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { previewAndClear } from '../../clear-flow.js';
import { parseInstant } from '../dags/trigger.js';
import { plural } from '../../output.js';

export default class TasksClear extends EnvCommand {
  static override description =
    "Clear task instances so they run again (Airflow's `tasks clear`): they go back to no state, keep counting tries (with their retries again), and their runs go back to queued. A running try is stopped first. Lists what it clears and asks unless --yes.";

  static override examples = [
    '<%= config.bin %> tasks clear --env dev --dag-id hourly_etl --run-id scheduled__2025-01-01T00:00:00+00:00 --only-failed --yes',
    "<%= config.bin %> tasks clear --env dev --dag-id hourly_etl --task-regex '^load_' --downstream --start-date 2025-01-01 --end-date 2025-01-07",
    '<%= config.bin %> tasks clear --env dev --dag-id hourly_etl --only-failed --dry-run --json',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    'run-id': Flags.string({ char: 'r', summary: 'Only this run (default: every run in the date range).', helpValue: 'RUN_ID' }),
    'start-date': Flags.string({ summary: 'Only runs whose logical date is at or after this (ISO 8601).', helpValue: 'ISO' }),
    'end-date': Flags.string({ summary: 'Only runs whose logical date is at or before this (ISO 8601).', helpValue: 'ISO' }),
    'task-regex': Flags.string({ char: 't', summary: 'Only tasks whose id matches this regular expression.', helpValue: 'RE' }),
    'only-failed': Flags.boolean({ summary: 'Only failed and upstream_failed task instances.', default: false }),
    'only-running': Flags.boolean({ summary: 'Only queued and running task instances.', default: false }),
    downstream: Flags.boolean({ summary: 'Also the tasks downstream of the selected ones.', default: false }),
    upstream: Flags.boolean({ summary: 'Also the tasks upstream of the selected ones.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    'dry-run': Flags.boolean({ summary: 'Only list what would be cleared; change nothing.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TasksClear);
    const environment = await this.environment(flags.env);
    const request = {
      dagId: flags['dag-id'],
      ...(flags['run-id'] !== undefined ? { runId: flags['run-id'] } : {}),
      ...(flags['start-date'] !== undefined ? { startDate: parseInstant(flags['start-date'], '--start-date') } : {}),
      ...(flags['end-date'] !== undefined ? { endDate: parseInstant(flags['end-date'], '--end-date') } : {}),
      ...(flags['task-regex'] !== undefined ? { taskRegex: flags['task-regex'] } : {}),
      onlyFailed: flags['only-failed'],
      onlyRunning: flags['only-running'],
      includeDownstream: flags.downstream,
      includeUpstream: flags.upstream,
    };
    await previewAndClear((dryRun) => clearTaskInstances(environment, { ...request, dryRun }), flags, (preview) =>
      `Clear these ${plural(preview.task_instances.length, 'task instance')}?`,
    );
  }
}
