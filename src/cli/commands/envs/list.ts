import { listEnvironments } from '../../../service/environments.js';
import { BaseCommand, jsonFlag } from '../../base-command.js';
import { printJson, printLine, printTable } from '../../output.js';

export default class EnvsList extends BaseCommand {
  static override description = 'List the environments created from this machine ($AIRFLOW_SERVERLESS_HOME).';

  static override examples = ['<%= config.bin %> envs list', '<%= config.bin %> envs list --json'];

  static override flags = { ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(EnvsList);
    const environments = await listEnvironments();
    if (flags.json) return printJson({ environments, total_entries: environments.length });
    if (environments.length === 0) return printLine('No environments. Create one with: airflow-serverless create --env dev --config config.yaml');
    printTable(
      ['Environment', 'Provider', 'Database', 'Scheduler', 'Path'],
      environments.map((e) => [
        e.name,
        e.provider,
        e.database,
        e.scheduler_running === null ? '' : e.scheduler_running ? 'running' : 'stopped',
        e.error ? `${e.path} (${e.error})` : e.path,
      ]),
    );
  }
}
