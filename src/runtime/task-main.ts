/**
 * Process entry of one local task function: `node dist/runtime/task-main.js --env <env> --payload <file>`.
 * Builds the local ports (state dict file, volume folder, wake-up socket) and runs the worker's task
 * function. Started by LocalTaskSpawner in its own process group.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { TaskPayload } from '../executor/protocol.js';
import { stderrLogger } from '../logger.js';
import { stopOnSignals } from './child-groups.js';
import { openLocalTaskPorts } from './task-ports.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { env: { type: 'string' }, payload: { type: 'string' } } });
  if (!values.env || !values.payload) {
    process.stderr.write('usage: task-main --env <env> --payload <file>\n');
    return 2;
  }
  const payload = JSON.parse(fs.readFileSync(values.payload, 'utf8')) as TaskPayload;
  // Read once: the payload is ours alone, and leftovers would pile up.
  fs.rmSync(values.payload, { force: true });
  stopOnSignals();

  const logger = stderrLogger({ debug: process.env.AIRFLOW_SERVERLESS_DEBUG === '1' });
  const ports = openLocalTaskPorts(values.env, logger);
  try {
    const record = await ports.run(payload, `local-${process.pid}`);
    logger.debug('task function done', { key: payload.key, status: record?.status ?? 'not claimed' });
    return 0;
  } finally {
    await ports.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`task-main: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
