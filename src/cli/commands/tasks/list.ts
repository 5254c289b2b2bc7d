import { listRunTasks } from '../../../service/tasks.js';
import { dagIdFlag, EnvCommand, runIdFlag, envFlag, jsonFlag } from '../../base-command.js';
import { formatSeconds, printJson, printTable, shortTime } from '../../output.js';

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
        t.state ?? 'none',
        t.try_number,
        t.operator,
        shortTime(t.start_date),
        formatSeconds(t.duration),
      ]),
    );
  }
}
