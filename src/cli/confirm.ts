/**
 * Asking before a change (`tasks clear`, `runs clear`, `dags sync`): `--yes` skips the question; without a
 * terminal to ask on there is no answer, so the command refuses with exit 2 rather than guessing.
 */
import readline from 'node:readline/promises';
import { UserInputError } from '../service/errors.js';
import { ConfirmationRequiredError } from './errors.js';

export async function confirmOrStop(question: string, options: { yes: boolean; flag?: string }): Promise<void> {
  if (options.yes) return;
  const flag = options.flag ?? '--yes';
  if (!process.stdin.isTTY) throw new ConfirmationRequiredError(`not confirmed: no terminal to ask on; pass ${flag} to go ahead (or --dry-run to only look)`);
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`${question} [y/N] `);
  prompt.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new UserInputError('not confirmed; nothing was changed');
}
