import { Flags } from '@oclif/core';
import { uploadDagFile } from '../../../service/dags.js';
import { stderrProgress } from '../../../service/progress.js';
import { EnvCommand, envFlag } from '../../base-command.js';
import { plural, printLine, printWarnings } from '../../output.js';

export default class DagsCreate extends EnvCommand {
  static override description =
    'Upload a new DAG file: an Airflow Python DAG file or a dag-factory YAML manifest. It is parsed here first: a bad file never reaches the environment. The local modules a Python file imports from its folder (or the callable files a manifest names) are uploaded with it. Refuses a file name that already exists (use `dags update`).';

  static override examples = [
    '<%= config.bin %> dags create --env dev --file examples/dags/tutorial_taskflow.py',
    '<%= config.bin %> dags create --env dev --file examples/dags/hourly_etl.yaml',
  ];

  static override flags = {
    ...envFlag,
    file: Flags.string({ char: 'f', summary: 'The DAG file to upload (.py, .yaml or .yml).', required: true, helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsCreate);
    const result = await uploadDagFile(await this.environment(flags.env), flags.file, 'create', stderrProgress);
    printLine(`Uploaded ${result.fileloc}: ${result.dags.map((d) => `${d.dag_id} (${plural(d.tasks, 'task')})`).join(', ')}`);
    printWarnings(result.warnings);
  }
}
