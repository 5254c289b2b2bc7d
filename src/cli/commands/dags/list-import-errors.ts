import { listImportErrorsOf } from '../../../service/inspect.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine, printTable, shortTime } from '../../output.js';

export default class DagsListImportErrors extends EnvCommand {
  static override description = 'List the DAG files that failed to parse, with their errors.';

  static override examples = ['<%= config.bin %> dags list-import-errors --env dev', '<%= config.bin %> dags list-import-errors --env dev --json'];

  static override flags = { ...envFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsListImportErrors);
    const errors = await listImportErrorsOf(await this.environment(flags.env));
    if (flags.json) return printJson({ import_errors: errors, total_entries: errors.length });
    if (errors.length === 0) return printLine('No import errors.');
    printTable(['File', 'Error', 'Parsed (UTC)'], errors.map((e) => [e.filename, e.stack_trace, shortTime(e.timestamp)]));
  }
}
