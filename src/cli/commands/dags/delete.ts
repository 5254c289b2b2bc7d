import { deleteDag } from '../../../service/dags.js';
import { dagIdFlag, EnvCommand, envFlag } from '../../base-command.js';
import { printLine } from '../../output.js';

export default class DagsDelete extends EnvCommand {
  static override description =
    'Delete a DAG by removing the manifest that declares it. The next tick marks the DAG stale; its runs stay in the database.';

  static override examples = ['<%= config.bin %> dags delete --env dev --dag-id hourly_etl'];

  static override flags = { ...envFlag, ...dagIdFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsDelete);
    const result = await deleteDag(await this.environment(flags.env), flags['dag-id']);
    printLine(`Deleted ${result.dag_id} (removed ${result.fileloc})`);
  }
}
