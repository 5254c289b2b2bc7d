import { Flags } from '@oclif/core';
import { readTaskLog } from '../../../service/tasks.js';
import { dagIdFlag, EnvCommand, envFlag, runIdFlag } from '../../base-command.js';

export default class TasksLogs extends EnvCommand {
  static override description = "Print the log of a task instance's try (default: the latest try).";

  static override examples = [
    "<%= config.bin %> tasks logs --env dev --dag-id hourly_etl --run-id 'manual__2025-01-01T00:00:00+00:00' --task-id extract",
    "<%= config.bin %> tasks logs --env dev --dag-id hourly_etl --run-id 'manual__2025-01-01T00:00:00+00:00' --task-id extract --try 1",
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    ...runIdFlag,
    'task-id': Flags.string({ char: 't', summary: 'The task id.', required: true, helpValue: 'TASK_ID' }),
    try: Flags.integer({ summary: 'Try number (1-based). Default: the latest.', min: 1, helpValue: 'N' }),
    'map-index': Flags.integer({ summary: 'Map index of a mapped task instance.', default: -1, helpValue: 'N' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TasksLogs);
    const log = await readTaskLog(await this.environment(flags.env), {
      dagId: flags['dag-id'],
      runId: flags['run-id'],
      taskId: flags['task-id'],
      mapIndex: flags['map-index'],
      ...(flags.try !== undefined ? { tryNumber: flags.try } : {}),
    });
    process.stderr.write(`# ${log.path} (try ${log.try_number})\n`);
    process.stdout.write(log.content.endsWith('\n') || log.content === '' ? log.content : `${log.content}\n`);
  }
}
