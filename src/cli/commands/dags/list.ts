import { listEnvironmentDags } from '../../../service/dags.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine, printTable, shortTime } from '../../output.js';

export default class DagsList extends EnvCommand {
  static override description = 'List the DAGs the scheduler has parsed, and files that failed to parse.';

  static override examples = ['<%= config.bin %> dags list --env dev', '<%= config.bin %> dags list --env dev --json'];

  static override flags = { ...envFlag, ...jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsList);
    const listing = await listEnvironmentDags(await this.environment(flags.env));
    if (flags.json) return printJson({ dags: listing.dags, total_entries: listing.dags.length, import_errors: listing.import_errors });
    if (listing.dags.length === 0 && listing.unparsed_files.length === 0 && listing.import_errors.length === 0) {
      printLine(`No DAGs yet. Upload one with \`dags create --env ${flags.env} --file <manifest.yaml>\`.`);
    } else if (listing.dags.length > 0) {
      printTable(
        ['DAG', 'Paused', 'Schedule', 'Next run (UTC)', 'File', 'Tags'],
        listing.dags.map((d) => [
          d.dag_id,
          d.is_paused ? 'yes' : 'no',
          d.timetable_summary,
          shortTime(d.next_dagrun_logical_date),
          d.relative_fileloc ?? d.fileloc,
          d.tags.map((t) => t.name).join(', '),
        ]),
      );
    }
    if (listing.unparsed_files.length > 0) {
      // Uploaded but not parsed yet: say so, rather than an empty table right after `dags create`.
      process.stderr.write(
        `Not parsed yet: ${listing.unparsed_files.join(', ')}. The next tick parses ${listing.unparsed_files.length === 1 ? 'it' : 'them'}: run \`tick --env ${flags.env}\`, or keep \`scheduler --env ${flags.env}\` running.\n`,
      );
    }
    for (const error of listing.import_errors) {
      process.stderr.write(`Import error in ${error.filename}: ${error.stack_trace.split('\n')[0]}\n`);
    }
  }
}
