/**
 * Keeps a RUNNING record fresh while the operator runs, so the tick can tell a live try from a zombie.
 * Beats never overlap (each waits for the previous), and `stop()` waits for the one in flight: a late
 * heartbeat `put` landing after the final record would turn SUCCESS back into RUNNING.
 */
import type { TaskRecord } from '../executor/protocol.js';
import type { Logger } from '../logger.js';
import type { Clock, StateDict } from '../providers/ports.js';

export interface HeartbeatOptions {
  dict: StateDict;
  key: string;
  /** The RUNNING record this function wrote; each beat re-puts it with a fresh `heartbeat_at`. */
  record: TaskRecord;
  intervalSeconds: number;
  clock: Clock;
  logger: Logger;
  /**
   * Called once when the record is no longer ours (deleted, another token, or moved out of RUNNING by the
   * tick or an operator): the try must stop, as Airflow stops a task whose state was changed externally.
   */
  onLost: (current: TaskRecord | undefined) => void;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private lost = false;
  private refreshPending = false;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.schedule();
  }

  /** Clears the timer and waits for a beat already under way. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /**
   * Beats now instead of at the next interval (the record gained a field the tick must see soon). A beat
   * already under way may have written the record before the change, so another follows it at once.
   */
  refresh(): void {
    if (this.stopped || this.lost) return;
    if (this.inFlight !== null) {
      this.refreshPending = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight = this.beat().finally(() => this.afterBeat());
  }

  private afterBeat(): void {
    this.inFlight = null;
    if (this.refreshPending) {
      this.refreshPending = false;
      this.refresh();
    } else {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped || this.lost) return;
    const ms = Math.max(0.05, this.options.intervalSeconds) * 1000;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.beat().finally(() => this.afterBeat());
    }, ms);
  }

  private async beat(): Promise<void> {
    const { dict, key, record, clock, logger } = this.options;
    try {
      const current = await dict.get<TaskRecord>(key);
      if (this.stopped) return;
      if (current === undefined || current.token !== record.token || current.status !== 'RUNNING') {
        this.lost = true;
        logger.warn('task record changed outside this task function; stopping the try', { key, status: current?.status ?? null });
        this.options.onLost(current);
        return;
      }
      record.heartbeat_at = clock.now().toISOString();
      await dict.put(key, record);
    } catch (error) {
      // A missed beat is not fatal: the tick only gives up on a try after several.
      logger.warn('heartbeat failed', { key, error: (error as Error).message });
    }
  }
}
