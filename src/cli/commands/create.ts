import { Flags } from '@oclif/core';
import { createEnvironment } from '../../service/environments.js';
import { stderrProgress } from '../../service/progress.js';
import { BaseCommand, envFlag } from '../base-command.js';
import { printLine } from '../output.js';

export default class Create extends BaseCommand {
  static override description =
    'Create an environment from a config file: validates the config, creates the volume, state dict and database. Re-running it updates the environment in place.';

  static override examples = [
    '<%= config.bin %> create --env dev --config config.yaml',
    'DB_URL=postgres://... <%= config.bin %> create --env prod --config prod.yaml',
  ];

  static override flags = {
    ...envFlag,
    config: Flags.string({ char: 'c', summary: 'Path to the config file (see config.example.yaml).', required: true, helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Create);
    const { environment, updated } = await createEnvironment(flags.env, flags.config, stderrProgress);
    printLine(`${updated ? 'Updated' : 'Created'} environment ${environment.name} (provider ${environment.config.provider}, database ${environment.config.database.type})`);
  }
}
