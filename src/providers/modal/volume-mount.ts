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

/** Modal's refusal while files are open gets a message that says what to do about it. */
function syncError(operation: string, message: string): VolumeSyncError {
  if (/open files/.test(message)) {
    return new VolumeSyncError(`volume ${operation} failed: the volume is busy, a process still holds a file under it open (${message})`);
  }
  return new VolumeSyncError(`volume ${operation} failed: ${message}`);
}

/**
 * Asks the launcher to commit or reload the mounted volume, or tells it (`clean`) that nothing was
 * written since the last commit, so its own commit after Node exits can be skipped.
 */
export interface VolumeSync {
  request(operation: 'commit' | 'reload' | 'clean'): Promise<void>;
  close?(): void;
}

/**
 * A reload this soon after the last sync is skipped: the launcher reloads right before it starts Node, and
 * Modal's commit reloads too, so the scheduler pass's own reload at its start would fetch nothing new.
 */
export const FRESH_AFTER_SYNC_MS = 2_000;

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

  request(operation: 'commit' | 'reload' | 'clean'): Promise<void> {
    const next = this.queue.then(async () => {
      fs.writeSync(this.writeFd, `${operation}\n`);
      const reply = await this.lines.next();
      if (reply.done) throw new VolumeSyncError(`volume ${operation}: the launcher closed the control pipe`);
      if (reply.value !== 'ok') throw syncError(operation, reply.value.replace(/^error /, ''));
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

  /** When the volume was last known to match its committed state (the launcher reloaded just before Node). */
  private freshAt: number;

  constructor(
    readonly root: string,
    private readonly sync: VolumeSync,
    private readonly now: () => number = Date.now,
  ) {
    this.freshAt = now();
  }

  /** Runs before every commit and reload (close files on the volume there; write back before a commit). */
  beforeSync(hook: (operation: 'commit' | 'reload') => Promise<void>): void {
    this.beforeSyncHooks.push(hook);
  }

  private async prepare(operation: 'commit' | 'reload'): Promise<void> {
    for (const hook of this.beforeSyncHooks) await hook(operation);
  }

  async reload(): Promise<void> {
    await this.prepare('reload');
    if (this.now() - this.freshAt < FRESH_AFTER_SYNC_MS) return;
    await this.sync.request('reload');
    this.freshAt = this.now();
  }

  async commit(): Promise<void> {
    await this.prepare('commit');
    await this.sync.request('commit');
    this.freshAt = this.now();
  }

  /** Nothing was written since the last commit: the launcher's commit after Node exits can be skipped. */
  async declareClean(): Promise<void> {
    await this.sync.request('clean');
  }
}
