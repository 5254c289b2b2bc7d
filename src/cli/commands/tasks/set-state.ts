import { Flags } from '@oclif/core';
import { MARKABLE_TASK_STATES } from '../../../executor/protocol.js';
import { setTaskInstanceState } from '../../../service/operations.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag, runIdFlag } from '../../base-command.js';
import { plural, printJson, printLine } from '../../output.js';
import { printTaskInstances } from '../../task-instance-table.js';

export default class TasksSetState extends EnvCommand {
  static override description =
    "Mark a task instance success, failed or skipped (Airflow's set_task_instance_state). Its downstream task instances that are failed or upstream_failed are cleared so they run again, and the run's state follows.";

  static override examples = [
    '<%= config.bin %> tasks set-state --env dev --dag-id hourly_etl --run-id scheduled__2025-01-01T00:00:00+00:00 --task-id extract --state success',
    '<%= config.bin %> tasks set-state --env dev --dag-id hourly_etl --run-id manual__2025-01-01T00:00:00+00:00 --task-id load --state failed --downstream --json',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    ...runIdFlag,
    'task-id': Flags.string({ char: 't', summary: 'The task id.', required: true, helpValue: 'TASK_ID' }),
    'map-index': Flags.integer({ summary: 'Only this mapped instance of the task.', helpValue: 'N' }),
    state: Flags.string({ char: 's', summary: 'The new state.', required: true, options: [...MARKABLE_TASK_STATES] }),
    downstream: Flags.boolean({ summary: 'Also mark the tasks downstream of it.', default: false }),
    upstream: Flags.boolean({ summary: 'Also mark the tasks upstream of it.', default: false }),
    'dry-run': Flags.boolean({ summary: 'Only list what would change; change nothing.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TasksSetState);
    const result = await setTaskInstanceState(await this.environment(flags.env), {
      dagId: flags['dag-id'],
      runId: flags['run-id'],
      taskId: flags['task-id'],
      ...(flags['map-index'] !== undefined ? { mapIndex: flags['map-index'] } : {}),
      state: flags.state as (typeof MARKABLE_TASK_STATES)[number],
      includeDownstream: flags.downstream,
      includeUpstream: flags.upstream,
      dryRun: flags['dry-run'],
    });
    if (flags.json) return printJson(result);
    if (result.task_instances.length === 0) printLine(`Already ${flags.state}: nothing to mark.`);
    else printTaskInstances(result.task_instances);
    if (result.cleared.length > 0) {
      printLine(`Failed downstream task instances to clear (${result.cleared.length}):`);
      printTaskInstances(result.cleared);
    }
    const verb = result.dry_run ? 'Would mark' : 'Queued: mark';
    printLine(`${verb} ${plural(result.task_instances.length, 'task instance')} ${flags.state}${result.cleared.length ? ` and clear ${result.cleared.length}` : ''}${result.dry_run ? ' (dry run: nothing changed).' : '; the next tick applies it.'}`);
  }
}
