/** What the cron and duration timetables (trigger and data-interval kinds alike) have in common. */
import type { DagRunInfo, DataInterval, NextDagrunArgs, Timetable } from './model.js';
import type { Schedule } from './schedule.js';

/** A timetable driven by a recurring schedule: periodic, and summarised as its schedule is. */
export abstract class ScheduledTimetable implements Timetable {
  readonly periodic = true;
  readonly summary: string;
  readonly description: string;

  protected constructor(protected readonly schedule: Schedule) {
    this.summary = schedule.summary;
    this.description = schedule.description;
  }

  abstract nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null;

  abstract inferManualDataInterval(runAfter: Date): DataInterval;
}
