/** A fixed duration between fire times (Airflow's DeltaMixin over a `timedelta`). */
import { describeDelta } from './describe.js';
import { InvalidScheduleError } from './errors.js';
import type { Schedule } from './schedule.js';

export class DeltaSchedule implements Schedule {
  readonly summary: string;
  readonly description: string;
  private readonly deltaMs: number;

  constructor(readonly seconds: number) {
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new InvalidScheduleError(`Schedule interval must be a positive duration, not ${seconds} seconds`);
    }
    this.deltaMs = Math.round(seconds * 1000);
    this.summary = formatTimedelta(seconds);
    this.description = describeDelta(seconds);
  }

  // Elapsed-time arithmetic: a delta is an exact duration, unaffected by the DAG's time zone.
  next(current: Date): Date {
    return new Date(current.getTime() + this.deltaMs);
  }

  prev(current: Date): Date {
    return new Date(current.getTime() - this.deltaMs);
  }

  // Any instant is a valid start for a delta schedule: it has no boundaries to align to.
  alignToNext(current: Date): Date {
    return current;
  }

  alignToPrev(current: Date): Date {
    return current;
  }
}

/** Python's `str(timedelta(seconds=...))`: `0:30:00`, `1 day, 0:00:00`, `2 days, 1:00:00.500000`. */
export function formatTimedelta(totalSeconds: number): string {
  const micros = Math.round(totalSeconds * 1_000_000);
  const microsPerDay = 86_400_000_000;
  // Python normalises negatives to a negative day count plus a positive time of day.
  const days = Math.floor(micros / microsPerDay);
  let rest = micros - days * microsPerDay;
  const hours = Math.floor(rest / 3_600_000_000);
  rest -= hours * 3_600_000_000;
  const minutes = Math.floor(rest / 60_000_000);
  rest -= minutes * 60_000_000;
  const seconds = Math.floor(rest / 1_000_000);
  const fraction = rest - seconds * 1_000_000;
  const pad2 = (n: number): string => String(n).padStart(2, '0');
  let clock = `${hours}:${pad2(minutes)}:${pad2(seconds)}`;
  if (fraction !== 0) {
    clock += `.${String(fraction).padStart(6, '0')}`;
  }
  if (days === 0) {
    return clock;
  }
  return `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}`;
}
