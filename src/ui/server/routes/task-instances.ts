/** `/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances…`: list (`~` wildcards), get, tries and logs. */
import type { Context, Hono } from 'hono';
import { logPath } from '../../../volume-layout.js';
import type { UiEnv } from '../auth.js';
import { requireDag, requireDagRun, type UiContext } from '../context.js';
import { notFound } from '../errors.js';
import { QueryParams } from '../params.js';
import { displayNames } from '../queries/dags.js';
import { getTaskInstance, isMapped, listTaskInstances, TASK_INSTANCE_ORDER_ATTRIBUTES, type TaskInstanceFilter } from '../queries/task-instances.js';
import { listTaskInstanceHistory } from '../../../db/queries/task-instance-history.js';
import { taskInstanceResponse, taskInstanceTryResponse } from '../serialize.js';

function parseTaskInstanceFilter(query: QueryParams, dagId: string | null, runId: string | null): TaskInstanceFilter {
  return {
    dagId,
    runId,
    runIds: [],
    taskId: query.string('task_id'),
    dagIdPattern: dagId === null ? query.string('dag_id_pattern') : null,
    runIdPattern: runId === null ? query.string('run_id_pattern') : null,
    taskIdPattern: query.string('task_display_name_pattern'),
    // Airflow spells "no state yet" as `none` (and `no_status` in its UI).
    states: query
      .strings('state')
      .flatMap((s) => s.split(','))
      .filter(Boolean)
      .map((s) => (s === 'none' || s === 'no_status' ? null : s)),
    tryNumbers: query.ints('try_number'),
    mapIndexes: query.ints('map_index'),
    pools: query.strings('pool'),
    queues: query.strings('queue'),
    operators: query.strings('operator'),
    // An extension: Airflow's endpoint has no run-type filter, its browse page does (by the run).
    runTypes: query.strings('run_type').flatMap((s) => s.split(',')).filter(Boolean),
    startDate: query.range('start_date'),
    endDate: query.range('end_date'),
    logicalDate: query.range('logical_date'),
    runAfter: query.range('run_after'),
    updatedAt: query.range('updated_at'),
    duration: query.numberRange('duration'),
  };
}

export async function requireTaskInstance(ctx: UiContext, dagId: string, runId: string, taskId: string, mapIndex: number) {
  const ti = await getTaskInstance(ctx.db, { dagId, runId, taskId, mapIndex });
  if (!ti) {
    throw notFound(
      `The Task Instance with dag_id: \`${dagId}\`, run_id: \`${runId}\`, task_id: \`${taskId}\` and map_index: \`${mapIndex}\` was not found`,
    );
  }
  return ti;
}

/** A log line as Airflow's StructuredLogMessage; a leading ISO timestamp (bracketed or not) is lifted out. */
export function structuredLogLines(text: string): Array<{ timestamp?: string; event: string }> {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => {
    const match = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))\]?\s?(.*)$/.exec(line);
    if (match?.[1] !== undefined) {
      const ms = Date.parse(match[1].replace(' ', 'T'));
      if (!Number.isNaN(ms)) return { timestamp: new Date(ms).toISOString(), event: match[2] ?? '' };
    }
    return { event: line };
  });
}

/**
 * Every try of one task instance, oldest first: the finished tries from `task_instance_history` and the
 * current row for its own try. The history already holds a try that failed into `up_for_retry` (Airflow's
 * tries endpoint skips such a row for the same reason), and our history also records a final try, so the
 * live row replaces the history row of its try number.
 */
async function triesResponse(ctx: UiContext, dagId: string, runId: string, taskId: string, mapIndex: number) {
  const dag = await requireDag(ctx, dagId);
  const ti = await requireTaskInstance(ctx, dagId, runId, taskId, mapIndex);
  const history = await listTaskInstanceHistory(ctx.db, { dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex });
  const displayName = dag.dag_display_name ?? dagId;
  const liveCounts = ti.try_number > 0 && ti.state !== 'up_for_retry';
  const tries = [
    ...history.filter((row) => !liveCounts || row.try_number !== ti.try_number).map((row) => taskInstanceTryResponse(row, displayName)),
    ...(liveCounts || !history.some((row) => row.try_number === ti.try_number) ? [taskInstanceTryResponse(ti, displayName)] : []),
  ].sort((a, b) => a.try_number - b.try_number);
  return { task_instances: tries, total_entries: tries.length };
}

