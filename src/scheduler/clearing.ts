/**
 * Airflow's `clear_task_instances`, shared by `tasks clear`, `runs clear`, marking (which clears the failed
 * tasks downstream of a marked one) and a backfill reprocessing a finished run. Cleared task instances go
 * back to none, keeping their try number (the next dispatch increments it) with
 * `max_tries = try_number + retries`, so a cleared task gets its full retries again; the run goes back to
 * queued (start date reset, `clear_number` + 1) so the next ticks start and run it again.
 */
import type { Queryable } from '../db/backend.js';
import { updateDagRun } from '../db/queries/dag-runs.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { updateTaskInstance } from '../db/queries/task-instances.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import type { DagGraph } from './dag-graph.js';

export const inFlight = (ti: Pick<TaskInstanceRow, 'state'>): boolean => ti.state === 'queued' || ti.state === 'running';

/** Airflow's `only_failed` filter: failed and upstream_failed task instances. */
export const isFailedState = (ti: Pick<TaskInstanceRow, 'state'>): boolean => ti.state === 'failed' || ti.state === 'upstream_failed';

/**
 * Clears `targets` (rows of `run`) and requeues the run. Returns the tries that were in flight: the caller
 * stops them (with their process groups) before anything is dispatched again, and deletes their records.
 */
export async function clearTaskInstances(
  tx: Queryable,
  run: DagRunRow,
  targets: readonly TaskInstanceRow[],
  graph: DagGraph | undefined,
  now: string,
): Promise<TaskInstanceRow[]> {
  for (const ti of targets) {
    const retries = graph?.tasks.get(ti.task_id)?.retries;
    await updateTaskInstance(tx, ti.id, {
      state: null,
      // A task gone from the DAG keeps at least the tries it had (Airflow: max(max_tries, try_number)).
      max_tries: retries === undefined ? Math.max(ti.max_tries, ti.try_number) : ti.try_number + retries,
      start_date: null,
      end_date: null,
      duration: null,
      next_retry_at: null,
      queued_dttm: null,
      scheduled_dttm: null,
      dispatch_token: null,
      external_executor_id: null,
      last_heartbeat_at: null,
      updated_at: now,
    });
  }
  await updateDagRun(tx, run, {
    state: 'queued',
    start_date: null,
    end_date: null,
    queued_at: now,
    last_scheduling_decision: null,
    clear_number: run.clear_number + 1,
    updated_at: now,
  });
  return targets.filter(inFlight);
}
