import { Flags } from '@oclif/core';
import { stderrLogger } from '../../logger.js';
import { runLocalUi } from '../../ui/local-ui.js';
import { openBrowser } from '../../ui/open-browser.js';
import { debugEnabled } from '../errors.js';
import { EnvCommand, envFlag } from '../base-command.js';
import { printLine } from '../output.js';

/** Resolves on the first SIGINT/SIGTERM and removes its listeners. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export default class Ui extends EnvCommand {
  static override description =
    'Serve the web UI and the Airflow REST API (/api/v2) of an environment until Ctrl-C. Prints a one-time login link with a fresh token; API clients send the token as `Authorization: Bearer <token>`. Local environments are served on 127.0.0.1; Modal environments from a function behind a tunnel.';

  static override examples = [
    '<%= config.bin %> ui --env dev',
    '<%= config.bin %> ui --env dev --port 8080 --no-browser',
  ];

  static override flags = {
    ...envFlag,
    port: Flags.integer({ char: 'p', summary: 'Port on 127.0.0.1 (local environments; default: any free port).', min: 0, max: 65535, helpValue: 'PORT' }),
    browser: Flags.boolean({ summary: 'Open the link in the browser.', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui);
    const environment = await this.environment(flags.env);
    const stopped = untilSignal();

    if (environment.config.provider === 'modal') {
      // The Modal function serves the UI; remote-ui spawns it, prints the link and stops it on Ctrl-C.
      const { startRemoteUi, ModalProvider } = await import('../../providers/modal/index.js');
      if (!(environment.provider instanceof ModalProvider)) throw new Error('a modal environment without a Modal provider');
      const remote = await startRemoteUi({ provider: environment.provider, print: printLine });
      if (flags.browser) openBrowser(remote.link);
      await Promise.race([stopped, remote.stopped]);
      await remote.stop();
      process.stderr.write('UI stopped\n');
      return;
    }

    await runLocalUi(environment, {
      version: this.config.version,
      logger: stderrLogger({ debug: debugEnabled() }),
      ...(flags.port !== undefined ? { port: flags.port } : {}),
      until: stopped,
      onReady: (ui) => {
        printLine(`UI: ${ui.link}`);
        printLine(`API: ${ui.url}/api/v2 (header "Authorization: Bearer ${ui.token}")`);
        printLine('The link logs in once; press Ctrl-C to stop the UI.');
        if (flags.browser) openBrowser(ui.link);
      },
    });
    process.stderr.write('UI stopped\n');
  }
}
