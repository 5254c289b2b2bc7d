import { dagRunState } from '../../../service/inspect.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag, runIdFlag } from '../../base-command.js';
import { printJson, printLine } from '../../output.js';

export default class DagsState extends EnvCommand {
  static override description = "Print a DAG run's state (Airflow's `dags state`), followed by its conf when it has one.";

  static override examples = ['<%= config.bin %> dags state --env dev --dag-id hourly_etl --run-id scheduled__2025-01-01T00:00:00+00:00'];

  static override flags = { ...envFlag, ...dagIdFlag, ...runIdFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsState);
    const state = await dagRunState(await this.environment(flags.env), flags['dag-id'], flags['run-id']);
    if (flags.json) return printJson(state);
    printLine(state.conf && Object.keys(state.conf).length > 0 ? `${state.state}, ${JSON.stringify(state.conf)}` : state.state);
  }
}
