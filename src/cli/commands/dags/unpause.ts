import { setDagPaused } from '../../../service/dags.js';
import { dagIdFlag, EnvCommand, envFlag } from '../../base-command.js';
import { printLine } from '../../output.js';

export default class DagsUnpause extends EnvCommand {
  static override description = 'Unpause a DAG: the scheduler creates its runs again. Applied by the next tick.';

  static override examples = ['<%= config.bin %> dags unpause --env dev --dag-id hourly_etl'];

  static override flags = { ...envFlag, ...dagIdFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsUnpause);
    await setDagPaused(await this.environment(flags.env), flags['dag-id'], false);
    printLine(`Unpause of ${flags['dag-id']} queued`);
  }
}
