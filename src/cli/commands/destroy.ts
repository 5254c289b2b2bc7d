import readline from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { ConfigError } from '../../config/index.js';
import { destroyEnvironment, removeEnvironmentFolder } from '../../service/environments.js';
import { UserInputError } from '../../service/errors.js';
import { stderrProgress } from '../../service/progress.js';
import { EnvCommand, envFlag } from '../base-command.js';
import { printLine } from '../output.js';

export default class Destroy extends EnvCommand {
  static override description =
    'Destroy an environment. Asks for confirmation unless --force. A local environment is deleted with its data; on Modal the app is stopped and --delete-data also deletes the volume, dict and secret.';

  static override examples = ['<%= config.bin %> destroy --env dev', '<%= config.bin %> destroy --env dev --force'];

  static override flags = {
    ...envFlag,
    force: Flags.boolean({ char: 'f', summary: 'Do not ask for confirmation.', default: false }),
    'delete-data': Flags.boolean({ summary: 'Also delete the data (always the case for local environments).', default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Destroy);
    let environment;
    try {
      environment = await this.environment(flags.env);
    } catch (error) {
      if (!flags.force || !(error instanceof ConfigError)) throw error;
      // A damaged config must not make an environment impossible to remove.
      const folder = removeEnvironmentFolder(flags.env);
      printLine(`Removed environment ${flags.env} (${folder}); its config could not be read, so resources elsewhere (a Modal app, volume, dict, secret) were not touched`);
      return;
    }
    if (!flags.force) {
      if (!process.stdin.isTTY) {
        throw new UserInputError(`refusing to destroy environment "${flags.env}" without confirmation: no terminal to ask; pass --force`);
      }
      const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(`Destroy environment "${flags.env}" and its data? Type its name to confirm: `);
      prompt.close();
      if (answer.trim() !== flags.env) throw new UserInputError('not confirmed; nothing was destroyed');
    }
    await destroyEnvironment(environment, { deleteData: flags['delete-data'] }, stderrProgress);
    printLine(`Destroyed environment ${flags.env}`);
  }
}
