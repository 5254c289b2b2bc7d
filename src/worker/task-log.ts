/**
 * The try's log file on the volume (`logs/dag_id=…/run_id=…/task_id=…/attempt=N.log`): our header and
 * footer lines, with the operator's own output written in between by the process itself (it gets the
 * descriptor), so output is never held in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskIdentity } from '../executor/protocol.js';
import type { Clock } from '../providers/ports.js';
import { logPath, resolveInside } from '../volume-layout.js';

const TAIL_CHUNK = 64 * 1024;

export class TaskLog {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly fd: number,
    private readonly clock: Clock,
  ) {}

  static open(volumeRoot: string, id: TaskIdentity, clock: Clock): TaskLog {
    const file = resolveInside(volumeRoot, logPath(id));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Append: a try runs once, but if a crashed attempt left lines behind, keep them for the reader.
    return new TaskLog(file, fs.openSync(file, 'a+'), clock);
  }

  /** One timestamped line of our own (not the operator's). */
  line(message: string): void {
    if (this.closed) return;
    const stamp = this.clock.now().toISOString();
    const text = message
      .split('\n')
      .map((part) => `[${stamp}] ${part}`)
      .join('\n');
    fs.writeSync(this.fd, text + '\n');
  }

  /** Current size in bytes: where the operator's output starts or ends. */
  offset(): number {
    return fs.fstatSync(this.fd).size;
  }

  /**
   * The last line written between two offsets, Airflow's BashOperator way: the final newline ends the last
   * line rather than starting an empty one, and the line is right-stripped. Reads backwards in chunks, so a
   * huge output costs one chunk, not the whole file.
   */
  lastLineBetween(start: number, end: number): string {
    if (end <= start) return '';
    let chunkSize = TAIL_CHUNK;
    while (true) {
      const from = Math.max(start, end - chunkSize);
      const buffer = Buffer.alloc(end - from);
      fs.readSync(this.fd, buffer, 0, buffer.length, from);
      let text = buffer.toString('utf8');
      if (text.endsWith('\n')) text = text.slice(0, -1);
      const newline = text.lastIndexOf('\n');
      if (newline >= 0 || from === start) return text.slice(newline + 1).trimEnd();
      chunkSize *= 4;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}
