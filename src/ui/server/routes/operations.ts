/**
 * Clearing and marking, with Airflow 3's paths and bodies: `POST /dags/{dag_id}/clearTaskInstances`,
 * `PATCH …/taskInstances/{task_id}[/{map_index}][/dry_run]`, `PATCH /dags/{dag_id}/dagRuns/{run_id}` and
 * `POST …/dagRuns/{run_id}/clear`. A dry run answers what would change; a real request queues `clear` /
 * `set_state` commands for the tick and answers the affected rows as the command will leave them (the
 * state they get), as the pause endpoint answers the DAG's new `is_paused`.
 */
import type { Context, Hono } from 'hono';
import type { Command } from '../../../executor/protocol.js';
import type { CommandBody } from '../../../service/commands.js';
import type { UiEnv } from '../auth.js';
import {
  parseClearTaskInstancesBody,
  parseDagRunClearBody,
  parseDagRunPatchBody,
  parsePatchTaskInstanceBody,
  readJsonObject,
  type PatchTaskInstanceBody,
} from '../bodies.js';
import { newCommandId, submitCommand } from '../commands.js';
import { nudgeTick, requireDag, requireDagRun, type UiContext } from '../context.js';
import { HttpError } from '../errors.js';
import { planClear, planMarkTask } from '../operations.js';
import { QueryParams } from '../params.js';
import type { TaskInstanceRow } from '../queries/task-instances.js';
import { dagRunResponse, taskInstanceResponse } from '../serialize.js';

/** Writes the commands (fresh ids, one request time) and asks for a tick. */
export async function submitCommands(ctx: UiContext, c: Context<UiEnv>, bodies: readonly CommandBody[]): Promise<string[]> {
  const requestedAt = ctx.clock.now().toISOString();
  const ids: string[] = [];
  for (const body of bodies) {
    const command = { ...body, id: newCommandId(), requested_at: requestedAt, by: c.get('actor') } as Command;
    await submitCommand(ctx.dict, command);
    ids.push(command.id);
  }
  if (ids.length > 0) await nudgeTick(ctx);
  return ids;
}

function collection(rows: readonly TaskInstanceRow[], displayName: string, newState?: TaskInstanceRow['state']) {
  return {
    task_instances: rows.map((row) => taskInstanceResponse(newState === undefined ? row : { ...row, state: newState }, displayName)),
    total_entries: rows.length,
  };
}

/** `update_mask` for the patch endpoints: the fields to apply (all when absent), checked against `allowed`. */
function updateMask(c: Context, allowed: readonly string[]): Set<string> {
  const query = QueryParams.of(c.req.url);
  const mask = query.strings('update_mask').flatMap((m) => m.split(',')).filter(Boolean);
  query.int('map_index', {});
  query.finish();
  for (const field of mask) {
    if (!allowed.includes(field)) throw new HttpError(400, `Invalid field: ${field} in update mask`);
  }
  return new Set(mask.length > 0 ? mask : allowed);
}

/** Notes are not stored by any command yet: say so rather than drop one silently. */
function refuseNote(mask: Set<string>, body: { note: string | null; has_note: boolean }): void {
  if (mask.has('note') && body.has_note) throw new HttpError(400, 'Not supported by airflow-serverless: note');
}

