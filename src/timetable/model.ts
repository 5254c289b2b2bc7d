/**
 * Timetables decide when DAG runs happen (Airflow's `airflow.timetables`). All instants are Dates in UTC;
 * the DAG's timezone only changes how cron expressions are evaluated.
 */
export interface DataInterval {
  start: Date;
  end: Date;
}

export interface DagRunInfo {
  logical_date: Date;
  data_interval: DataInterval;
  /** Earliest instant the run may be created (Airflow's `run_after` / `next_dagrun_create_after`). */
  run_after: Date;
}

export interface TimeRestriction {
  /** The DAG's start_date, or null. */
  earliest: Date | null;
  /** The DAG's end_date, or null. */
  latest: Date | null;
  catchup: boolean;
}

/** What `Timetable#nextDagrunInfo` decides from. */
export interface NextDagrunArgs {
  lastAutomatedDataInterval: DataInterval | null;
  restriction: TimeRestriction;
  now: Date;
}

export interface Timetable {
  /** Short form for `dag.timetable_summary`, e.g. `0 3 * * *`, `1:00:00`, `@once`, `None`. */
  readonly summary: string;
  /** Human text for `dag.timetable_description`. */
  readonly description: string;
  /** False for `None` (manual only). */
  readonly periodic: boolean;
  /**
   * The next automated run after the last one (its data interval), or null when there is none (end_date
   * passed, @once already ran, schedule None). `now` matters only when catchup is false.
   */
  nextDagrunInfo(args: NextDagrunArgs): DagRunInfo | null;
  /** Data interval of a manual run with this logical date / run_after. */
  inferManualDataInterval(runAfter: Date): DataInterval;
}

export interface TimetableOptions {
  create_cron_data_intervals: boolean;
  create_delta_data_intervals: boolean;
}
