/** Timetables without a recurring schedule: `@once` and `None`. */
import { afterEndDate, exactInterval, exactRunInfo } from './dag-run-info.js';
import type { DagRunInfo, DataInterval, NextDagrunArgs, Timetable } from './model.js';

/** `schedule: "@once"`: one run at start_date (or as soon as it is seen), whatever catchup says. */
export class OnceTimetable implements Timetable {
  readonly periodic = false;
  readonly summary = '@once';
  readonly description = 'Once, as soon as possible';

  nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null {
    if (args.lastAutomatedDataInterval !== null) return null;
    const runAt = args.restriction.earliest ?? args.now;
    if (afterEndDate(runAt, args.restriction)) return null;
    return exactRunInfo(runAt);
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    return exactInterval(runAfter);
  }
}

/** `schedule: null`: manual and API runs only. */
export class NullTimetable implements Timetable {
  readonly periodic = false;
  readonly summary = 'None';
  readonly description = 'Never, external triggers only';

  nextDagrunInfo(): DagRunInfo | null {
    return null;
  }

  inferManualDataInterval(runAfter: Date): DataInterval {
    return exactInterval(runAfter);
  }
}