export function registerOperationRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  api.post('/dags/:dag_id/clearTaskInstances', async (c) => {
    const dagId = c.req.param('dag_id');
    const body = parseClearTaskInstancesBody(await readJsonObject(c));
    const dag = await requireDag(ctx, dagId);
    if (body.unsupported.length > 0) throw new HttpError(400, `Not supported by airflow-serverless: ${body.unsupported.join(', ')}`);
    const plans = await planClear(ctx, {
      dagId,
      runId: body.dag_run_id,
      startDate: body.start_date,
      endDate: body.end_date,
      tasks: body.task_ids,
      onlyFailed: body.only_failed,
      onlyRunning: body.only_running,
      includeUpstream: body.include_upstream,
      includeDownstream: body.include_downstream,
    });
    const matched = plans.flatMap((p) => p.matched);
    const displayName = dag.dag_display_name ?? dagId;
    if (body.dry_run) return c.json(collection(matched, displayName));
    await submitCommands(
      ctx,
      c,
      plans.map((p) => ({
        kind: 'clear',
        dag_id: dagId,
        run_id: p.run.run_id,
        // The tick re-applies the state filters to these tasks as they are when it runs.
        task_ids: p.taskIds,
        only_failed: body.only_failed,
        only_running: body.only_running,
      })),
    );
    return c.json(collection(matched, displayName, null));
  });

  const patchTaskInstance = async (c: Context<UiEnv>, mapIndex: number | null, dryRun: boolean) => {
    const dagId = c.req.param('dag_id') ?? '';
    const runId = c.req.param('dag_run_id') ?? '';
    const taskId = c.req.param('task_id') ?? '';
    const mask = updateMask(c, ['new_state', 'note']);
    const body: PatchTaskInstanceBody = parsePatchTaskInstanceBody(await readJsonObject(c));
    const dag = await requireDag(ctx, dagId);
    refuseNote(mask, body);
    const displayName = dag.dag_display_name ?? dagId;
    if (!mask.has('new_state') || body.new_state === null) {
      if (dryRun || body.has_note) return c.json(collection([], displayName));
      throw new HttpError(400, 'new_state is required');
    }
    if (body.include_future || body.include_past) {
      throw new HttpError(400, `Not supported by airflow-serverless: ${[body.include_future && 'include_future', body.include_past && 'include_past'].filter(Boolean).join(', ')}`);
    }
    const plan = await planMarkTask(ctx, { dagId, runId, taskId, mapIndex }, body.new_state, body);
    if (dryRun) return c.json(collection(plan.changing, displayName));
    await submitCommands(ctx, c, [
      {
        kind: 'set_state',
        dag_id: dagId,
        run_id: runId,
        task_ids: plan.taskIds,
        ...(mapIndex !== null ? { map_indexes: { [taskId]: mapIndex } } : {}),
        state: body.new_state,
      },
    ]);
    return c.json(collection(plan.changing, displayName, body.new_state));
  };
  const base = '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances';
  const mapIndexOf = (c: Context): number | null => {
    const fromPath = c.req.param('map_index');
    if (fromPath !== undefined) return Number.parseInt(fromPath, 10);
    const fromQuery = QueryParams.of(c.req.url).int('map_index', {});
    return fromQuery;
  };
  api.patch(`${base}/:task_id/dry_run`, (c) => patchTaskInstance(c, mapIndexOf(c), true));
  api.patch(`${base}/:task_id/:map_index{-?[0-9]+}/dry_run`, (c) => patchTaskInstance(c, mapIndexOf(c), true));
  api.patch(`${base}/:task_id`, (c) => patchTaskInstance(c, mapIndexOf(c), false));
  api.patch(`${base}/:task_id/:map_index{-?[0-9]+}`, (c) => patchTaskInstance(c, mapIndexOf(c), false));

  api.patch('/dags/:dag_id/dagRuns/:dag_run_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const mask = updateMask(c, ['state', 'note']);
    const body = parseDagRunPatchBody(await readJsonObject(c));
    const dag = await requireDag(ctx, dagId);
    refuseNote(mask, body);
    const run = await requireDagRun(ctx, dagId, runId);
    const displayName = dag.dag_display_name ?? dagId;
    if (!mask.has('state') || body.state === null) return c.json(dagRunResponse(run, displayName));
    await submitCommands(ctx, c, [{ kind: 'set_state', dag_id: dagId, run_id: runId, task_ids: null, state: body.state }]);
    return c.json(dagRunResponse({ ...run, state: body.state }, displayName));
  });

  api.post('/dags/:dag_id/dagRuns/:dag_run_id/clear', async (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const body = parseDagRunClearBody(await readJsonObject(c));
    const dag = await requireDag(ctx, dagId);
    if (body.unsupported.length > 0) throw new HttpError(400, `Not supported by airflow-serverless: ${body.unsupported.join(', ')}`);
    const plans = await planClear(ctx, {
      dagId,
      runId,
      startDate: null,
      endDate: null,
      tasks: null,
      onlyFailed: body.only_failed,
      onlyRunning: false,
      includeUpstream: false,
      includeDownstream: false,
    });
    const displayName = dag.dag_display_name ?? dagId;
    if (body.dry_run) return c.json(collection(plans.flatMap((p) => p.matched), displayName));
    await submitCommands(
      ctx,
      c,
      plans.map((p) => ({ kind: 'clear', dag_id: dagId, run_id: p.run.run_id, task_ids: p.taskIds, only_failed: body.only_failed })),
    );
    const run = await requireDagRun(ctx, dagId, runId);
    // Cleared, the run goes back to queued (and runs again); with nothing to clear it stays as it is.
    return c.json(dagRunResponse(plans.length > 0 ? { ...run, state: 'queued', start_date: null, end_date: null } : run, displayName));
  });
}
