import { Flags } from '@oclif/core';
import { BaseCommand, jsonFlag } from '../../base-command.js';
import { EXIT } from '../../errors.js';
import { printJson } from '../../output.js';
import { parseInstant } from '../dags/trigger.js';

export default class TasksTest extends BaseCommand {
  static override description =
    'Run one task of a local DAG file (Python or YAML) once, in the foreground, without its upstream tasks or retries, and print its log; nothing is uploaded or recorded. Exit 0 iff it succeeded.';

  static override examples = [
    '<%= config.bin %> tasks test --file dags/tutorial_taskflow.py --dag-id tutorial_taskflow --task-id extract',
    '<%= config.bin %> tasks test --file dags/daily_etl.yaml --dag-id daily_etl --task-id extract',
    '<%= config.bin %> tasks test --file dags/daily_etl.yaml --dag-id daily_etl --task-id load --logical-date 2025-01-01',
  ];

  static override flags = {
    file: Flags.string({ char: 'f', summary: 'The local DAG file.', required: true, helpValue: 'FILE' }),
    'dag-id': Flags.string({ char: 'd', summary: 'The DAG id.', required: true, helpValue: 'DAG_ID' }),
    'task-id': Flags.string({ char: 't', summary: 'The task id.', required: true, helpValue: 'TASK_ID' }),
    'logical-date': Flags.string({ summary: 'Logical date (ISO 8601). Default: now.', helpValue: 'ISO' }),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TasksTest);
    const out = flags.json ? process.stderr : process.stdout;
    // Loaded here, not at start: it brings the scheduler's tick (test/cli-startup.test.ts).
    const { testDagFile } = await import('../../../runtime/dag-test.js');
    const result = await testDagFile(flags.file, {
      dagId: flags['dag-id'],
      taskId: flags['task-id'],
      ...(flags['logical-date'] !== undefined ? { logicalDate: parseInstant(flags['logical-date']) } : {}),
      onLog: (chunk) => out.write(chunk.text),
    });
    const task = result.task_instances[0];
    if (flags.json) printJson({ dag_id: result.dag_id, task_id: flags['task-id'], state: task?.state ?? null });
    else process.stdout.write(`\nTask ${flags['task-id']}: ${task?.state ?? 'none'}\n`);
    if (task?.state !== 'success') this.exit(EXIT.failure);
  }
}
