import type { ScheduleSpec } from '../dag/model.js';
import { CronDataIntervalTimetable, DeltaDataIntervalTimetable } from './interval.js';
import type { Timetable, TimetableOptions } from './model.js';
import { NullTimetable, OnceTimetable } from './simple.js';
import { CronTriggerTimetable, DeltaTriggerTimetable } from './trigger.js';

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
 * when the environment asks for Airflow 2 behaviour. Throws `InvalidScheduleError` for a bad cron
 * expression, time zone or duration.
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

function buildTimetable(schedule: ScheduleSpec, timezone: string, options: TimetableOptions): Timetable {
  switch (schedule.kind) {
    case 'cron': {
      const summary = schedule.preset ?? schedule.expression;
      return options.create_cron_data_intervals
        ? new CronDataIntervalTimetable(schedule.expression, timezone, summary)
        : new CronTriggerTimetable(schedule.expression, timezone, summary);
    }
    case 'delta':
      return options.create_delta_data_intervals
        ? new DeltaDataIntervalTimetable(schedule.seconds)
        : new DeltaTriggerTimetable(schedule.seconds);
    case 'once':
      return new OnceTimetable();
    case 'none':
      return new NullTimetable();
    case 'multi_cron':
      // Placeholder until timetable objects from Python DAG files land (issue 9).
      throw new Error('MultipleCronTriggerTimetable is not supported yet');
  }
}
