/**
 * Waking the scheduler loop: the running loop listens on a unix socket next to the environment; a task
 * function (or the CLI) that wants a tick now connects and closes. A socket, unlike a pid file plus a
 * signal, cannot hit an unrelated process that inherited a dead loop's pid.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LocalEnvironmentPaths } from './paths.js';

/** Unix socket paths are limited to ~107 bytes; fall back to a hashed name in the temp dir when long. */
export function wakeSocketPath(paths: LocalEnvironmentPaths): string {
  const beside = path.join(paths.root, 'scheduler.sock');
  if (Buffer.byteLength(beside) <= 100) return beside;
  const digest = crypto.createHash('sha256').update(paths.root).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `airflow-serverless-${digest}.sock`);
}

/** Connects to the loop's socket; resolves true if a loop was listening. Never throws. */
export function wakeScheduler(paths: LocalEnvironmentPaths, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(wakeSocketPath(paths));
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref();
    let done = false;
    function finish(listening: boolean): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(listening);
    }
    socket.once('connect', () => socket.end(() => finish(true)));
    socket.once('error', () => finish(false));
  });
}

export class SchedulerAlreadyRunningError extends Error {
  constructor(env: string) {
    super(`a scheduler is already running for environment "${env}"`);
    this.name = 'SchedulerAlreadyRunningError';
  }
}

export interface WakeListener {
  close(): Promise<void>;
}

/**
 * Listens for wake-ups. A socket file left by a killed loop is removed when nobody answers on it; a live
 * answer means another loop runs for this environment, which we refuse rather than run two loops.
 */
export async function listenForWake(paths: LocalEnvironmentPaths, onWake: () => void): Promise<WakeListener> {
  const socketPath = wakeSocketPath(paths);
  fs.mkdirSync(path.dirname(socketPath), { recursive: true });
  const server = net.createServer((connection) => {
    connection.on('error', () => {});
    connection.resume();
    connection.end();
    onWake();
  });
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen();
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    if (await wakeScheduler(paths)) throw new SchedulerAlreadyRunningError(paths.env);
    fs.rmSync(socketPath, { force: true });
    await listen();
  }
  server.unref();
  return {
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          fs.rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}

/** True when a scheduler loop answers on the environment's socket. */
export function schedulerIsRunning(paths: LocalEnvironmentPaths): Promise<boolean> {
  return wakeScheduler(paths, 500);
}
