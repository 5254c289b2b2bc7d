/** The scheduler command's tick lines: reports-only ticks in quick succession share one line. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TickLines } from '../src/cli/tick-lines.js';
import { emptyCounters, type TickResult } from '../src/scheduler/tick.js';

function tick(overrides: Partial<TickResult>): TickResult {
  return { ran: true, leaseLost: false, passes: 1, fullPass: false, fullPassNeeded: false, requestedAgain: false, ...emptyCounters(), ...overrides };
}

const report = tick({ reportsReconciled: 1, dispatched: 1 });
const full = tick({ fullPass: true, manifestsParsed: 1, dispatched: 2 });

describe('TickLines', () => {
  let lines: string[];
  let now: number;
  let printer: TickLines;
  beforeEach(() => {
    vi.useFakeTimers();
    lines = [];
    now = 0;
    printer = new TickLines((line) => lines.push(line), { now: () => now });
  });
  afterEach(() => vi.useRealTimers());

  it('prints full passes at once, and the first reports-only tick after a quiet second', () => {
    printer.add(full, 1);
    now = 1_500;
    printer.add(report, 2);
    expect(lines).toEqual(['tick 1: ran passes=1 fullPass manifestsParsed=1 dispatched=2\n', 'tick 2: ran passes=1 reportsReconciled=1 dispatched=1\n']);
  });

  it('folds reports-only ticks within a second into one line with summed counters, closed by the timer', () => {
    printer.add(full, 1);
    for (let n = 2; n <= 300; n++) {
      now += 2;
      printer.add(report, n);
    }
    expect(lines).toHaveLength(1);
    now = 1_000;
    vi.advanceTimersByTime(1_000);
    expect(lines).toEqual(['tick 1: ran passes=1 fullPass manifestsParsed=1 dispatched=2\n', 'tick 2-300: ran passes=299 reportsReconciled=299 dispatched=299\n']);
  });

  it('prints what is folded before the next full pass, and on flush; a lost lease is never folded', () => {
    printer.add(full, 1);
    now = 10;
    printer.add(report, 2);
    printer.add(report, 3);
    printer.add(full, 4);
    printer.add(report, 5);
    printer.add(tick({ ran: true, leaseLost: true }), 6);
    printer.add(report, 7);
    printer.flush();
    printer.flush();
    expect(lines.map((line) => line.split(':')[0])).toEqual(['tick 1', 'tick 2-3', 'tick 4', 'tick 5', 'tick 6', 'tick 7']);
    expect(lines[5]).toBe('tick 7: ran passes=1 reportsReconciled=1 dispatched=1\n');
  });

  it('a tick that did not run (the lease was elsewhere) prints at once', () => {
    printer.add(full, 1);
    printer.add(tick({ ran: false, passes: 0 }), 2);
    expect(lines[1]).toBe('tick 2: nothing to do\n');
  });
});
