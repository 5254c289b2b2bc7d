/**
 * Process entry of one local task function: `node dist/runtime/task-main.js --env <env> --payload <file>`.
 * Builds the local ports (state dict file, volume folder, wake-up socket) and runs the worker's task
 * function. Started by LocalTaskSpawner in its own process group.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { TaskPayload } from '../executor/protocol.js';
import { stderrLogger } from '../logger.js';
import { localEnvironmentPaths } from '../providers/local/paths.js';
import { requestLocalTick } from '../providers/local/spawner.js';
import { SqliteStateDict } from '../providers/local/state-dict.js';
import { LocalVolumeMount } from '../providers/local/volume.js';
import { runTaskFunction } from '../worker/index.js';
import { signalChildGroups } from './child-groups.js';

const STOP_GRACE_MS = 5_000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { env: { type: 'string' }, payload: { type: 'string' } } });
  if (!values.env || !values.payload) {
    process.stderr.write('usage: task-main --env <env> --payload <file>\n');
    return 2;
  }
  const payload = JSON.parse(fs.readFileSync(values.payload, 'utf8')) as TaskPayload;
  // Read once: the payload is ours alone, and leftovers would pile up.
  fs.rmSync(values.payload, { force: true });

  // Cancelled (spawner.cancel) or interrupted: stop the operator's group, give it a moment, then go. The
  // try's record stays RUNNING without heartbeats, and the tick treats it as a zombie.
  const stop = (signal: NodeJS.Signals): void => {
    signalChildGroups('SIGTERM');
    setTimeout(() => {
      signalChildGroups('SIGKILL');
      process.exit(128 + (os.constants.signals[signal] ?? 15));
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  const paths = localEnvironmentPaths(values.env);
  const dict = new SqliteStateDict(paths.stateDict);
  const logger = stderrLogger({ debug: process.env.AIRFLOW_SERVERLESS_DEBUG === '1' });
  try {
    const record = await runTaskFunction(payload, {
      dict,
      volume: new LocalVolumeMount(paths.volume),
      requestTick: () => requestLocalTick(paths, dict),
      callId: `local-${process.pid}`,
      logger,
      hostname: os.hostname(),
    });
    logger.debug('task function done', { key: payload.key, status: record?.status ?? 'not claimed' });
    return 0;
  } finally {
    await dict.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`task-main: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
