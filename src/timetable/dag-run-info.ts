import type { DagRunInfo, DataInterval, TimeRestriction } from './model.js';

/** A run for one instant: logical date, both interval ends and run_after all equal (trigger timetables). */
export function exactRunInfo(at: Date): DagRunInfo {
  return intervalRunInfo({ start: at, end: at });
}

/** A run covering [start, end): its logical date is the start and it may be created once the end passes. */
export function intervalRunInfo(interval: DataInterval): DagRunInfo {
  const start = new Date(interval.start.getTime());
  const end = new Date(interval.end.getTime());
  return { logical_date: new Date(start.getTime()), data_interval: { start, end }, run_after: new Date(end.getTime()) };
}

export function exactInterval(at: Date): DataInterval {
  return { start: new Date(at.getTime()), end: new Date(at.getTime()) };
}

/** True when a run at `at` would fall after the DAG's end_date (end_date itself may still run). */
export function afterEndDate(at: Date, restriction: TimeRestriction): boolean {
  return restriction.latest !== null && at.getTime() > restriction.latest.getTime();
}
