/** `/api/v2/dags/{dag_id}/dagRuns…`: list (`~` = every DAG; also as `POST …/list`), get, and trigger (as a command). */
import type { Hono } from 'hono';
import type { UiEnv } from '../auth.js';
import { parseDagRunsBatchBody, parseTriggerBody, readJsonObject } from '../bodies.js';
import { newTriggerCommand, pendingCommands, pendingTriggers, submitCommand, type TriggerCommand } from '../commands.js';
import { nudgeTick, requireDag, type UiContext } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import { MAXIMUM_PAGE_LIMIT, QueryParams, type OrderTerm, type Page } from '../params.js';
import { getDagRun } from '../../../db/queries/dag-runs.js';
import { displayNames } from '../queries/dags.js';
import { DAG_RUN_ORDER_ATTRIBUTES, findConflictingRun, listDagRuns, type DagRunFilter } from '../queries/dag-runs.js';
import { generateRunId, runIdProblem, timetableFor } from '../../../timetable/index.js';
import { paramsProblem } from '../../../dag/params.js';
import { dagRunResponse } from '../serialize.js';
import { dagSpecOf } from './dags.js';

/**
 * The data interval and run_after the tick will give a manual run (Airflow 3: inferred from the logical
 * date by the DAG's timetable; none without a logical date, when run_after is the trigger time).
 */
async function predictSchedule(ctx: UiContext, command: TriggerCommand): Promise<{ start: string | null; end: string | null; runAfter: string }> {
  if (command.logical_date === null) return { start: null, end: null, runAfter: command.requested_at };
  const spec = await dagSpecOf(ctx, command.dag_id);
  if (!spec) return { start: null, end: null, runAfter: command.logical_date };
  try {
    const interval = timetableFor(spec.schedule, spec.timezone, ctx.timetableOptions).inferManualDataInterval(new Date(command.logical_date));
    return { start: interval.start.toISOString(), end: interval.end.toISOString(), runAfter: interval.end.toISOString() };
  } catch {
    return { start: null, end: null, runAfter: command.logical_date };
  }
}

/** The run a pending trigger will become, as Airflow's trigger endpoint describes it: queued, not started. */
export async function pendingRunResponse(ctx: UiContext, command: TriggerCommand, dagDisplayName: string) {
  const predicted = await predictSchedule(ctx, command);
  return {
    ...dagRunResponse(
      {
        id: 0,
        dag_id: command.dag_id,
        run_id: command.run_id,
        queued_at: command.requested_at,
        logical_date: command.logical_date,
        start_date: null,
        end_date: null,
        state: 'queued',
        run_type: 'manual',
        triggered_by: command.by,
        triggering_user_name: null,
        // A row carries conf as the table stores it: JSON text.
        conf: JSON.stringify(command.conf),
        data_interval_start: predicted.start,
        data_interval_end: predicted.end,
        run_after: predicted.runAfter,
        last_scheduling_decision: null,
        updated_at: command.requested_at,
        clear_number: 0,
        note: command.note ?? null,
      },
      dagDisplayName,
    ),
  };
}

function parseRunFilter(query: QueryParams, dagId: string | null): DagRunFilter {
  return {
    dagId,
    dagIdPattern: dagId === null ? query.string('dag_id_pattern') : null,
    runIdPattern: query.string('run_id_pattern'),
    states: query.strings('state').flatMap((s) => s.split(',')).filter(Boolean),
    runTypes: query.strings('run_type').flatMap((s) => s.split(',')).filter(Boolean),
    logicalDate: query.range('logical_date'),
    runAfter: query.range('run_after'),
    startDate: query.range('start_date'),
    endDate: query.range('end_date'),
    updatedAt: query.range('updated_at'),
    duration: query.numberRange('duration'),
    confContains: query.string('conf_contains'),
  };
}

async function runCollection(ctx: UiContext, filter: DagRunFilter, order: OrderTerm[], page: Page) {
  const { rows, total } = await listDagRuns(ctx.db, filter, order, page);
  const names = await displayNames(
    ctx.db,
    rows.map((r) => r.dag_id),
  );
  return {
    dag_runs: rows.map((row) => dagRunResponse(row, names.get(row.dag_id) ?? row.dag_id)),
    total_entries: total,
  };
}

