/**
 * The real warm worker (dist/runtime/warm-worker.js) over its IPC channel: quiet exit when its loop is gone
 * before it is ready, and the tick request of a try, which travels with the try's `done` while the loop is
 * there and through the state dict when the loop went away during the try.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TICK_REQUESTED_KEY, type TaskPayload, type TaskRecord } from '../src/executor/protocol.js';
import { localEnvironmentPaths } from '../src/providers/local/paths.js';
import { WARM_WORKER_PATH } from '../src/providers/local/spawner.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';
import type { WarmWorkerMessage } from '../src/runtime/warm-worker.js';
import { readXcom } from '../src/worker/xcom.js';
import { bashTask, makePayload, queuedRecord } from './worker-harness.js';

const DIST_WARM_WORKER = WARM_WORKER_PATH.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}`);

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-warm-'));
  fs.mkdirSync(localEnvironmentPaths('w', home).volume, { recursive: true });
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function startWorker(): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = fork(DIST_WARM_WORKER, ['--env', 'w'], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, AIRFLOW_SERVERLESS_HOME: home },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

function nextMessage(child: ChildProcess): Promise<WarmWorkerMessage> {
  return new Promise((resolve) => child.once('message', (message: WarmWorkerMessage) => resolve(message)));
}

/** A bash try, dispatched as the tick does it (QUEUED record in the environment's state dict). */
async function dispatch(dict: SqliteStateDict, command: string, taskId = 't'): Promise<TaskPayload> {
  const payload = makePayload(bashTask({ bash_command: command }, { task_id: taskId }), { timeout_seconds: 30 });
  await dict.put(payload.key, queuedRecord(payload, new Date().toISOString()));
  return payload;
}

it('a warm worker whose parent disconnected before it was ready exits 0 without a stack trace', async () => {
  const worker = startWorker();
  worker.child.disconnect();
  expect(await worker.exited).toBe(0);
  expect(worker.stderr()).toBe('');
});

describe('a try run by a warm worker', () => {
  let dict: SqliteStateDict;
  beforeEach(() => {
    dict = new SqliteStateDict(localEnvironmentPaths('w', home).stateDict);
  });
  afterEach(async () => dict.close());

  it('asks for its tick in its done message, not through the state dict', async () => {
    const worker = startWorker();
    try {
      expect(await nextMessage(worker.child)).toEqual({ type: 'ready' });
      const payload = await dispatch(dict, 'echo hi');
      const done = nextMessage(worker.child);
      worker.child.send({ type: 'run', payload, callId: 'local-1-1' });
      expect(await done).toEqual({ type: 'done', callId: 'local-1-1', status: 'SUCCESS', tick: true });
      expect((await dict.get<TaskRecord>(payload.key))?.status).toBe('SUCCESS');
      expect(await dict.get(TICK_REQUESTED_KEY)).toBeUndefined();
    } finally {
      worker.child.disconnect();
    }
    expect(await worker.exited).toBe(0);
  });

  /** The folder a `pwd` try ran in, from its return_value XCom. */
  const ranIn = (payload: TaskPayload) => String(readXcom(localEnvironmentPaths('w', home).volume, payload, 'return_value')?.value);

  it("gives a try's emptied temporary folder to its next try, a used one to nobody, and removes them when it exits", async () => {
    const worker = startWorker();
    expect(await nextMessage(worker.child)).toEqual({ type: 'ready' });
    const runTry = async (command: string, taskId: string, callId: string) => {
      const payload = await dispatch(dict, command, taskId);
      const done = nextMessage(worker.child);
      worker.child.send({ type: 'run', payload, callId });
      expect(await done).toMatchObject({ type: 'done', status: 'SUCCESS' });
      return ranIn(payload);
    };
    const firstDir = await runTry('pwd', 'first', 'local-1-1');
    expect(path.basename(firstDir)).toMatch(/^airflowtmp/);
    // Kept, empty, for the next try (removing and making a folder per try is what this saves).
    expect(fs.readdirSync(firstDir)).toEqual([]);
    expect(await runTry('touch left-behind; pwd', 'second', 'local-1-2')).toBe(firstDir);
    // That try left a file: the next one gets a new folder, and the used one is gone.
    const thirdDir = await runTry('pwd', 'third', 'local-1-3');
    expect(thirdDir).not.toBe(firstDir);
    expect(fs.existsSync(firstDir)).toBe(false);

    const last = await dispatch(dict, 'sleep 0.3; pwd', 'last');
    worker.child.send({ type: 'run', payload: last, callId: 'local-1-4' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    worker.child.disconnect();
    expect(await worker.exited).toBe(0);
    expect((await dict.get<TaskRecord>(last.key))?.status).toBe('SUCCESS');
    expect(ranIn(last)).toBe(thirdDir);
    expect(fs.existsSync(thirdDir)).toBe(false);
  });

  it('asks through the state dict when its loop went away during the try, then exits', async () => {
    const worker = startWorker();
    expect(await nextMessage(worker.child)).toEqual({ type: 'ready' });
    const payload = await dispatch(dict, 'sleep 0.5; echo late');
    worker.child.send({ type: 'run', payload, callId: 'local-1-1' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker.child.disconnect();
    expect(await worker.exited).toBe(0);
    expect((await dict.get<TaskRecord>(payload.key))?.status).toBe('SUCCESS');
    expect(typeof (await dict.get(TICK_REQUESTED_KEY))).toBe('string');
  });
});
