/**
 * Wall-clock time in an IANA zone, represented as a "naive" instant: the epoch milliseconds the same
 * calendar fields would have in UTC. Cron is evaluated on these naive values (as Airflow does with croniter
 * on naive datetimes), then mapped back to real instants with Airflow's DST rules (see `toInstant`).
 */
import { IANAZone } from 'luxon';
import { InvalidScheduleError } from './errors.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export class WallClock {
  private readonly zone: IANAZone;

  constructor(readonly timezone: string) {
    if (!IANAZone.isValidZone(timezone)) {
      throw new InvalidScheduleError(`Unknown time zone '${timezone}' (expected an IANA name such as 'Europe/Amsterdam')`);
    }
    this.zone = IANAZone.create(timezone);
  }

  /** UTC offset in minutes in effect at an instant. */
  private offsetAt(instantMs: number): number {
    return this.zone.offset(instantMs);
  }

  /** The naive wall-clock reading of an instant. */
  toNaive(instant: Date): number {
    const ms = instant.getTime();
    return ms + this.offsetAt(ms) * MINUTE_MS;
  }

  /**
   * The instant a naive wall-clock reading denotes. Matches Airflow's `make_aware` (which sets `fold=1`):
   * - a repeated reading (clocks go back) means its SECOND occurrence, so a daily 01:30 job in New York
   *   fires at 01:30 EST on the fall-back day, once;
   * - a skipped reading (clocks go forward) is read with the offset from before the jump, i.e. moved
   *   forward by the gap: 02:30 on a spring-forward day in Amsterdam fires at 03:30 CEST.
   * Luxon's own `fromObject` is not used because its choice for repeated readings depends on today's date.
   */
  toInstant(naiveMs: number): Date {
    // Offsets a day either side bracket any single transition near this reading.
    const before = this.offsetAt(naiveMs - DAY_MS);
    const after = this.offsetAt(naiveMs + DAY_MS);
    const candidates = [before, this.offsetAt(naiveMs), after]
      .map((offset) => naiveMs - offset * MINUTE_MS)
      .filter((instantMs) => this.toNaive(new Date(instantMs)) === naiveMs);
    if (candidates.length === 0) {
      return new Date(naiveMs - before * MINUTE_MS);
    }
    return new Date(Math.max(...candidates));
  }
}
