import { Flags } from '@oclif/core';
import { syncDagFolder } from '../../../service/dag-sync.js';
import { commandProgress } from '../../../service/progress.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { confirmOrStop } from '../../confirm.js';
import { plural, printJson, printLine, printTable } from '../../output.js';

export default class DagsSync extends EnvCommand {
  static override description =
    "Make the environment's DAG folder exactly a local folder: validates every DAG file first (if one fails, nothing changes), uploads new and changed files (Python or YAML) with the local modules and callables they use, deletes the files no longer in the folder. Prints the plan and asks unless --yes.";

  static override examples = [
    '<%= config.bin %> dags sync --env dev --dir dags/ --dry-run',
    '<%= config.bin %> dags sync --env dev --dir dags/ --yes',
    '<%= config.bin %> dags sync --env dev --dir dags/ --yes --json',
  ];

  static override flags = {
    ...envFlag,
    dir: Flags.string({ summary: 'The local DAG folder (searched recursively for .yaml/.yml files).', required: true, helpValue: 'DIR' }),
    'dry-run': Flags.boolean({ summary: 'Only print the plan; change nothing.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsSync);
    const environment = await this.environment(flags.env);
    const progress = commandProgress({ json: flags.json });
    const plan = await syncDagFolder(environment, flags.dir, { dryRun: true, progress });
    const changes = plan.upload.length + plan.delete.length;
    if (flags['dry-run'] || changes === 0) {
      if (flags.json) return printJson(plan);
      if (changes === 0) return printLine(`Already in sync: ${plural(plan.unchanged, 'file')} unchanged.`);
      printPlan(plan);
      return printLine('Dry run: nothing changed.');
    }
    if (!flags.json) printPlan(plan);
    await confirmOrStop(`Apply these ${plural(changes, 'change')} to environment "${flags.env}"?`, { yes: flags.yes });
    const done = await syncDagFolder(environment, flags.dir, { progress });
    if (flags.json) return printJson(done);
    printLine(`Synced: ${done.upload.length} uploaded, ${done.delete.length} deleted, ${done.unchanged} unchanged; the next tick parses them.`);
  }
}

function printPlan(plan: { upload: Array<{ path: string; action: string }>; delete: string[]; unchanged: number }): void {
  printTable(['Action', 'File (under dags/)'], [...plan.upload.map((u) => [u.action === 'new' ? 'upload (new)' : 'upload (changed)', u.path]), ...plan.delete.map((p) => ['delete', p])]);
  printLine(`${plan.upload.length} to upload, ${plan.delete.length} to delete, ${plan.unchanged} unchanged.`);
}
