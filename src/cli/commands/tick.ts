import { stderrLogger } from '../../logger.js';
import { summariseTick, tickOnce } from '../../runtime/tick-once.js';
import { debugEnabled } from '../errors.js';
import { EnvCommand, envFlag, jsonFlag } from '../base-command.js';
import { printJson, printLine, snakeCaseKeys } from '../output.js';

export default class Tick extends EnvCommand {
  static override description =
    'Run one scheduler pass now: parse changed manifests, apply queued commands, reconcile task reports, create due runs, start ready tasks. Started tasks keep running after the command returns.';

  static override examples = ['<%= config.bin %> tick --env dev', '<%= config.bin %> tick --env dev --json'];

  static override flags = { ...envFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tick);
    const environment = await this.environment(flags.env);
    const outcome = await tickOnce(environment, stderrLogger({ debug: debugEnabled() }));
    if (outcome.ran === 'requested') return printLine(`Tick requested for ${environment.name} (provider ${environment.config.provider})`);
    if (flags.json) return printJson(snakeCaseKeys({ ...outcome.result }));
    // Not "nothing to do": the pass did not run here; the lock holder was asked for one more.
    if (!outcome.result.ran) return printLine('Tick: skipped, another scheduler holds the lock (it was asked for one more pass)');
    printLine(`Tick: ${summariseTick(outcome.result)}`);
  }
}
