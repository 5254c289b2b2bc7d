/**
 * `/ui/…`: what the web page needs in one request per view (like Airflow's private `/ui` API). Not part
 * of the public API; shapes may change with the page.
 */
import type { Hono } from 'hono';
import type { UiEnv } from '../auth.js';
import { pendingCommands, pendingTriggers } from '../commands.js';
import { requireDag, type UiContext } from '../context.js';
import { QueryParams } from '../params.js';
import { listDagRuns } from '../queries/dag-runs.js';
import { recentRunsByDag } from '../queries/dag-runs.js';
import { listTaskInstances, taskInstanceFilter } from '../queries/task-instances.js';
import { dagRunResponse, isoOrNull, taskInstanceResponse } from '../serialize.js';
import { dagResponses, dagSpecOf } from './dags.js';
import { pendingRunResponse } from './dag-runs.js';

const RECENT_RUNS_PER_DAG = 10;
const GRID_MAX_RUNS = 50;

export function registerPageDataRoutes(ui: Hono<UiEnv>, ctx: UiContext): void {
  /** The DAG list with each DAG's newest runs (the coloured dots). */
  ui.get('/dags', async (c) => {
    const { dags, total_entries } = await dagResponses(ctx, QueryParams.of(c.req.url));
    const recent = await recentRunsByDag(
      ctx.db,
      dags.map((d) => d.dag_id),
      RECENT_RUNS_PER_DAG,
    );
    const pending = pendingTriggers(await pendingCommands(ctx.dict), null);
    return c.json({
      dags: dags.map((dag) => ({
        ...dag,
        pending_triggers: pending.filter((t) => t.dag_id === dag.dag_id).length,
        recent_runs: (recent.get(dag.dag_id) ?? []).map((r) => ({
          dag_run_id: r.run_id,
          state: r.state,
          run_after: isoOrNull(r.run_after),
          logical_date: isoOrNull(r.logical_date),
          start_date: isoOrNull(r.start_date),
          end_date: isoOrNull(r.end_date),
        })),
      })),
      total_entries,
    });
  });

  /** Grid and graph data: the DAG's tasks (topological), its newest runs (oldest first) and their TIs. */
  ui.get('/grid/:dag_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const query = QueryParams.of(c.req.url);
    const limit = Math.min(query.int('limit', { default: 25, min: 1 }), GRID_MAX_RUNS);
    query.finish();
    const dag = await requireDag(ctx, dagId);
    const displayName = dag.dag_display_name ?? dagId;
    const spec = await dagSpecOf(ctx, dagId);
    const { rows: runRows } = await listDagRuns(
      ctx.db,
      {
        dagId,
        dagIdPattern: null,
        runIdPattern: null,
        states: [],
        runTypes: [],
        logicalDate: {},
        runAfter: {},
        startDate: {},
        endDate: {},
        updatedAt: {},
      },
      [
        { attribute: 'run_after', descending: true },
        { attribute: 'id', descending: true },
      ],
      { limit, offset: 0 },
    );
    runRows.reverse();
    const { rows: tiRows } =
      runRows.length === 0
        ? { rows: [] }
        : await listTaskInstances(ctx.db, taskInstanceFilter({ dagId, runIds: runRows.map((r) => r.run_id) }), [], {
            limit: 100_000,
            offset: 0,
          });
    const taskInstances = tiRows.map((ti) => taskInstanceResponse(ti, displayName));
    const taskIds = spec ? spec.tasks.map((t) => t.task_id) : [...new Set(taskInstances.map((t) => t.task_id))].sort();
    const known = new Set(runRows.map((r) => r.run_id));
    return c.json({
      dag_id: dagId,
      tasks: spec
        ? spec.tasks.map((t) => ({
            task_id: t.task_id,
            upstream: t.upstream,
            operator: t.operator_class,
            trigger_rule: t.trigger_rule,
            task_group_id: t.task_group_id,
          }))
        : taskIds.map((id) => ({ task_id: id, upstream: [] as string[], operator: null, trigger_rule: null, task_group_id: null })),
      // Groups collapse and expand in the grid and the graph; a group's parent nests it.
      task_groups: spec?.task_groups ?? [],
      dag_runs: runRows.map((r) => dagRunResponse(r, displayName)),
      // Triggered but not yet created by a tick: shown as queued so the user sees their click landed.
      pending_runs: await Promise.all(
        pendingTriggers(await pendingCommands(ctx.dict), dagId)
          .filter((t) => !known.has(t.run_id))
          .map((t) => pendingRunResponse(ctx, t, displayName)),
      ),
      task_instances: taskInstances,
      params: spec?.params ?? {},
      doc_md: spec?.doc_md ?? null,
    });
  });
}
