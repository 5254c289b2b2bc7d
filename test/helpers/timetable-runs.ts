/** Asking a timetable for runs the way the tick does, for the timetable tests. */
import type { DagRunInfo, DataInterval, TimeRestriction, Timetable } from '../../src/timetable/index.js';

export const at = (iso: string): Date => new Date(iso);

/** What the scheduler would create by `now`: keep asking for the next run while one is due. */
export function runsDueBy(timetable: Timetable, limits: TimeRestriction, now: Date, last: DataInterval | null = null): DagRunInfo[] {
  const runs: DagRunInfo[] = [];
  let previous = last;
  for (;;) {
    const info = timetable.nextDagrunInfo({ lastAutomatedDataInterval: previous, restriction: limits, now });
    if (info === null || info.run_after.getTime() > now.getTime()) return runs;
    runs.push(info);
    previous = info.data_interval;
    if (runs.length > 1000) throw new Error('runaway timetable');
  }
}

/** Each run's logical date as a UTC ISO string. */
export function fireTimes(runs: DagRunInfo[]): string[] {
  return runs.map((run) => run.logical_date.toISOString());
}
