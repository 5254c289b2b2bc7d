import { Flags } from '@oclif/core';
import { stderrLogger } from '../../logger.js';
import { localEnvironmentPaths } from '../../providers/local/paths.js';
import { LocalProvider } from '../../providers/local/provider.js';
import { schedulerIsRunning } from '../../providers/local/wake.js';
import { runSchedulerLoop } from '../../runtime/scheduler-loop.js';
import { UserInputError } from '../../service/errors.js';
import { debugEnabled, EXIT } from '../errors.js';
import { EnvCommand, envFlag } from '../base-command.js';
import { TickLines } from '../tick-lines.js';

export default class Scheduler extends EnvCommand {
  static override description =
    'Run the scheduler loop of a local environment: a tick every scheduler.interval_seconds, and at once when a task finishes or a command is queued. Ctrl-C stops it cleanly.';

  static override examples = [
    '<%= config.bin %> scheduler --env dev',
    '<%= config.bin %> scheduler --env dev --until-idle --timeout 300',
    '<%= config.bin %> scheduler --env dev --interval 1',
  ];

  static override flags = {
    ...envFlag,
    'until-idle': Flags.boolean({ summary: 'Return once no run is queued or running and no task is in flight.', default: false }),
    timeout: Flags.integer({ summary: 'Return after this many seconds (exit code 3 with --until-idle if not idle by then).', min: 1, helpValue: 'SEC' }),
    interval: Flags.string({ summary: 'Seconds between ticks (default: scheduler.interval_seconds).', helpValue: 'SEC' }),
    quiet: Flags.boolean({
      char: 'q',
      summary: 'Do not print a line per tick (without it, reports-only ticks that follow each other within a second share one line).',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Scheduler);
    const environment = await this.environment(flags.env);
    if (!(environment.provider instanceof LocalProvider)) {
      throw new UserInputError(
        `environment "${environment.name}" runs on ${environment.config.provider}, where the tick runs on a schedule; use \`tick --env ${environment.name}\` to request one now`,
      );
    }
    const interval = flags.interval === undefined ? undefined : Number(flags.interval);
    if (interval !== undefined && !(interval > 0)) throw new UserInputError(`--interval must be a positive number of seconds, got "${flags.interval}"`);

    // Ask before announcing a start: the loop itself refuses a second scheduler too (and settles a race),
    // but only after "started" would have been printed.
    if (await schedulerIsRunning(localEnvironmentPaths(environment.name, environment.home))) {
      throw new UserInputError(
        `a scheduler is already running for environment "${environment.name}"; stop it (Ctrl-C in its terminal) or use \`tick --env ${environment.name}\` for one pass now`,
      );
    }
    const logger = stderrLogger({ debug: debugEnabled() });
    const controller = new AbortController();
    let interrupts = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT.interrupted);
      process.stderr.write(`${signal}: stopping after the current tick (again to quit at once)\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stderr.write(`Scheduler for ${environment.name} started (interval ${interval ?? environment.config.scheduler.interval_seconds}s)\n`);
    const tickLines = new TickLines((line) => process.stderr.write(line));
    try {
      const result = await runSchedulerLoop({
        env: environment.name,
        config: environment.config,
        home: environment.home,
        logger,
        untilIdle: flags['until-idle'],
        timeoutSeconds: flags.timeout ?? null,
        signal: controller.signal,
        ...(interval !== undefined ? { intervalSeconds: interval } : {}),
        onTick: (tickResult, n) => {
          if (!flags.quiet) tickLines.add(tickResult, n);
        },
      });
      tickLines.flush();
      process.stderr.write(`Scheduler stopped (${result.exit}) after ${result.ticks} ticks${result.failedTicks ? `, ${result.failedTicks} failed` : ''}\n`);
      if (result.exit === 'timeout' && flags['until-idle']) {
        const pending = result.pendingWork.length > 0 ? `; still to do: ${result.pendingWork.join(', ')}` : '';
        process.stderr.write(`Error: environment ${environment.name} was not idle after ${flags.timeout}s${pending}\n`);
        this.exit(EXIT.timeout);
      }
      if (result.exit === 'stopped' && interrupts > 0) this.exit(EXIT.interrupted);
    } finally {
      tickLines.flush();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
