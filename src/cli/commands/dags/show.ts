import { showDag } from '../../../service/dags.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine, printTable } from '../../output.js';

export default class DagsShow extends EnvCommand {
  static override description = 'Show one DAG: schedule, settings, and its tasks with operators and dependencies.';

  static override examples = ['<%= config.bin %> dags show --env dev --dag-id branch_example', '<%= config.bin %> dags show --env dev --dag-id branch_example --json'];

  static override flags = { ...envFlag, ...dagIdFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsShow);
    const dag = await showDag(await this.environment(flags.env), flags['dag-id']);
    if (flags.json) return printJson(dag);
    printLine(`DAG ${dag.dag_id}${dag.description ? `: ${dag.description}` : ''}`);
    printLine(`  file: ${dag.relative_fileloc ?? dag.fileloc}   paused: ${dag.is_paused ? 'yes' : 'no'}   schedule: ${dag.timetable_summary ?? describeSchedule(dag.schedule)}`);
    printLine(`  start: ${dag.start_date ?? '-'}   end: ${dag.end_date ?? '-'}   catchup: ${dag.catchup}   max_active_runs: ${dag.max_active_runs ?? '-'}`);
    for (const warning of dag.warnings) printLine(`  warning: ${warning}`);
    printTable(
      ['Task', 'Operator', 'Upstream', 'Downstream', 'Trigger rule', 'Retries'],
      dag.tasks.map((t) => [t.task_id, t.operator, t.upstream_task_ids.join(', '), t.downstream_task_ids.join(', '), t.trigger_rule, t.retries]),
    );
  }
}

function describeSchedule(schedule: { kind: string; expression?: string; expressions?: string[]; seconds?: number }): string {
  if (schedule.kind === 'cron') return schedule.expression ?? 'cron';
  if (schedule.kind === 'multi_cron') return (schedule.expressions ?? []).join(' | ');
  if (schedule.kind === 'delta') return `every ${schedule.seconds}s`;
  return schedule.kind === 'once' ? '@once' : 'None';
}