function wants(c: Context, type: string): boolean {
  const accept = c.req.header('accept') ?? '*/*';
  return accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
    .includes(type);
}

export function registerTaskInstanceRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  const base = '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances';

  api.get(base, async (c) => {
    const dagParam = c.req.param('dag_id');
    const runParam = c.req.param('dag_run_id');
    const dagId = dagParam === '~' ? null : dagParam;
    const runId = runParam === '~' ? null : runParam;
    const query = QueryParams.of(c.req.url);
    const filter = parseTaskInstanceFilter(query, dagId, runId);
    const page = query.page();
    const order = query.orderBy(TASK_INSTANCE_ORDER_ATTRIBUTES, ['map_index']);
    query.finish();
    if (dagId !== null) await requireDag(ctx, dagId);
    if (dagId !== null && runId !== null) await requireDagRun(ctx, dagId, runId);
    const { rows, total } = await listTaskInstances(ctx.db, filter, order, page);
    const names = await displayNames(
      ctx.db,
      rows.map((r) => r.dag_id),
    );
    return c.json({
      task_instances: rows.map((row) => taskInstanceResponse(row, names.get(row.dag_id) ?? row.dag_id)),
      total_entries: total,
    });
  });

  api.get(`${base}/:task_id`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    const dag = await requireDag(ctx, dagId);
    const ti = await getTaskInstance(ctx.db, { dagId, runId, taskId, mapIndex: -1 });
    if (!ti) {
      if (await isMapped(ctx.db, { dagId, runId, taskId })) {
        throw notFound('Task instance is mapped, add the map_index value to the URL');
      }
      await requireTaskInstance(ctx, dagId, runId, taskId, -1);
    }
    return c.json(taskInstanceResponse(ti!, dag.dag_display_name ?? dagId));
  });

  api.get(`${base}/:task_id/:map_index{-?[0-9]+}`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    const mapIndex = Number.parseInt(c.req.param('map_index'), 10);
    const dag = await requireDag(ctx, dagId);
    const ti = await requireTaskInstance(ctx, dagId, runId, taskId, mapIndex);
    return c.json(taskInstanceResponse(ti, dag.dag_display_name ?? dagId));
  });

  api.get(`${base}/:task_id/tries`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    const query = QueryParams.of(c.req.url);
    const mapIndex = query.int('map_index', { default: -1 });
    query.finish();
    return c.json(await triesResponse(ctx, dagId, runId, taskId, mapIndex));
  });

  api.get(`${base}/:task_id/:map_index{-?[0-9]+}/tries`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    return c.json(await triesResponse(ctx, dagId, runId, taskId, Number.parseInt(c.req.param('map_index'), 10)));
  });

  api.get(`${base}/:task_id/logs/:try_number`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId } = c.req.param();
    const query = new QueryParams(new URLSearchParams({ try_number: c.req.param('try_number') }));
    const tryNumber = query.int('try_number', { min: 0 });
    const params = QueryParams.of(c.req.url);
    const mapIndex = params.int('map_index', { default: -1 });
    params.bool('full_content', false);
    query.finish();
    params.finish();
    await requireDag(ctx, dagId);
    await requireTaskInstance(ctx, dagId, runId, taskId, mapIndex);

    const relative = logPath({ dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex, try_number: tryNumber ?? 0 });
    const bytes = await ctx.files.readFile(relative);
    const text = bytes === undefined ? `*** Log file does not exist: ${relative}\n` : Buffer.from(bytes).toString('utf8');

    if (wants(c, 'text/plain') && !wants(c, 'application/json')) {
      c.header('Content-Type', 'text/plain; charset=utf-8');
      return c.body(text);
    }
    const content = structuredLogLines(text);
    if (wants(c, 'application/x-ndjson') && !wants(c, 'application/json')) {
      c.header('Content-Type', 'application/x-ndjson');
      return c.body(content.map((line) => JSON.stringify(line)).join('\n') + '\n');
    }
    return c.json({ content, continuation_token: null });
  });
}
