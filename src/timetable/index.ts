/** Timetables: when DAG runs happen and which data interval each covers (Airflow's `airflow.timetables`). */
export type { DagRunInfo, DataInterval, NextDagrunArgs, TimeRestriction, Timetable, TimetableOptions } from './model.js';
export { timetableFor } from './factory.js';
export { CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable } from './trigger.js';
export { CronDataIntervalTimetable, DeltaDataIntervalTimetable } from './interval.js';
export { NullTimetable, OnceTimetable } from './simple.js';
export { InvalidScheduleError } from './errors.js';
export { airflowIsoformat, generateRunId, runIdProblem } from './run-id.js';
export { formatTimedelta } from './delta-schedule.js';
