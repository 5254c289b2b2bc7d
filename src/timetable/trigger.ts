/**
 * Trigger timetables (Airflow 3's defaults for cron and duration schedules): a run fires AT each fire time.
 * With the default `interval` of 0 it has no data interval, so logical_date = data_interval start = end =
 * run_after = the fire time; with `interval=timedelta(...)` (CronTriggerTimetable/DeltaTriggerTimetable
 * objects in a Python DAG file) the data interval is [fire time - interval, fire time] and the logical date
 * its start, as Airflow's `DagRunInfo.interval` makes it.
 */
import { CronSchedule } from './cron-schedule.js';
import { afterEndDate, intervalRunInfo } from './dag-run-info.js';
import { DeltaSchedule } from './delta-schedule.js';
import type { DagRunInfo, DataInterval, NextDagrunArgs, Timetable } from './model.js';
import { ScheduledTimetable } from './scheduled.js';
import { laterOf } from './schedule.js';
import type { Schedule } from './schedule.js';

const FIVE_MINUTES_MS = 5 * 60_000;

/** `interval` and `run_immediately` of Airflow's trigger timetables; both default to Airflow's defaults. */
export interface TriggerOptions {
  /** Data interval length in seconds (Airflow's `interval`, default 0). */
  intervalSeconds?: number;
  /**
   * CronTriggerTimetable's first run without start_date: true runs the latest past fire time, a number of
   * seconds runs it if at most that old; false or absent uses Airflow's buffer (a tenth of the gap between
   * fire times, at least 5 minutes). Airflow's code treats False like None.
   */
  runImmediately?: boolean | number;
}

abstract class TriggerTimetable extends ScheduledTimetable {
  protected readonly intervalMs: number;

  protected constructor(schedule: Schedule, options: TriggerOptions) {
    super(schedule);
    this.intervalMs = Math.round((options.intervalSeconds ?? 0) * 1000);
  }

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
    return intervalRunInfo({ start: new Date(fireAt.getTime() - this.intervalMs), end: fireAt });
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    return { start: new Date(runAfter.getTime() - this.intervalMs), end: new Date(runAfter.getTime()) };
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
  private readonly runImmediately: boolean | number;

  /**
   * @param expression cron expression, presets already expanded
   * @param timezone IANA zone the expression is read in
   * @param summary what `timetable_summary` shows (the preset name when one was used)
   */
  constructor(expression: string, timezone: string, summary: string = expression, options: TriggerOptions = {}) {
    super(new CronSchedule(expression, timezone, summary), options);
    this.runImmediately = options.runImmediately ?? false;
  }

  /**
   * Airflow's `_calc_first_run`: `run_immediately=True` runs the latest past fire time; a timedelta runs it
   * if it is at most that old; otherwise (False, the default, behaves as None in Airflow's code) it runs if
   * it was recent (within a tenth of the gap between fire times, at least five minutes), else the next one.
   */
  protected firstFireWithoutStartDate(now: Date): Date {
    const past = this.schedule.alignToPrev(now);
    if (this.runImmediately === true) return past;
    const next = this.schedule.alignToNext(now);
    const buffer =
      typeof this.runImmediately === 'number' ? this.runImmediately * 1000 : Math.max((next.getTime() - past.getTime()) / 10, FIVE_MINUTES_MS);
    return now.getTime() - past.getTime() <= buffer ? past : next;
  }
}

/**
 * MultipleCronTriggerTimetable: one CronTriggerTimetable per expression (same zone, interval and
 * run_immediately); the next run is the one Airflow's sort keys pick: with catchup the earliest logical
 * date; without, the latest logical date at or before now, else the earliest after it. Fire times shared
 * by several expressions give one run.
 */
export class MultipleCronTriggerTimetable implements Timetable {
  readonly periodic = true;
  readonly summary: string;
  readonly description: string;
  private readonly timetables: CronTriggerTimetable[];

  constructor(expressions: readonly string[], timezone: string, options: TriggerOptions = {}) {
    this.timetables = expressions.map((expression) => new CronTriggerTimetable(expression, timezone, expression, options));
    this.summary = this.timetables.map((t) => t.summary).join(', ');
    this.description = this.timetables.map((t) => t.description).join(', ');
  }

  nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null {
    const now = args.now.getTime();
    const key = (info: DagRunInfo | null): number => {
      if (info === null) return Infinity;
      const at = info.logical_date.getTime();
      if (args.restriction.catchup) return at;
      return at <= now ? -at : at;
    };
    let best: DagRunInfo | null = null;
    for (const timetable of this.timetables) {
      const info = timetable.nextDagrunInfo(args);
      if (key(info) < key(best)) best = info;
    }
    return best;
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    // Every member shares the interval, so they all infer the same one.
    return this.timetables[0]!.inferManualDataInterval(runAfter);
  }
}

/** `schedule: {__type__: datetime.timedelta, ...}`, Airflow 3 default: fire every `seconds`. */
export class DeltaTriggerTimetable extends TriggerTimetable {
  private readonly deltaMs: number;

  constructor(seconds: number, options: Pick<TriggerOptions, 'intervalSeconds'> = {}) {
    super(new DeltaSchedule(seconds), options);
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
