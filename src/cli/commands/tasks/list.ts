import { listRunTasks, UNRECORDED_REPORT_NOTE } from '../../../service/tasks.js';
import { dagIdFlag, EnvCommand, runIdFlag, envFlag, jsonFlag } from '../../base-command.js';
import { formatSeconds, printJson, printLine, printTable, shortTime } from '../../output.js';

export default class TasksList extends EnvCommand {
  static override description = 'List the task instances of one DAG run with their state, try number and duration.';

  static override examples = [
    "<%= config.bin %> tasks list --env dev --dag-id hourly_etl --run-id 'manual__2025-01-01T00:00:00+00:00'",
  ];

  static override flags = { ...envFlag, ...dagIdFlag, ...runIdFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(TasksList);
    const tasks = await listRunTasks(await this.environment(flags.env), flags['dag-id'], flags['run-id']);
    if (flags.json) return printJson({ task_instances: tasks, total_entries: tasks.length });
    printTable(
      ['Task', 'State', 'Try', 'Operator', 'Start (UTC)', 'Duration'],
      tasks.map((t) => [
        t.map_index >= 0 ? `${t.task_id}[${t.map_index}]` : t.task_id,
        // A task's report not yet recorded by a tick is starred, with the footnote below.
        `${t.state ?? 'none'}${t.note ? '*' : ''}`,
        t.try_number,
        t.operator,
        shortTime(t.start_date),
        formatSeconds(t.duration),
      ]),
    );
    if (tasks.some((t) => t.note)) {
      printLine(`* ${UNRECORDED_REPORT_NOTE} (a failure with retries left then becomes up_for_retry)`);
    }
  }
}
