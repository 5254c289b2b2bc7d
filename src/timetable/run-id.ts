/**
 * Airflow's textual forms of instants: `datetime.isoformat()` of a UTC datetime, and run ids built from it.
 * Run ids are unique keys (dag_id, run_id), so the text must be byte-for-byte what Airflow prints.
 */
import type { RunType } from '../model.js';

/**
 * Python's `datetime.isoformat()` for a UTC instant: `2024-01-01T00:00:00+00:00`, with `.ffffff` only
 * when the sub-second part is non-zero (JS has milliseconds, so the last three digits are always 0).
 */
export function airflowIsoformat(date: Date): string {
  const millis = date.getTime();
  if (Number.isNaN(millis)) {
    throw new RangeError('airflowIsoformat: invalid Date');
  }
  // toISOString is always `YYYY-MM-DDTHH:MM:SS.mmmZ` for years 0000-9999, the range Python supports.
  const iso = date.toISOString();
  const seconds = iso.slice(0, 19);
  const ms = millis - Math.floor(millis / 1000) * 1000;
  const fraction = ms === 0 ? '' : `.${String(ms).padStart(3, '0')}000`;
  return `${seconds}${fraction}+00:00`;
}

/** `scheduled__2024-01-01T00:00:00+00:00`: Airflow's `DagRunType.generate_run_id` for a logical date. */
export function generateRunId(runType: RunType, date: Date): string {
  return `${runType}__${airflowIsoformat(date)}`;
}

/** Airflow's default `[scheduler] allowed_run_id_pattern`; it also keeps run ids safe in keys and paths. */
export const ALLOWED_RUN_ID = /^[A-Za-z0-9_.~:+-]+$/;

/** Why `runId` cannot name a run given by a user (null when it can): Airflow's pattern, and no dot folders. */
export function runIdProblem(runId: string): string | null {
  if (!ALLOWED_RUN_ID.test(runId)) return `The provided run ID '${runId}' is invalid. It does not match the pattern '${ALLOWED_RUN_ID.source}'`;
  // The pattern lets them through, but no URL can address such a run (clients resolve dot segments).
  if (runId === '.' || runId === '..') return `The provided run ID '${runId}' is invalid: '.' and '..' name folders`;
  return null;
}
