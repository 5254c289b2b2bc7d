/** In-memory fakes of the provider ports, for unit tests of core code. */
import type { TaskPayload, TaskRecord } from '../../src/executor/protocol.js';
import type { Clock, StateDict, TaskSpawner } from '../../src/providers/ports.js';

/** A StateDict in a Map; values are JSON round-tripped so tests see what a real store would return. */
export class MemoryStateDict implements StateDict {
  readonly data = new Map<string, string>();

  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.data.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  async getMany<T>(keys: readonly string[]): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const key of keys) {
      const raw = this.data.get(key);
      if (raw !== undefined) out.set(key, JSON.parse(raw) as T);
    }
    return out;
  }
  async put(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.stringify(value));
  }
  async putIfAbsent(key: string, value: unknown): Promise<boolean> {
    if (this.data.has(key)) return false;
    this.data.set(key, JSON.stringify(value));
    return true;
  }
  async delete(key: string): Promise<boolean> {
    return this.data.delete(key);
  }
  async entries<T>(prefix: string): Promise<Array<[string, T]>> {
    return [...this.data.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, JSON.parse(v) as T]);
  }
}

/** Records spawns instead of running anything; tests play the task function's part by hand. */
export class RecordingSpawner implements TaskSpawner {
  readonly spawned: TaskPayload[] = [];
  readonly cancelled: string[] = [];
  /** Records handed to `endTry` (a dead try's leftovers ended before its retry). */
  readonly endedTries: TaskRecord[] = [];
  tickRequests = 0;
  private next = 1;

  async spawn(payload: TaskPayload): Promise<string> {
    this.spawned.push(payload);
    return `fake-call-${this.next++}`;
  }
  async cancel(callId: string): Promise<void> {
    this.cancelled.push(callId);
  }
  async endTry(record: TaskRecord): Promise<void> {
    this.endedTries.push(record);
  }
  async requestTick(): Promise<void> {
    this.tickRequests++;
  }
}

/** A clock tests move by hand, forwards or backwards. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: string | Date) {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: string | Date): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
