import { Flags } from '@oclif/core';
import { MARKABLE_RUN_STATES } from '../../../executor/protocol.js';
import { setRunState } from '../../../service/operations.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag, runIdFlag } from '../../base-command.js';
import { plural, printJson, printLine } from '../../output.js';

export default class RunsSetState extends EnvCommand {
  static override description =
    "Mark a DAG run success, failed or queued (Airflow's set_dag_run_state_to_*): success marks its unfinished tasks success; failed marks running tries failed and the rest skipped; queued requeues the run.";

  static override examples = [
    '<%= config.bin %> runs set-state --env dev --dag-id hourly_etl --run-id manual__2025-01-01T00:00:00+00:00 --state success',
    '<%= config.bin %> runs set-state --env dev --dag-id hourly_etl --run-id manual__2025-01-01T00:00:00+00:00 --state failed --json',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    ...runIdFlag,
    state: Flags.string({ char: 's', summary: 'The new state.', required: true, options: [...MARKABLE_RUN_STATES] }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RunsSetState);
    const result = await setRunState(await this.environment(flags.env), {
      dagId: flags['dag-id'],
      runId: flags['run-id'],
      state: flags.state as (typeof MARKABLE_RUN_STATES)[number],
    });
    if (flags.json) return printJson(result);
    printLine(`Queued: mark run ${flags['run-id']} ${flags.state} (${plural(result.task_instances.length, 'unfinished task instance')} follow); the next tick applies it.`);
  }
}
