import type { ScheduleSpec } from '../dag/model.js';
import { CronDataIntervalTimetable, DeltaDataIntervalTimetable } from './interval.js';
import type { Timetable, TimetableOptions } from './model.js';
import { NullTimetable, OnceTimetable } from './simple.js';
import { CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable } from './trigger.js';
import type { TriggerOptions } from './trigger.js';

/**
 * Timetables already built, by schedule, zone and options. A timetable holds no state between calls, and
 * building one (parsing the cron expression, checking the zone) costs more than using it; a scheduler
 * asks for the same few schedules again for every DAG and on every pass. Cleared when it grows large,
 * so a stream of distinct schedules cannot grow it without bound.
 */
const built = new Map<string, Timetable>();
const MAX_BUILT = 4096;

/**
 * The timetable Airflow 3 builds for a DAG's `schedule`: trigger timetables by default, data-interval ones
 * when the environment asks for Airflow 2 behaviour, unless the schedule names its family itself (a
 * timetable object in a Python DAG file), which the config never overrides. A timetable's own `timezone`
 * wins over the DAG's. Throws `InvalidScheduleError` for a bad cron expression, time zone or duration.
 */
export function timetableFor(schedule: ScheduleSpec, timezone: string, options: TimetableOptions): Timetable {
  const key = JSON.stringify([schedule, timezone, options.create_cron_data_intervals, options.create_delta_data_intervals]);
  let timetable = built.get(key);
  if (timetable === undefined) {
    timetable = buildTimetable(schedule, timezone, options);
    if (built.size >= MAX_BUILT) built.clear();
    built.set(key, timetable);
  }
  return timetable;
}

function buildTimetable(schedule: ScheduleSpec, dagTimezone: string, options: TimetableOptions): Timetable {
  switch (schedule.kind) {
    case 'cron': {
      const summary = schedule.preset ?? schedule.expression;
      const timezone = schedule.timezone ?? dagTimezone;
      const family = schedule.timetable ?? (options.create_cron_data_intervals ? 'data_interval' : 'trigger');
      return family === 'data_interval'
        ? new CronDataIntervalTimetable(schedule.expression, timezone, summary)
        : new CronTriggerTimetable(schedule.expression, timezone, summary, triggerOptions(schedule));
    }
    case 'multi_cron':
      return new MultipleCronTriggerTimetable(schedule.expressions, schedule.timezone ?? dagTimezone, triggerOptions(schedule));
    case 'delta': {
      const family = schedule.timetable ?? (options.create_delta_data_intervals ? 'data_interval' : 'trigger');
      return family === 'data_interval'
        ? new DeltaDataIntervalTimetable(schedule.seconds)
        : new DeltaTriggerTimetable(schedule.seconds, triggerOptions(schedule));
    }
    case 'once':
      return new OnceTimetable();
    case 'none':
      return new NullTimetable();
  }
}

function triggerOptions(schedule: { interval_seconds?: number; run_immediately?: boolean | number }): TriggerOptions {
  return {
    ...(schedule.interval_seconds !== undefined ? { intervalSeconds: schedule.interval_seconds } : {}),
    ...(schedule.run_immediately !== undefined ? { runImmediately: schedule.run_immediately } : {}),
  };
}
