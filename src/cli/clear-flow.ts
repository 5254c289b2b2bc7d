/**
 * What `tasks clear` and `runs clear` share: list what would be cleared (the service's dry run), stop there
 * on --dry-run or when nothing matches, otherwise ask (or take --yes) and clear, then say what was queued.
 */
import type { ClearResult } from '../service/operations.js';
import { confirmOrStop } from './confirm.js';
import { plural, printJson, printLine } from './output.js';
import { printTaskInstances } from './task-instance-table.js';

export async function previewAndClear(
  clear: (dryRun: boolean) => Promise<ClearResult>,
  flags: { json: boolean; 'dry-run': boolean; yes: boolean; 'dag-id': string },
  question: (preview: ClearResult) => string,
): Promise<void> {
  const preview = await clear(true);
  const count = (result: ClearResult) => `${plural(result.task_instances.length, 'task instance')} in ${plural(result.dag_run_ids.length, 'run')}`;
  if (flags['dry-run'] || preview.task_instances.length === 0) {
    if (flags.json) return printJson(preview);
    if (preview.task_instances.length === 0) return printLine('Nothing to clear.');
    printTaskInstances(preview.task_instances);
    return printLine(`Would clear ${count(preview)} (dry run: nothing changed).`);
  }
  if (!flags.json) printTaskInstances(preview.task_instances);
  await confirmOrStop(question(preview), { yes: flags.yes });
  const done = await clear(false);
  if (done.dag_is_paused) process.stderr.write(`note: ${flags['dag-id']} is paused; the cleared runs stay queued until it is unpaused\n`);
  if (flags.json) return printJson(done);
  printLine(`Queued the clear of ${count(done)}; the next tick applies it.`);
}
