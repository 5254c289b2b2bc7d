/**
 * Wall-clock time in an IANA zone, represented as a "naive" instant: the epoch milliseconds the same
 * calendar fields would have in UTC. Cron is evaluated on these naive values (as Airflow does with croniter
 * on naive datetimes), then mapped back to real instants with Airflow's DST rules (see `toInstant`).
 */
import { IANAZone } from 'luxon';
import { InvalidScheduleError } from './errors.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Names of UTC itself, whose offset is always 0: asking luxon (Intl formatting) for it costs about as much
 * as a cron step, and nearly every DAG is in UTC.
 */
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']);

/**
 * Zone names already checked. Luxon's `isValidZone` builds an `Intl.DateTimeFormat` on every call (about
 * 0.2 ms); a scheduler checks the same few names for every DAG it parses. Bounded by the zone names that
 * exist, plus whatever bad names manifests contain (cleared if that ever grows large).
 */
const zoneValidity = new Map<string, boolean>();

function isValidZone(timezone: string): boolean {
  let valid = zoneValidity.get(timezone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(timezone);
    if (zoneValidity.size >= 4096) zoneValidity.clear();
    zoneValidity.set(timezone, valid);
  }
  return valid;
}

export class WallClock {
  /** Null for UTC, where every offset is 0. */
  private readonly zone: IANAZone | null;

  constructor(readonly timezone: string) {
    if (UTC_NAMES.has(timezone)) {
      this.zone = null;
      return;
    }
    if (!isValidZone(timezone)) {
      throw new InvalidScheduleError(`Unknown time zone '${timezone}' (expected an IANA name such as 'Europe/Amsterdam')`);
    }
    this.zone = IANAZone.create(timezone);
  }

  /** UTC offset in minutes in effect at an instant. */
  private offsetAt(instantMs: number): number {
    return this.zone === null ? 0 : this.zone.offset(instantMs);
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
    if (this.zone === null) return new Date(naiveMs);
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
