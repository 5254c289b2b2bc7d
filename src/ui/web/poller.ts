/**
 * Live refresh: every ~2 s while something is queued or running, slower when all is quiet (new scheduled
 * runs still appear). One timer at a time; `stop()` when the view goes away.
 */
export const FAST_POLL_MS = 2000;
export const IDLE_POLL_MS = 10_000;

export class Poller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  /** `refresh` resolves to true when something is active (poll fast). */
  constructor(private readonly refresh: () => Promise<boolean>) {}

  async start(): Promise<void> {
    await this.tick();
  }

  /** Refresh now (after a user action), then keep the rhythm. */
  async now(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.tick();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let active = false;
    try {
      active = await this.refresh();
    } catch {
      active = false;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), active ? FAST_POLL_MS : IDLE_POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
