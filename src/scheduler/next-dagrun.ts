/**
 * The `dag.next_dagrun*` fields (Airflow's `calculate_dagrun_date_fields`): the next automated run after
 * the last one, from the DAG's timetable. Recomputed when a DAG is new, its schedule changed, it is unpaused,
 * or a scheduled run was just created.
 */
import type { Config } from '../config/model.js';
import type { DagSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import { getLatestScheduledRun } from '../db/queries/dag-runs.js';
import { setNextDagrun } from '../db/queries/dags.js';
import type { NextDagrunFields } from '../db/queries/dags.js';
import { timetableFor } from '../timetable/index.js';
import type { DagRunInfo, DataInterval, Timetable } from '../timetable/index.js';

export const NO_NEXT_DAGRUN: NextDagrunFields = {
  next_dagrun: null,
  next_dagrun_data_interval_start: null,
  next_dagrun_data_interval_end: null,
  next_dagrun_create_after: null,
};

export function timetableOf(spec: DagSpec, config: Config): Timetable {
  return timetableFor(spec.schedule, spec.timezone, {
    create_cron_data_intervals: config.scheduler.create_cron_data_intervals,
    create_delta_data_intervals: config.scheduler.create_delta_data_intervals,
  });
}

/** The fields that decide when runs happen: a change to any of them recomputes `next_dagrun*`. */
export function scheduleSignature(spec: DagSpec): string {
  return JSON.stringify([spec.schedule, spec.timezone, spec.start_date, spec.end_date, spec.catchup]);
}

export function nextRunInfo(
  timetable: Timetable,
  spec: DagSpec,
  lastAutomatedDataInterval: DataInterval | null,
  now: Date,
): DagRunInfo | null {
  return timetable.nextDagrunInfo({
    lastAutomatedDataInterval,
    restriction: {
      earliest: spec.start_date ? new Date(spec.start_date) : null,
      latest: spec.end_date ? new Date(spec.end_date) : null,
      catchup: spec.catchup,
    },
    now,
  });
}

export function toNextDagrunFields(info: DagRunInfo | null): NextDagrunFields {
  if (!info) return NO_NEXT_DAGRUN;
  return {
    next_dagrun: info.logical_date.toISOString(),
    next_dagrun_data_interval_start: info.data_interval.start.toISOString(),
    next_dagrun_data_interval_end: info.data_interval.end.toISOString(),
    next_dagrun_create_after: info.run_after.toISOString(),
  };
}

/** The data interval of the DAG's latest scheduled run, from which the timetable continues. */
export async function lastAutomatedDataInterval(q: Queryable, dagId: string): Promise<DataInterval | null> {
  const last = await getLatestScheduledRun(q, dagId);
  if (!last?.logical_date) return null;
  const start = last.data_interval_start ?? last.logical_date;
  const end = last.data_interval_end ?? last.logical_date;
  return { start: new Date(start), end: new Date(end) };
}

/** Recomputes and stores a DAG's next run from its latest scheduled run. */
export async function refreshNextDagrun(q: Queryable, spec: DagSpec, config: Config, now: Date): Promise<NextDagrunFields> {
  const fields = toNextDagrunFields(nextRunInfo(timetableOf(spec, config), spec, await lastAutomatedDataInterval(q, spec.dag_id), now));
  await setNextDagrun(q, spec.dag_id, fields);
  return fields;
}
