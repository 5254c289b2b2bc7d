/**
 * An unknown command (`dags lst`). On a terminal, oclif's not-found plugin does it: it names the nearest
 * command and offers to run it. Piped or in a script nobody can answer, and the plugin would only say
 * "not a command"; so there we print one line naming the nearest command and exit 2, like any other
 * mistake in the command line (STYLE 10). `help [COMMAND]` also lands here, and shows that help.
 */
import type { Hook } from '@oclif/core';
import { loadHelpClass, toConfiguredId } from '@oclif/core';
import { closest } from '../../dag/suggest.js';
import { EXIT } from '../errors.js';

const hook: Hook<'command_not_found'> = async function (options) {
  // `help [COMMAND]`, which oclif only has as a plugin, and which the not-found plugin tells people to run.
  if (options.id === 'help' || options.id.startsWith('help:')) {
    const Help = await loadHelpClass(options.config);
    await new Help(options.config).showHelp([...options.id.split(':').slice(1), ...(options.argv ?? [])]);
    return;
  }
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const { default: pluginHook } = await import('@oclif/plugin-not-found');
    return pluginHook.call(this, options);
  }
  const visible = options.config.commands.filter((command) => !command.hidden);
  const ids = [...visible.map((command) => command.id), ...visible.flatMap((command) => command.aliases)];
  const typed = toConfiguredId(options.id, options.config);
  const nearest = closest(options.id, ids);
  const hint = nearest === null ? '' : `; did you mean \`${toConfiguredId(nearest, options.config)}\`?`;
  process.stderr.write(`Error: unknown command \`${typed}\`${hint} (\`${options.config.bin} --help\` lists the commands)\n`);
  this.exit(EXIT.usage);
};

export default hook;
