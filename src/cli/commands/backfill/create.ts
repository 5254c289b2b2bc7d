import { Flags } from '@oclif/core';
import { REPROCESS_BEHAVIORS } from '../../../db/queries/backfills.js';
import type { ReprocessBehavior } from '../../../db/queries/backfills.js';
import { createBackfill, dryRunBackfill } from '../../../service/backfills.js';
import { UserInputError } from '../../../service/errors.js';
import { commandProgress } from '../../../service/progress.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { parseConf, parseInstant } from '../dags/trigger.js';
import { plural, printJson, printLine } from '../../output.js';

/** How long `backfill create` waits for a running scheduler to create the backfill and report its id. */
const WAIT_FOR_TICK_MS = 10_000;

export default class BackfillCreate extends EnvCommand {
  static override description =
    "Create a backfill (Airflow 3): one `backfill` run per date of the DAG's schedule from --from-date to --to-date (both included, finished intervals only). Dates that already have a run are skipped or rerun as --reprocess-behavior says; runs of a paused DAG still run.";

  static override examples = [
    '<%= config.bin %> backfill create --env dev --dag-id daily_etl --from-date 2025-01-01 --to-date 2025-01-31',
    '<%= config.bin %> backfill create --env dev --dag-id daily_etl --from-date 2025-01-01 --to-date 2025-01-07 --reprocess-behavior failed --max-active-runs 2 --run-backwards',
    '<%= config.bin %> backfill create --env dev --dag-id daily_etl --from-date 2025-01-01 --to-date 2025-01-31 --dry-run',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    'from-date': Flags.string({ summary: 'First logical date to cover (ISO 8601).', required: true, helpValue: 'ISO' }),
    'to-date': Flags.string({ summary: 'Last logical date to cover (ISO 8601, included).', required: true, helpValue: 'ISO' }),
    'reprocess-behavior': Flags.string({
      summary: 'Dates that already have a finished run: none skips them, failed reruns failed ones, completed reruns all.',
      options: [...REPROCESS_BEHAVIORS],
      default: 'none',
    }),
    'max-active-runs': Flags.integer({ summary: "How many of the backfill's runs may run at once.", default: 10, min: 1, helpValue: 'N' }),
    'run-backwards': Flags.boolean({ summary: 'Run the latest dates first.', default: false }),
    conf: Flags.string({ summary: "Every run's conf, a JSON object.", helpValue: 'JSON' }),
    'dry-run': Flags.boolean({ summary: 'Print the logical dates that would get a run; create nothing.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackfillCreate);
    const environment = await this.environment(flags.env);
    const request = {
      dagId: flags['dag-id'],
      fromDate: parseInstant(flags['from-date'], '--from-date'),
      toDate: parseInstant(flags['to-date'], '--to-date'),
      reprocessBehavior: flags['reprocess-behavior'] as ReprocessBehavior,
      maxActiveRuns: flags['max-active-runs'],
      runBackwards: flags['run-backwards'],
      ...(flags.conf !== undefined ? { dagRunConf: parseConf(flags.conf) } : {}),
    };
    if (flags['dry-run']) {
      const dry = await dryRunBackfill(environment, request);
      if (flags.json) return printJson(dry);
      for (const { logical_date } of dry.backfills) printLine(logical_date);
      process.stderr.write(`dry run: ${plural(dry.total_entries, 'run')} would be created or rerun; nothing changed\n`);
      return;
    }
    const progress = commandProgress({ json: flags.json });
    progress.step(`queueing the backfill of ${request.dagId}; waiting up to ${WAIT_FOR_TICK_MS / 1000} s for a running scheduler to create its runs`);
    const created = await createBackfill(environment, { ...request, waitMs: WAIT_FOR_TICK_MS });
    if (created.result && !created.result.ok) throw new UserInputError(created.result.message);
    if (flags.json) return printJson(created);
    if (created.backfill) {
      printLine(`Created backfill ${created.backfill.id}: ${created.result?.message ?? ''}`.trim());
      return;
    }
    printLine(`Queued backfill of ${request.dagId} (command ${created.command_id}); the next tick creates its runs (see \`backfill list --env ${flags.env}\`).`);
  }
}

