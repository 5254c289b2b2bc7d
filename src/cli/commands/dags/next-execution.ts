import { Flags } from '@oclif/core';
import { nextExecutions } from '../../../service/inspect.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine } from '../../output.js';

export default class DagsNextExecution extends EnvCommand {
  static override description = "Print the logical dates of a DAG's next scheduled runs (Airflow's `dags next-execution`), one per line.";

  static override examples = [
    '<%= config.bin %> dags next-execution --env dev --dag-id hourly_etl',
    '<%= config.bin %> dags next-execution --env dev --dag-id hourly_etl --num-executions 5 --json',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    'num-executions': Flags.integer({ char: 'n', summary: 'How many runs to show.', default: 1, min: 1, helpValue: 'N' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsNextExecution);
    const next = await nextExecutions(await this.environment(flags.env), flags['dag-id'], flags['num-executions']);
    if (next.is_paused) process.stderr.write(`note: ${next.dag_id} is paused; these runs happen only once it is unpaused\n`);
    if (flags.json) return printJson(next);
    if (next.next_executions.length === 0) return printLine('None');
    for (const run of next.next_executions) printLine(run.logical_date);
    if (next.next_executions.length < flags['num-executions']) process.stderr.write('note: no further run is scheduled after these\n');
  }
}
