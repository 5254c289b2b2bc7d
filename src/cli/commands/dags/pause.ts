import { setDagPaused } from '../../../service/dags.js';
import { dagIdFlag, EnvCommand, envFlag } from '../../base-command.js';
import { printLine } from '../../output.js';

export default class DagsPause extends EnvCommand {
  static override description = 'Pause a DAG: no new scheduled runs; running tasks finish. Applied by the next tick.';

  static override examples = ['<%= config.bin %> dags pause --env dev --dag-id hourly_etl'];

  static override flags = { ...envFlag, ...dagIdFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsPause);
    await setDagPaused(await this.environment(flags.env), flags['dag-id'], true);
    printLine(`Pause of ${flags['dag-id']} queued`);
  }
}
