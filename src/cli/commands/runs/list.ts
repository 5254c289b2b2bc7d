import { Flags } from '@oclif/core';
import { listRuns, parseRunState, RUN_TYPE_FILTERS } from '../../../service/runs.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { formatSeconds, printJson, printLine, printTable, shortTime } from '../../output.js';

export default class RunsList extends EnvCommand {
  static override description = 'List DAG runs, oldest first, optionally for one DAG or in one state.';

  static override examples = [
    '<%= config.bin %> runs list --env dev',
    '<%= config.bin %> runs list --env dev --dag-id hourly_etl --state failed',
    '<%= config.bin %> runs list --env dev --dag-id hourly_etl --run-type backfill',
    '<%= config.bin %> runs list --env dev --json',
  ];

  static override flags = {
    ...envFlag,
    'dag-id': Flags.string({ char: 'd', summary: 'Only runs of this DAG.', helpValue: 'DAG_ID' }),
    state: Flags.string({ char: 's', summary: 'Only runs in this state (queued, running, success, failed).', helpValue: 'STATE' }),
    'run-type': Flags.string({ summary: 'Only runs of this type.', options: [...RUN_TYPE_FILTERS] }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RunsList);
    const state = flags.state === undefined ? undefined : parseRunState(flags.state);
    const runs = await listRuns(await this.environment(flags.env), {
      ...(flags['dag-id'] !== undefined ? { dagId: flags['dag-id'] } : {}),
      ...(state !== undefined ? { state } : {}),
      ...(flags['run-type'] !== undefined ? { runType: flags['run-type'] } : {}),
    });
    if (flags.json) return printJson({ dag_runs: runs, total_entries: runs.length });
    if (runs.length === 0) return printLine('No runs.');
    printTable(
      ['DAG', 'Run id', 'State', 'Type', 'Logical date (UTC)', 'Start (UTC)', 'Duration'],
      runs.map((r) => [r.dag_id, r.dag_run_id, r.state, r.run_type, shortTime(r.logical_date), shortTime(r.start_date), formatSeconds(r.duration)]),
    );
  }
}
