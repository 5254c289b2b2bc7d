import readline from 'node:readline/promises';
import { Flags } from '@oclif/core';
import { UserInputError } from '../../../service/errors.js';
import { EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { CliUsageError } from '../../errors.js';
import { printJson, printLine } from '../../output.js';

export default class DbClean extends EnvCommand {
  static override description =
    "Purge old records, as Airflow's `db clean`: finished DAG runs (with their task instances, history, logs and XCom files), task instances of finished runs, task instance history and command log rows older than the timestamp. Each DAG's newest scheduled run is kept. Asks for confirmation unless --yes.";

  static override examples = [
    '<%= config.bin %> db clean --env dev --clean-before-timestamp 2025-01-01T00:00:00Z --dry-run',
    '<%= config.bin %> db clean --env dev --clean-before-timestamp 2025-01-01 --tables dag_run,command_log --yes',
  ];

  static override flags = {
    ...envFlag,
    'clean-before-timestamp': Flags.string({ summary: 'Remove records older than this ISO timestamp (UTC unless it says otherwise).', required: true, helpValue: 'ISO' }),
    tables: Flags.string({ summary: 'Comma-separated tables to clean (dag_run, task_instance, task_instance_history, command_log); default all.', helpValue: 'TABLES' }),
    'dry-run': Flags.boolean({ summary: 'Say what would be removed, remove nothing.', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.', default: false }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbClean);
    // Imported here, not with the command: it reaches the tick's lease rule and the local provider, which
    // the other commands' start must not pay for (test/cli-startup.test.ts).
    const { cleanDatabase, parseTables } = await import('../../../service/db-clean.js');
    const raw = flags['clean-before-timestamp'];
    // A date without a time or zone means UTC, as everywhere in this CLI.
    const before = new Date(/^\d{4}-\d\d-\d\d$/.test(raw) ? `${raw}T00:00:00Z` : /[zZ]|[+-]\d\d:?\d\d$/.test(raw) ? raw : `${raw}Z`);
    if (Number.isNaN(before.getTime())) throw new UserInputError(`--clean-before-timestamp: "${raw}" is not an ISO timestamp (e.g. 2025-01-01T00:00:00Z)`);
    const tables = parseTables(flags.tables);
    const environment = await this.environment(flags.env);
    if (!flags['dry-run'] && !flags.yes) {
      if (!process.stdin.isTTY) throw new CliUsageError('refusing to delete records without confirmation: no terminal to ask; pass --yes (or --dry-run)');
      const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
      const answer = await prompt.question(`Delete ${tables.join(', ')} records older than ${before.toISOString()} from environment "${environment.name}"? [y/N] `);
      prompt.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new UserInputError('not confirmed; nothing was removed');
    }
    const result = await cleanDatabase(environment, { before, tables, dryRun: flags['dry-run'] });
    if (flags.json) return printJson(result);
    const verb = result.dry_run ? 'Would remove' : 'Removed';
    printLine(`${verb} records older than ${result.clean_before_timestamp}${result.dry_run ? ' (dry run)' : ''}:`);
    for (const [table, count] of Object.entries(result.rows)) printLine(`  ${table}: ${count} row${count === 1 ? '' : 's'}`);
    printLine(`  volume: ${result.files} file${result.files === 1 ? '' : 's'} (${result.bytes} bytes) of logs and XCom`);
  }
}
