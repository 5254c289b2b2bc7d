/** A schedule that cannot become a timetable: a bad cron expression, time zone or duration. */
export class InvalidScheduleError extends Error {
  override readonly name = 'InvalidScheduleError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
