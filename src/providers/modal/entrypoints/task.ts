/**
 * `run_task` inside a Modal container: one try of one task instance. The launcher writes the payload to a
 * file (AIRFLOW_SERVERLESS_PAYLOAD_FILE) and passes Modal's call id; the worker claims the try, runs the
 * operator, writes the log and XCom under /vol, commits through the launcher, reports in the Dict and
 * asks for a tick. A re-delivery of this call after a preemption takes the try back (redelivery.ts).
 *
 * Secrets: the container's environment holds the workspace token and the database URL (the secret
 * `airflow-secrets-{env}`). This process needs the token for the Dict and for spawning ticks; the
 * operator's processes need neither, so both leave process.env once the connection is built, before any
 * operator starts (a task's environment holds only what that task needs).
 */
import fs from 'node:fs';
import os from 'node:os';
import type { TaskPayload, TaskRecord } from '../../../executor/protocol.js';
import { runTaskFunction } from '../../../worker/index.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, dropSchedulerSecrets, isProcessEntry, runMain } from '../container.js';
import { ModalProviderError } from '../errors.js';
import { rearmRedeliveredTry } from '../redelivery.js';

export async function runModalTask(options: ContainerOptions = {}): Promise<TaskRecord | null> {
  const env = options.env ?? process.env;
  const file = env.AIRFLOW_SERVERLESS_PAYLOAD_FILE;
  if (!file) throw new ModalProviderError('AIRFLOW_SERVERLESS_PAYLOAD_FILE is not set');
  const payload = JSON.parse(fs.readFileSync(file, 'utf8')) as TaskPayload;
  fs.rmSync(file, { force: true });
  const ctx = await containerContext(options);
  dropSchedulerSecrets(ctx);
  try {
    const callId = env.AIRFLOW_SERVERLESS_CALL_ID || null;
    await rearmRedeliveredTry(payload, ctx.dict, callId, ctx.logger);
    return await runTaskFunction(payload, {
      dict: ctx.dict,
      volume: ctx.volume,
      requestTick: () => ctx.spawner.requestTick(),
      clock: ctx.clock,
      callId,
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
