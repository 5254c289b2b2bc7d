/**
 * Data-interval timetables (Airflow 2 behaviour, opt-in in Airflow 3 via `create_*_data_intervals`): each
 * run covers [start, end) of consecutive intervals; its logical date is the start and it is created once
 * the interval is over (run_after = end).
 */
import { CronSchedule } from './cron-schedule.js';
import { afterEndDate, intervalRunInfo } from './dag-run-info.js';
import { DeltaSchedule } from './delta-schedule.js';
import type { DagRunInfo, DataInterval, NextDagrunArgs } from './model.js';
import { ScheduledTimetable } from './scheduled.js';
import { laterOf } from './schedule.js';

abstract class DataIntervalTimetable extends ScheduledTimetable {
  nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null {
    const { lastAutomatedDataInterval: last, restriction, now } = args;
    let earliest = restriction.earliest;
    if (!restriction.catchup) earliest = this.skipToLatest(earliest, now);
    else if (earliest !== null) earliest = this.schedule.alignToNext(earliest);

    let start: Date;
    if (last === null) {
      // With catchup and no start_date there is no first interval to pick.
      if (earliest === null) return null;
      start = earliest;
    } else {
      // Re-aligning matters when the schedule changed since the last run. Taking the later of that and
      // `earliest` skips ahead without catchup (or to a moved start_date) but never goes back before the
      // last run, even when the clock has.
      const afterLast = this.schedule.alignToPrev(last.end);
      start = earliest === null ? afterLast : laterOf(afterLast, earliest);
    }
    if (afterEndDate(start, restriction)) return null;
    return intervalRunInfo({ start, end: this.schedule.next(start) });
  }

  /** Start of the interval catchup=false should run next, bounded below by start_date. */
  protected abstract skipToLatest(startDate: Date | null, now: Date): Date;
}

/** A cron schedule's fire times as interval boundaries (`create_cron_data_intervals: true`). */
export class CronDataIntervalTimetable extends DataIntervalTimetable {
  /** Same arguments as `CronTriggerTimetable`. */
  constructor(expression: string, timezone: string, summary: string = expression) {
    super(new CronSchedule(expression, timezone, summary));
  }

  /**
   * The latest complete interval, aligned to boundaries: at 01:05 with `*\/30` that is 00:30-01:00. Exactly
   * on a boundary, the interval that just ended.
   */
  protected skipToLatest(startDate: Date | null, now: Date): Date {
    const lastBoundary = this.schedule.prev(now);
    const nextBoundary = this.schedule.next(lastBoundary);
    const latestStart = nextBoundary.getTime() > now.getTime() ? this.schedule.prev(lastBoundary) : lastBoundary;
    return startDate === null ? latestStart : laterOf(latestStart, this.schedule.alignToNext(startDate));
  }

  /** The last complete interval: triggered at 01:00 on the 25th, a daily DAG covers the 24th. */
  inferManualDataInterval(runAfter: Date): DataInterval {
    const end = this.schedule.alignToPrev(runAfter);
    return { start: this.schedule.prev(end), end };
  }
}

/** Fixed-length intervals from start_date (`create_delta_data_intervals: true`). */
export class DeltaDataIntervalTimetable extends DataIntervalTimetable {
  constructor(seconds: number) {
    super(new DeltaSchedule(seconds));
  }

  /** The interval ending now (`now - delta` to `now`): aligned with the clock, not with start_date. */
  protected skipToLatest(startDate: Date | null, now: Date): Date {
    const latestStart = this.schedule.prev(now);
    return startDate === null ? latestStart : laterOf(latestStart, startDate);
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    return { start: this.schedule.prev(runAfter), end: new Date(runAfter.getTime()) };
  }
}
