/**
 * Trigger timetables (Airflow 3's defaults for cron and duration schedules): a run fires AT each fire time
 * and has no data interval, so logical_date = data_interval start = end = run_after = the fire time.
 */
import { CronSchedule } from './cron-schedule.js';
import { afterEndDate, exactInterval, exactRunInfo } from './dag-run-info.js';
import { DeltaSchedule } from './delta-schedule.js';
import type { DagRunInfo, DataInterval, NextDagrunArgs } from './model.js';
import { ScheduledTimetable } from './scheduled.js';
import { laterOf } from './schedule.js';

const FIVE_MINUTES_MS = 5 * 60_000;

abstract class TriggerTimetable extends ScheduledTimetable {
  nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null {
    const { lastAutomatedDataInterval: last, restriction, now } = args;
    let fireAt: Date;
    if (restriction.catchup) {
      if (last !== null) fireAt = this.schedule.next(last.end);
      else if (restriction.earliest === null) fireAt = this.firstFireWithoutStartDate(now);
      else fireAt = this.schedule.alignToNext(restriction.earliest);
    } else {
      // Without catchup the most recent missed fire time runs at once and older ones are skipped, but
      // never a fire time at or before the last run (the clock may have moved backwards) nor before
      // start_date.
      const candidates = [this.latestFireAtOrBefore(now, restriction.earliest)];
      if (last !== null) candidates.push(this.schedule.next(last.end));
      else if (restriction.earliest === null) candidates.push(this.firstFireWithoutStartDate(now));
      if (restriction.earliest !== null) candidates.push(this.schedule.alignToNext(restriction.earliest));
      fireAt = candidates.reduce(laterOf);
    }
    if (afterEndDate(fireAt, restriction)) return null;
    return exactRunInfo(fireAt);
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    return exactInterval(runAfter);
  }

  /** The first run of a DAG with no start_date and no runs yet. */
  protected abstract firstFireWithoutStartDate(now: Date): Date;

  /** The fire time that catchup=false runs immediately. */
  protected latestFireAtOrBefore(now: Date, _startDate: Date | null): Date {
    return this.schedule.alignToPrev(now);
  }
}

/** `schedule: "0 3 * * *"` or a preset, Airflow 3 default. */
export class CronTriggerTimetable extends TriggerTimetable {
  /**
   * @param expression cron expression, presets already expanded
   * @param timezone IANA zone the expression is read in
   * @param summary what `timetable_summary` shows (the preset name when one was used)
   */
  constructor(expression: string, timezone: string, summary: string = expression) {
    super(new CronSchedule(expression, timezone, summary));
  }

  /**
   * Airflow's `run_immediately` default: run the latest past fire time if it was recent (within a tenth
   * of the gap between fire times, at least five minutes), otherwise wait for the next one.
   */
  protected firstFireWithoutStartDate(now: Date): Date {
    const past = this.schedule.alignToPrev(now);
    const next = this.schedule.alignToNext(now);
    const buffer = Math.max((next.getTime() - past.getTime()) / 10, FIVE_MINUTES_MS);
    return now.getTime() - past.getTime() <= buffer ? past : next;
  }
}

/** `schedule: {__type__: datetime.timedelta, ...}`, Airflow 3 default: fire every `seconds`. */
export class DeltaTriggerTimetable extends TriggerTimetable {
  private readonly deltaMs: number;

  constructor(seconds: number) {
    super(new DeltaSchedule(seconds));
    this.deltaMs = Math.round(seconds * 1000);
  }

  protected firstFireWithoutStartDate(now: Date): Date {
    return now;
  }

  /**
   * Fire times lie on the grid start_date + k·delta, so the run catchup=false starts is the last grid
   * point at or before now. (Airflow uses `now` itself, which makes logical dates depend on when the
   * scheduler happened to look; the grid keeps them stable and on start_date's rhythm.)
   */
  protected override latestFireAtOrBefore(now: Date, startDate: Date | null): Date {
    if (startDate === null || now.getTime() < startDate.getTime()) {
      return now;
    }
    const steps = Math.floor((now.getTime() - startDate.getTime()) / this.deltaMs);
    return new Date(startDate.getTime() + steps * this.deltaMs);
  }
}
