import { Flags } from '@oclif/core';
import { DateTime } from 'luxon';
import { triggerDag } from '../../../service/dags.js';
import { UserInputError } from '../../../service/errors.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine } from '../../output.js';

export default class DagsTrigger extends EnvCommand {
  static override description =
    'Queue a manual DAG run. Prints its run id (manual__<logical date> unless --run-id names it); the next tick creates and starts it.';

  static override examples = [
    '<%= config.bin %> dags trigger --env dev --dag-id hourly_etl',
    `<%= config.bin %> dags trigger --env dev --dag-id hourly_etl --conf '{"source": "s3://bucket/x"}'`,
    '<%= config.bin %> dags trigger --env dev --dag-id hourly_etl --logical-date 2025-01-01T00:00:00Z',
    '<%= config.bin %> dags trigger --env dev --dag-id hourly_etl --run-id backfill_fix_42',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    conf: Flags.string({ summary: 'Run configuration, a JSON object (`dag_run.conf`).', helpValue: 'JSON' }),
    'logical-date': Flags.string({ summary: 'Logical date (ISO 8601). Default: now.', helpValue: 'ISO' }),
    'run-id': Flags.string({
      char: 'r',
      summary: 'The run id (letters, digits and _ . ~ : + -). Default: manual__<logical date>.',
      helpValue: 'RUN_ID',
    }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsTrigger);
    const conf = flags.conf === undefined ? {} : parseConf(flags.conf);
    const logicalDate = flags['logical-date'] === undefined ? undefined : parseInstant(flags['logical-date']);
    const result = await triggerDag(await this.environment(flags.env), flags['dag-id'], {
      conf,
      ...(logicalDate ? { logicalDate } : {}),
      ...(flags['run-id'] !== undefined ? { runId: flags['run-id'] } : {}),
    });
    if (result.is_paused) {
      process.stderr.write(`note: ${result.dag_id} is paused; the run stays queued until \`dags unpause --env ${flags.env} --dag-id ${result.dag_id}\`\n`);
    }
    if (flags.json) return printJson(result);
    printLine(result.dag_run_id);
  }
}

export function parseConf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`--conf is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserInputError('--conf must be a JSON object, like {"key": "value"}');
  }
  return value as Record<string, unknown>;
}

/**
 * Strict ISO 8601 (luxon), so `2025-02-30` or `1` is an error rather than a silently different date. A date
 * without a zone is UTC, as Airflow reads it; a bare date is midnight UTC; a space may stand for the `T`.
 */
export function parseInstant(text: string, flag = '--logical-date'): Date {
  const parsed = DateTime.fromISO(text.trim().replace(/^(\d{4}-\d\d-\d\d) (?=\d)/, '$1T'), { zone: 'utc' });
  if (!parsed.isValid || !/^\d{4}-\d\d-\d\d/.test(text.trim())) {
    throw new UserInputError(`${flag} "${text}" is not an ISO 8601 date; use e.g. 2025-01-01 or 2025-01-01T06:00:00Z`);
  }
  return parsed.toJSDate();
}
