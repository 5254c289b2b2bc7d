import { Flags } from '@oclif/core';
import type { DagTestResult, LogChunk } from '../../../runtime/dag-test.js';
import { UserInputError } from '../../../service/errors.js';
import { BaseCommand, jsonFlag } from '../../base-command.js';
import { EXIT } from '../../errors.js';
import { printJson, printTable } from '../../output.js';
import { openEnvironment } from '../../../service/environments.js';
import { parseConf, parseInstant } from './trigger.js';

export default class DagsTest extends BaseCommand {
  static override description =
    "Run one DAG run to completion in the foreground, each task's log printed as it runs; exit 0 iff the run succeeded. With --file: a local DAG file, in a throwaway environment (nothing uploaded or recorded). With --env: an uploaded DAG; the run is recorded.";

  static override examples = [
    '<%= config.bin %> dags test --file dags/tutorial_taskflow.py',
    '<%= config.bin %> dags test --file dags/daily_etl.yaml',
    `<%= config.bin %> dags test --file dags/etl.yaml --dag-id daily_etl --logical-date 2025-01-01 --conf '{"full": true}'`,
    '<%= config.bin %> dags test --env dev --dag-id daily_etl',
  ];

  static override flags = {
    file: Flags.string({ char: 'f', summary: 'A local DAG file to test (no environment needed).', helpValue: 'FILE', exclusive: ['env'] }),
    env: Flags.string({ char: 'e', summary: 'Test an uploaded DAG of this environment instead (the run is recorded).', helpValue: 'NAME' }),
    'dag-id': Flags.string({ char: 'd', summary: 'The DAG (required with --env, or when the file declares several).', helpValue: 'DAG_ID' }),
    'logical-date': Flags.string({ summary: 'Logical date (ISO 8601). Default: now.', helpValue: 'ISO' }),
    conf: Flags.string({ summary: 'Run configuration, a JSON object.', helpValue: 'JSON' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DagsTest);
    if (flags.file === undefined && flags.env === undefined) throw new UserInputError('give --file FILE (a local DAG file) or --env NAME --dag-id DAG_ID');
    const options = {
      ...(flags['dag-id'] !== undefined ? { dagId: flags['dag-id'] } : {}),
      ...(flags['logical-date'] !== undefined ? { logicalDate: parseInstant(flags['logical-date']) } : {}),
      ...(flags.conf !== undefined ? { conf: parseConf(flags.conf) } : {}),
      // Logs go to stderr with --json, so stdout stays one JSON document.
      onLog: logPrinter(flags.json ? process.stderr : process.stdout),
    };
    let result: DagTestResult;
    // Loaded here, not at start: it brings the scheduler's tick (test/cli-startup.test.ts).
    const { testDagFile, testUploadedDag } = await import('../../../runtime/dag-test.js');
    if (flags.file !== undefined) {
      result = await testDagFile(flags.file, options);
    } else {
      if (flags['dag-id'] === undefined) throw new UserInputError('--dag-id is required with --env');
      const environment = await openEnvironment(flags.env!);
      try {
        result = await testUploadedDag(environment, flags['dag-id'], options);
      } finally {
        await (environment.provider as { close?: () => Promise<void> }).close?.().catch(() => {});
      }
    }
    if (flags.json) printJson(result);
    else printTable(['Task', 'Map index', 'State', 'Tries'], result.task_instances.map((t) => [t.task_id, t.map_index < 0 ? '' : t.map_index, t.state ?? 'none', t.try_number]));
    if (!flags.json) process.stdout.write(`DAG run ${result.dag_run_id}: ${result.state}\n`);
    if (result.state !== 'success') this.exit(EXIT.failure);
  }
}

/** Prints log chunks, each line prefixed with its task (and try, after the first). */
export function logPrinter(stream: NodeJS.WritableStream): (chunk: LogChunk) => void {
  const partial = new Map<string, string>();
  return (chunk) => {
    const key = `${chunk.task_id}\u0000${chunk.map_index}\u0000${chunk.try_number}`;
    const text = (partial.get(key) ?? '') + chunk.text;
    const lines = text.split('\n');
    partial.set(key, lines.pop() ?? '');
    const label = `${chunk.task_id}${chunk.map_index >= 0 ? `[${chunk.map_index}]` : ''}${chunk.try_number > 1 ? ` try ${chunk.try_number}` : ''}`;
    for (const line of lines) stream.write(`[${label}] ${line}\n`);
  };
}
