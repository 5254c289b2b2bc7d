import { Flags } from '@oclif/core';
import { uploadDagFile } from '../../../service/dags.js';
import { stderrProgress } from '../../../service/progress.js';
import { EnvCommand, envFlag } from '../../base-command.js';
import { plural, printLine, printWarnings } from '../../output.js';

export default class DagsUpdate extends EnvCommand {
  static override description =
    'Replace an uploaded DAG file (Python or YAML) with a new version of the same file name. Validated here first, like `dags create`; requires the file to exist.';

  static override examples = [
    '<%= config.bin %> dags update --env dev --file examples/dags/hourly_etl.yaml',
  ];

  static override flags = {
    ...envFlag,
    file: Flags.string({ char: 'f', summary: 'The DAG file to upload (.py, .yaml or .yml).', required: true, helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsUpdate);
    const result = await uploadDagFile(await this.environment(flags.env), flags.file, 'update', stderrProgress);
    printLine(`Updated ${result.fileloc}: ${result.dags.map((d) => `${d.dag_id} (${plural(d.tasks, 'task')})`).join(', ')}`);
    printWarnings(result.warnings);
  }
}
