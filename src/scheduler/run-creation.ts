/**
 * Step 6a: create the DAG runs the timetables say are due. For each active DAG whose
 * `next_dagrun_create_after` has passed, runs are created in logical-date order (catchup creates one per
 * missed interval) until the DAG reaches `max_active_runs` or the pass reaches
 * `scheduler.max_dagruns_to_create_per_loop`. The unique key (dag_id, logical_date) makes a second tick at
 * the same instant, or a replay after a crash, create nothing; the clock moving backwards creates nothing
 * because nothing is due.
 */
import { countActiveDagRuns, insertDagRun } from '../db/queries/dag-runs.js';
import { listDagsNeedingRuns, setNextDagrun } from '../db/queries/dags.js';
import type { DagRow } from '../db/queries/dags.js';
import { generateRunId } from '../timetable/index.js';
import type { TickContext } from './context.js';
import { nextRunInfo, timetableOf, toNextDagrunFields } from './next-dagrun.js';
import { createTaskInstances } from './task-instances.js';

export async function createScheduledRuns(ctx: TickContext): Promise<number> {
  let budget = ctx.config.scheduler.max_dagruns_to_create_per_loop;
  let created = 0;
  for (const dag of await listDagsNeedingRuns(ctx.db, ctx.nowIso, budget)) {
    if (budget <= 0) break;
    try {
      const made = await createRunsForDag(ctx, dag, budget);
      created += made;
      budget -= made;
    } catch (error) {
      ctx.logger.error('could not create runs for a DAG', { dag_id: dag.dag_id, error: (error as Error).message });
    }
  }
  return created;
}

async function createRunsForDag(ctx: TickContext, dag: DagRow, budget: number): Promise<number> {
  const loaded = await ctx.loadDag(dag.dag_id);
  if (!loaded) return 0;
  const { spec } = loaded;
  const timetable = timetableOf(spec, ctx.config);
  const maxActive = dag.max_active_runs ?? spec.max_active_runs;
  const counts = await countActiveDagRuns(ctx.db, dag.dag_id);
  let active = counts.queued + counts.running;
  let created = 0;
  let next = {
    logical: dag.next_dagrun,
    start: dag.next_dagrun_data_interval_start,
    end: dag.next_dagrun_data_interval_end,
    after: dag.next_dagrun_create_after,
  };

  while (next.logical && next.start && next.end && next.after && Date.parse(next.after) <= ctx.now.getTime()) {
    // Airflow stops creating (and does not advance next_dagrun) while the DAG is at its limit.
    if (created >= budget || active >= maxActive) break;
    const current = { logical: next.logical, start: next.start, end: next.end, after: next.after };
    const info = nextRunInfo(timetable, spec, { start: new Date(current.start), end: new Date(current.end) }, ctx.now);
    const fields = toNextDagrunFields(info);
    await ctx.ensureLease();
    const inserted = await ctx.db.transaction(async (tx) => {
      const runId = generateRunId('scheduled', new Date(current.logical));
      const ok = await insertDagRun(tx, {
        dag_id: dag.dag_id,
        run_id: runId,
        logical_date: current.logical,
        run_type: 'scheduled',
        triggered_by: 'timetable',
        conf: {}, // a scheduled run has no conf of its own; like Airflow, it still gets an empty object
        data_interval_start: current.start,
        data_interval_end: current.end,
        run_after: current.after,
        now: ctx.nowIso,
      });
      if (ok) await createTaskInstances(tx, { dag_id: dag.dag_id, run_id: runId }, spec.tasks, ctx.nowIso);
      await setNextDagrun(tx, dag.dag_id, fields);
      return ok;
    });
    if (inserted) {
      created++;
      active++;
    }
    // A timetable must move forward; if it ever does not, stop rather than loop on one date.
    if (fields.next_dagrun !== null && Date.parse(fields.next_dagrun) <= Date.parse(current.logical)) break;
    next = {
      logical: fields.next_dagrun,
      start: fields.next_dagrun_data_interval_start,
      end: fields.next_dagrun_data_interval_end,
      after: fields.next_dagrun_create_after,
    };
  }
  return created;
}
