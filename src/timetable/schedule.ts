/**
 * The arithmetic a timetable needs from a recurring schedule (Airflow's CronMixin / DeltaMixin). All
 * arguments and results are real instants (UTC Dates).
 */
export interface Schedule {
  /** Summary text: the cron expression or preset, or the duration as Python prints a timedelta. */
  readonly summary: string;
  readonly description: string;
  /** First fire time strictly after `current`. */
  next(current: Date): Date;
  /** Last fire time strictly before `current`. */
  prev(current: Date): Date;
  /** `current` if it is a fire time, else the next one. */
  alignToNext(current: Date): Date;
  /** `current` if it is a fire time, else the previous one. */
  alignToPrev(current: Date): Date;
}

export function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

export function sameInstant(a: Date, b: Date): boolean {
  return a.getTime() === b.getTime();
}