export function registerDagRunRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  api.get('/dags/:dag_id/dagRuns', async (c) => {
    const dagIdParam = c.req.param('dag_id');
    const dagId = dagIdParam === '~' ? null : dagIdParam;
    const query = QueryParams.of(c.req.url);
    const filter = parseRunFilter(query, dagId);
    const page = query.page();
    const order = query.orderBy(DAG_RUN_ORDER_ATTRIBUTES, ['id']);
    query.finish();
    if (dagId !== null) await requireDag(ctx, dagId);
    return c.json(await runCollection(ctx, filter, order, page));
  });

  // Airflow's batch form: the same filters in a DAGRunsBatchBody, for every DAG (`~`) or one.
  api.post('/dags/:dag_id/dagRuns/list', async (c) => {
    const dagIdParam = c.req.param('dag_id');
    const dagId = dagIdParam === '~' ? null : dagIdParam;
    const body = parseDagRunsBatchBody(await readJsonObject(c));
    const order = new QueryParams(new URLSearchParams(body.order_by ? { order_by: body.order_by } : {})).orderBy(DAG_RUN_ORDER_ATTRIBUTES, ['id']);
    if (dagId !== null) await requireDag(ctx, dagId);
    const filter: DagRunFilter = {
      dagId,
      dagIds: body.dag_ids ?? [],
      dagIdPattern: null,
      runIdPattern: null,
      states: body.states,
      runTypes: [],
      logicalDate: body.logical_date,
      runAfter: body.run_after,
      startDate: body.start_date,
      endDate: body.end_date,
      updatedAt: {},
      duration: body.duration,
      confContains: body.conf_contains,
    };
    return c.json(await runCollection(ctx, filter, order, { limit: Math.min(body.page_limit, MAXIMUM_PAGE_LIMIT), offset: body.page_offset }));
  });

  api.get('/dags/:dag_id/dagRuns/:dag_run_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const dag = await requireDag(ctx, dagId);
    const displayName = dag.dag_display_name ?? dag.dag_id;
    const run = await getDagRun(ctx.db, dagId, runId);
    if (run) return c.json(dagRunResponse(run, displayName));
    const pending = pendingTriggers(await pendingCommands(ctx.dict), dagId).find((t) => t.run_id === runId);
    if (pending) return c.json(await pendingRunResponse(ctx, pending, displayName));
    throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
  });

  api.post('/dags/:dag_id/dagRuns', async (c) => {
    const dagId = c.req.param('dag_id');
    const body = parseTriggerBody(await readJsonObject(c));
    const dag = await requireDag(ctx, dagId);
    if (body.unsupported.length > 0) {
      throw new HttpError(400, `Not supported by airflow-serverless: ${body.unsupported.join(', ')}`);
    }
    const now = ctx.clock.now();
    const runId = body.dag_run_id ?? generateRunId('manual', body.logical_date === null ? now : new Date(body.logical_date));
    const runIdIssue = runIdProblem(runId);
    if (runIdIssue) throw new HttpError(400, runIdIssue);

    const spec = await dagSpecOf(ctx, dagId);
    const paramsIssue = spec ? paramsProblem(spec, body.conf ?? {}) : null;
    if (paramsIssue) throw new HttpError(400, paramsIssue);

    const conflict = await findConflictingRun(ctx.db, dagId, runId, body.logical_date);
    const pending = pendingTriggers(await pendingCommands(ctx.dict), dagId);
    if (conflict?.run_id === runId || pending.some((t) => t.run_id === runId)) {
      throw new HttpError(409, `DAG Run with dag_run_id: '${runId}' already exists for DAG: '${dagId}'`);
    }
    if (conflict || (body.logical_date !== null && pending.some((t) => t.logical_date === body.logical_date))) {
      throw new HttpError(409, `DAG Run with logical_date: '${body.logical_date}' already exists for DAG: '${dagId}'`);
    }

    const command = newTriggerCommand({
      dag_id: dagId,
      run_id: runId,
      conf: body.conf ?? {},
      logical_date: body.logical_date,
      note: body.note,
      requested_at: now.toISOString(),
      by: c.get('actor'),
    });
    // Same id for the same run id: of two concurrent identical triggers, exactly one is recorded.
    if (!(await submitCommand(ctx.dict, command))) {
      throw new HttpError(409, `DAG Run with dag_run_id: '${runId}' already exists for DAG: '${dagId}'`);
    }
    await nudgeTick(ctx);
    return c.json(await pendingRunResponse(ctx, command, dag.dag_display_name ?? dag.dag_id));
  });
}
