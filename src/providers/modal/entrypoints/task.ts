/**
 * `run_task` inside a Modal container: one try of one task instance. The launcher writes the payload to a
 * file (AIRFLOW_SERVERLESS_PAYLOAD_FILE) and passes Modal's call id; the worker claims the try, runs the
 * operator, writes the log and XCom under /vol, commits through the launcher, reports in the Dict and
 * asks for a tick.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { TaskPayload, TaskRecord } from '../../../executor/protocol.js';
import { runTaskFunction } from '../../../worker/index.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, isProcessEntry, runMain } from '../container.js';
import { ModalProviderError } from '../errors.js';

export async function runModalTask(options: ContainerOptions = {}): Promise<TaskRecord | null> {
  const env = options.env ?? process.env;
  const file = env.AIRFLOW_SERVERLESS_PAYLOAD_FILE;
  if (!file) throw new ModalProviderError('AIRFLOW_SERVERLESS_PAYLOAD_FILE is not set');
  const payload = JSON.parse(fs.readFileSync(file, 'utf8')) as TaskPayload;
  fs.rmSync(file, { force: true });
  const ctx = await containerContext(options);
  try {
    return await runTaskFunction(payload, {
      dict: ctx.dict,
      volume: ctx.volume,
      requestTick: () => ctx.spawner.requestTick(),
      clock: ctx.clock,
      callId: env.AIRFLOW_SERVERLESS_CALL_ID || null,
      logger: ctx.logger,
      hostname: os.hostname(),
    });
  } finally {
    ctx.close();
  }
}

if (isProcessEntry(import.meta.url)) {
  runMain('task', async () => {
    await runModalTask();
    return 0;
  });
}
