/**
 * A cron expression evaluated in an IANA zone, with Airflow's DST behaviour.
 *
 * cron-parser can evaluate in a zone itself (`tz`), but around DST switches its `prev()` skips a
 * spring-forward day and visits a fall-back day twice, and its `next()` picks the first of two repeated
 * readings where Airflow picks the second. So, like Airflow does with croniter, we evaluate the
 * expression on naive wall-clock readings (cron-parser in UTC, where no switch exists) and map the result
 * back with `WallClock.toInstant`.
 */
import { CronExpressionParser } from 'cron-parser';
import type { CronExpression } from 'cron-parser';
import { describeCron } from './describe.js';
import { InvalidScheduleError } from './errors.js';
import type { Schedule } from './schedule.js';
import { sameInstant } from './schedule.js';
import { WallClock } from './wall-clock.js';

const MAX_REMEMBERED_STEPS = 256;

export class CronSchedule implements Schedule {
  readonly summary: string;
  readonly description: string;
  private readonly clock: WallClock;
  /**
   * Schedules that fire at least hourly step through a repeated hour (clocks going back) by elapsed time
   * instead of by wall clock, so `30 * * * *` fires at both 02:30 CEST and 02:30 CET (Airflow's
   * "fold hour" workaround). Schedules firing less often fire once at the second reading.
   */
  private readonly coversEveryHour: boolean;
  /** Parsed once; each step repositions it (parsing costs as much as stepping). Not shared across awaits. */
  private readonly iterator: CronExpression;
  /** Results of `step`, by direction and instant (epoch ms); the answer depends on nothing else. */
  private readonly steps = { next: new Map<number, number>(), prev: new Map<number, number>() };

  /**
   * @param expression cron expression (5 fields, or 6 with seconds first), presets already expanded
   * @param summary text for `timetable_summary` (the preset name when the manifest used one)
   */
  constructor(
    readonly expression: string,
    timezone: string,
    summary: string = expression,
  ) {
    this.clock = new WallClock(timezone);
    this.iterator = this.parse();
    this.coversEveryHour = this.iterator.fields.hour.values.length === 24;
    this.summary = summary;
    this.description = describeCron(expression);
  }

  next(current: Date): Date {
    return this.step(current, 'next');
  }

  prev(current: Date): Date {
    return this.step(current, 'prev');
  }

  alignToNext(current: Date): Date {
    const next = this.next(current);
    return sameInstant(this.prev(next), current) ? current : next;
  }

  alignToPrev(current: Date): Date {
    const prev = this.prev(current);
    return sameInstant(this.next(prev), current) ? current : prev;
  }

  private step(current: Date, direction: 'next' | 'prev'): Date {
    // Timetables are shared (timetableFor memoises them), and a tick asks many DAGs with the same schedule
    // for the fire times around the same instants (its `now`, a common start_date); a step through
    // cron-parser costs ~0.1 ms. Bounded: cleared when full.
    const steps = this.steps[direction];
    const known = steps.get(current.getTime());
    if (known !== undefined) return new Date(known);
    const result = this.computeStep(current, direction);
    if (steps.size >= MAX_REMEMBERED_STEPS) steps.clear();
    steps.set(current.getTime(), result.getTime());
    return result;
  }

  private computeStep(current: Date, direction: 'next' | 'prev'): Date {
    const naive = this.clock.toNaive(current);
    let scheduledNaive: number;
    try {
      this.iterator.reset(new Date(naive));
      scheduledNaive = (direction === 'next' ? this.iterator.next() : this.iterator.prev()).getTime();
    } catch (error) {
      throw new InvalidScheduleError(`Cron expression '${this.expression}' has no ${direction} fire time: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    if (this.coversEveryHour) {
      return new Date(current.getTime() + (scheduledNaive - naive));
    }
    return this.clock.toInstant(scheduledNaive);
  }

  private parse(): CronExpression {
    try {
      // UTC, the zone without DST switches, because the values stepped through are naive wall-clock readings.
      return CronExpressionParser.parse(this.expression, { currentDate: new Date(0), tz: 'UTC' });
    } catch (error) {
      throw new InvalidScheduleError(`Invalid cron expression '${this.expression}': ${errorMessage(error)}`, { cause: error });
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
