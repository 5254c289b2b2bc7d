import { Flags } from '@oclif/core';
import { listBackfills } from '../../../service/backfills.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine, printTable, shortTime } from '../../output.js';

export default class BackfillList extends EnvCommand {
  static override description = 'List backfills, oldest first, optionally of one DAG.';

  static override examples = ['<%= config.bin %> backfill list --env dev', '<%= config.bin %> backfill list --env dev --dag-id daily_etl --json'];

  static override flags = {
    ...envFlag,
    'dag-id': Flags.string({ char: 'd', summary: 'Only backfills of this DAG.', helpValue: 'DAG_ID' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BackfillList);
    const backfills = await listBackfills(await this.environment(flags.env), flags['dag-id'] !== undefined ? { dagId: flags['dag-id'] } : {});
    if (flags.json) return printJson({ backfills, total_entries: backfills.length });
    if (backfills.length === 0) return printLine('No backfills.');
    printTable(
      ['Id', 'DAG', 'From (UTC)', 'To (UTC)', 'Reprocess', 'Max active', 'Paused', 'Created (UTC)', 'Completed (UTC)'],
      backfills.map((b) => [b.id, b.dag_id, shortTime(b.from_date), shortTime(b.to_date), b.reprocess_behavior, b.max_active_runs, b.is_paused, shortTime(b.created_at), shortTime(b.completed_at)]),
    );
  }
}
