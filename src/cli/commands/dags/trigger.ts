import { Flags } from '@oclif/core';
import { triggerDag } from '../../../service/dags.js';
import { UserInputError } from '../../../service/errors.js';
import { dagIdFlag, EnvCommand, envFlag, jsonFlag } from '../../base-command.js';
import { printJson, printLine } from '../../output.js';

export default class DagsTrigger extends EnvCommand {
  static override description =
    'Queue a manual DAG run. Prints its run id (manual__<logical date>); the next tick creates and starts it.';

  static override examples = [
    '<%= config.bin %> dags trigger --env dev --dag-id hourly_etl',
    `<%= config.bin %> dags trigger --env dev --dag-id hourly_etl --conf '{"source": "s3://bucket/x"}'`,
    '<%= config.bin %> dags trigger --env dev --dag-id hourly_etl --logical-date 2025-01-01T00:00:00Z',
  ];

  static override flags = {
    ...envFlag,
    ...dagIdFlag,
    conf: Flags.string({ summary: 'Run configuration, a JSON object (`dag_run.conf`).', helpValue: 'JSON' }),
    'logical-date': Flags.string({ summary: 'Logical date (ISO 8601). Default: now.', helpValue: 'ISO' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsTrigger);
    const conf = flags.conf === undefined ? {} : parseConf(flags.conf);
    const logicalDate = flags['logical-date'] === undefined ? undefined : parseInstant(flags['logical-date']);
    const result = await triggerDag(await this.environment(flags.env), flags['dag-id'], {
      conf,
      ...(logicalDate ? { logicalDate } : {}),
    });
    if (flags.json) return printJson(result);
    printLine(result.dag_run_id);
  }
}

function parseConf(text: string): Record<string, unknown> {
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

function parseInstant(text: string): Date {
  // A date without a zone is UTC, as Airflow reads it; a bare date is midnight UTC.
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`;
  const date = new Date(/^\d{4}-\d\d-\d\d$/.test(withZone) ? `${withZone}T00:00:00Z` : withZone);
  if (Number.isNaN(date.getTime())) throw new UserInputError(`--logical-date "${text}" is not an ISO 8601 date`);
  return date;
}
