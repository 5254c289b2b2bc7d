/**
 * The `scheduler` command's line per tick. A busy loop runs a narrow reports pass for every task that
 * finishes (hundreds a second on a wide DAG): one line each buried the full passes and cost a terminal
 * write per task. Reports-only ticks are folded instead: the first after a printed line is printed as it
 * comes (a quiet loop stays as talkative as before), those that follow within `foldMs` are summed into one
 * `tick A-B: passes=… reportsReconciled=…` line, printed when the window closes, before the next full
 * pass's line, and at stop. Full passes and ticks that could not run print at once, as before.
 */
import type { TickResult } from '../scheduler/tick.js';
import { summariseTick } from '../runtime/tick-once.js';

const DEFAULT_FOLD_MS = 1_000;

/** A tick that only reconciled reports (and dispatched what they freed room for). */
function reportsOnly(result: TickResult): boolean {
  return result.ran && !result.fullPass && !result.leaseLost;
}

export class TickLines {
  private folded: { first: number; last: number; sum: Record<string, number> } | null = null;
  private lastPrintedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly options: { foldMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get foldMs(): number {
    return this.options.foldMs ?? DEFAULT_FOLD_MS;
  }

  add(result: TickResult, n: number): void {
    if (!reportsOnly(result)) {
      this.flush();
      this.print(`tick ${n}: ${summariseTick(result)}`);
      return;
    }
    if (this.folded === null && this.now() - this.lastPrintedAt >= this.foldMs) {
      this.print(`tick ${n}: ${summariseTick(result)}`);
      return;
    }
    this.folded ??= { first: n, last: n, sum: {} };
    this.folded.last = n;
    for (const [key, value] of Object.entries(result)) {
      if (typeof value === 'number') this.folded.sum[key] = (this.folded.sum[key] ?? 0) + value;
    }
    // The window closes a fold interval after the last printed line, even if no tick follows.
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastPrintedAt + this.foldMs - this.now()));
    this.timer.unref?.();
  }

  /** Prints what is folded (at stop, and before any other line). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const folded = this.folded;
    if (folded === null) return;
    this.folded = null;
    const range = folded.first === folded.last ? `${folded.first}` : `${folded.first}-${folded.last}`;
    this.print(`tick ${range}: ${summariseTick({ ran: true, ...folded.sum })}`);
  }

  private print(line: string): void {
    this.write(`${line}\n`);
    this.lastPrintedAt = this.now();
  }
}
