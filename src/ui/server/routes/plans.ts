/**
 * `/ui/plans/…`: what a mark would change, for the page's confirmations. Airflow's API answers only the
 * marked instances in a dry run; the page also lists the failed downstream instances the mark clears (and
 * a run's unfinished instances, which PATCH dagRuns has no dry run for).
 */
import type { Hono } from 'hono';
import { MARKABLE_RUN_STATES } from '../../../executor/protocol.js';
import type { UiEnv } from '../auth.js';
import { parseDagRunPatchBody, parsePatchTaskInstanceBody, readJsonObject } from '../bodies.js';
import { requireDag, type UiContext } from '../context.js';
import { HttpError } from '../errors.js';
import { planMarkRun, planMarkTask } from '../operations.js';
import { QueryParams } from '../params.js';
import { taskInstanceResponse } from '../serialize.js';

export function registerPlanRoutes(ui: Hono<UiEnv>, ctx: UiContext): void {
  ui.post('/plans/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/mark', async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    const query = QueryParams.of(c.req.url);
    const mapIndex = query.int('map_index', {});
    query.finish();
    const body = parsePatchTaskInstanceBody(await readJsonObject(c));
    if (body.new_state === null) throw new HttpError(400, 'new_state is required');
    const dag = await requireDag(ctx, dagId);
    const plan = await planMarkTask(ctx, { dagId, runId, taskId, mapIndex }, body.new_state, body);
    const name = dag.dag_display_name ?? dagId;
    return c.json({
      task_instances: plan.changing.map((ti) => taskInstanceResponse(ti, name)),
      cleared: plan.cleared.map((ti) => taskInstanceResponse(ti, name)),
    });
  });

  ui.post('/plans/dags/:dag_id/dagRuns/:dag_run_id/mark', async (c) => {
    const { dag_id: dagId, dag_run_id: runId } = c.req.param();
    const body = parseDagRunPatchBody(await readJsonObject(c));
    if (body.state === null || !MARKABLE_RUN_STATES.includes(body.state)) throw new HttpError(400, 'state is required');
    const dag = await requireDag(ctx, dagId);
    const plan = await planMarkRun(ctx, dagId, runId, body.state);
    const name = dag.dag_display_name ?? dagId;
    return c.json({ task_instances: plan.changing.map((ti) => taskInstanceResponse(ti, name)), cleared: [] });
  });
}
