/** A warm worker whose scheduler loop went away before it was ready exits quietly (no stack trace). */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { localEnvironmentPaths } from '../src/providers/local/paths.js';
import { WARM_WORKER_PATH } from '../src/providers/local/spawner.js';

it('a warm worker whose parent disconnected before it was ready exits 0 without a stack trace', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-warm-'));
  try {
    fs.mkdirSync(localEnvironmentPaths('w', home).root, { recursive: true });
    const child = fork(WARM_WORKER_PATH.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}`), ['--env', 'w'], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, AIRFLOW_SERVERLESS_HOME: home },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.disconnect();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
