/**
 * The volume as code inside a Modal container sees it: a folder at /vol. Only Python can commit or reload
 * a mounted volume (the JS SDK has no such call, and the RPC is tied to the container's own identity), so
 * the launcher (templates/modal_app.py) serves a tiny line protocol on two pipes whose descriptors it
 * passes in AIRFLOW_SERVERLESS_VOLUME_CONTROL="<readFd>,<writeFd>": we write `commit` or `reload`, it
 * answers `ok` or `error <message>`.
 *
 * Before each sync the mount runs `beforeSync` (the tick closes its SQLite handle there): Modal's reload
 * fails while files on the volume are open, and a commit must not capture a half-written database.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { VolumeMount } from '../ports.js';
import { ModalProviderError } from './errors.js';

export class VolumeSyncError extends ModalProviderError {}

/** Asks the launcher to commit or reload the mounted volume. */
export interface VolumeSync {
  request(operation: 'commit' | 'reload'): Promise<void>;
  close?(): void;
}

/** The launcher's pipe protocol. One request at a time; requests queue in order. */
export class PipeVolumeSync implements VolumeSync {
  private readonly lines: AsyncIterator<string>;
  private readonly reader: readline.Interface;
  private readonly replies: fs.ReadStream;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readFd: number,
    private readonly writeFd: number,
  ) {
    // The stream owns the read descriptor: closing it ourselves while a read is pending would fail that
    // read with EBADF; destroying the stream defers the close until the read returns.
    this.replies = fs.createReadStream('', { fd: readFd });
    this.replies.on('error', () => undefined);
    this.reader = readline.createInterface({ input: this.replies });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  /** From AIRFLOW_SERVERLESS_VOLUME_CONTROL; undefined when not running under the launcher. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): PipeVolumeSync | undefined {
    const spec = env.AIRFLOW_SERVERLESS_VOLUME_CONTROL;
    if (!spec) return undefined;
    const [readFd, writeFd] = spec.split(',').map((part) => Number.parseInt(part, 10));
    if (!Number.isInteger(readFd) || !Number.isInteger(writeFd)) {
      throw new VolumeSyncError(`AIRFLOW_SERVERLESS_VOLUME_CONTROL is malformed: ${spec}`);
    }
    return new PipeVolumeSync(readFd!, writeFd!);
  }

  request(operation: 'commit' | 'reload'): Promise<void> {
    const next = this.queue.then(async () => {
      fs.writeSync(this.writeFd, `${operation}\n`);
      const reply = await this.lines.next();
      if (reply.done) throw new VolumeSyncError(`volume ${operation}: the launcher closed the control pipe`);
      if (reply.value !== 'ok') throw new VolumeSyncError(`volume ${operation} failed: ${reply.value.replace(/^error /, '')}`);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.reader.close();
    this.replies.destroy();
    try {
      fs.closeSync(this.writeFd);
    } catch {
      // Already closed.
    }
  }
}

export class ModalVolumeMount implements VolumeMount {
  private beforeSyncHooks: Array<(operation: 'commit' | 'reload') => Promise<void>> = [];

  constructor(
    readonly root: string,
    private readonly sync: VolumeSync,
  ) {}

  /** Runs before every commit and reload (close files on the volume there; write back before a commit). */
  beforeSync(hook: (operation: 'commit' | 'reload') => Promise<void>): void {
    this.beforeSyncHooks.push(hook);
  }

  private async prepare(operation: 'commit' | 'reload'): Promise<void> {
    for (const hook of this.beforeSyncHooks) await hook(operation);
  }

  async reload(): Promise<void> {
    await this.prepare('reload');
    await this.sync.request('reload');
  }

  async commit(): Promise<void> {
    await this.prepare('commit');
    await this.sync.request('commit');
  }
}
