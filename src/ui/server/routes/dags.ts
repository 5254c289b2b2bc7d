/** `/api/v2/dags…`: list, get, pause/unpause (as a command), and the DAG's tasks. */
import type { Hono } from 'hono';
import type { DagSpec } from '../../../dag/model.js';
import type { UiEnv } from '../auth.js';
import { parseDagPatchBody, readJsonObject } from '../bodies.js';
import { newCommandId, pendingCommands, pendingPauseStates, submitCommand } from '../commands.js';
import { nudgeTick, requireDag, type UiContext } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import { QueryParams } from '../params.js';
import { loadDagSpec } from '../../../db/queries/serialized-dags.js';
import { DAG_ORDER_ATTRIBUTES, listDags, tagsByDag, type DagFilter } from '../queries/dags.js';
import { dagResponse, taskResponse, type DagResponse } from '../serialize.js';
import { dagFilePath } from '../../../volume-layout.js';

export function parseDagFilter(query: QueryParams): DagFilter {
  const tagsMatchMode = query.string('tags_match_mode');
  return {
    paused: query.bool('paused'),
    excludeStale: query.bool('exclude_stale', true),
    dagIdPattern: query.string('dag_id_pattern'),
    dagDisplayNamePattern: query.string('dag_display_name_pattern'),
    tags: query.strings('tags'),
    tagsMatchAll: tagsMatchMode === 'all',
    owners: query.strings('owners'),
    hasImportErrors: query.bool('has_import_errors'),
  };
}

/**
 * DAG responses for a page of rows, with the paused flag a pending pause/unpause command will set (the
 * tick has not applied it yet, but the user already asked for it).
 */
export async function dagResponses(ctx: UiContext, query: QueryParams): Promise<{ dags: DagResponse[]; total_entries: number }> {
  const filter = parseDagFilter(query);
  const page = query.page();
  const order = query.orderBy(DAG_ORDER_ATTRIBUTES, ['dag_id']);
  query.finish();
  const { rows, total } = await listDags(ctx.db, filter, order, page);
  const tags = await tagsByDag(
    ctx.db,
    rows.map((r) => r.dag_id),
  );
  const paused = pendingPauseStates(await pendingCommands(ctx.dict));
  return {
    dags: rows.map((row) => dagResponse(row, tags.get(row.dag_id) ?? [], paused.get(row.dag_id))),
    total_entries: total,
  };
}

export async function dagSpecOf(ctx: UiContext, dagId: string): Promise<DagSpec | undefined> {
  return loadDagSpec(ctx.db, dagId);
}

function downstreamOf(spec: DagSpec): Map<string, string[]> {
  const downstream = new Map<string, string[]>(spec.tasks.map((t) => [t.task_id, []]));
  for (const task of spec.tasks) {
    for (const upstream of task.upstream) downstream.get(upstream)?.push(task.task_id);
  }
  for (const list of downstream.values()) list.sort();
  return downstream;
}

export function registerDagRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  api.get('/dags', async (c) => c.json(await dagResponses(ctx, QueryParams.of(c.req.url))));

  /**
   * The DAG file's source, as the tick last parsed it from the volume (Airflow serves it from its DAG code
   * table; we have one version per file, so `version_number` is always null). `Accept: text/plain` gets
   * the bare text, as in Airflow.
   */
  api.get('/dagSources/:dag_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const query = QueryParams.of(c.req.url);
    const version = query.int('version_number', { min: 1 });
    query.finish();
    const dag = await requireDag(ctx, dagId);
    if (version !== null && version !== 1) throw notFound(`The source code of Dag ${dagId}, version_number ${version} was not found`);
    const fileloc = (await dagSpecOf(ctx, dagId))?.fileloc ?? dag.relative_fileloc ?? dag.fileloc;
    const bytes = await ctx.files.readFile(dagFilePath(fileloc));
    const content = bytes === undefined ? null : Buffer.from(bytes).toString('utf8');
    if ((c.req.header('accept') ?? '').split(',')[0]?.trim() === 'text/plain') return c.text(content ?? '');
    return c.json({ content, dag_id: dagId, dag_display_name: dag.dag_display_name ?? dagId, version_number: null });
  });

  api.get('/dags/:dag_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const dag = await requireDag(ctx, dagId);
    const tags = await tagsByDag(ctx.db, [dagId]);
    const paused = pendingPauseStates(await pendingCommands(ctx.dict));
    return c.json(dagResponse(dag, tags.get(dagId) ?? [], paused.get(dagId)));
  });

  api.patch('/dags/:dag_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const query = QueryParams.of(c.req.url);
    const updateMask = query.strings('update_mask').flatMap((m) => m.split(','));
    query.finish();
    const body = parseDagPatchBody(await readJsonObject(c));
    if (updateMask.length > 0 && !updateMask.includes('is_paused')) {
      throw new HttpError(400, 'Only `is_paused` field can be updated through the REST API');
    }
    const dag = await requireDag(ctx, dagId);
    await submitCommand(ctx.dict, {
      id: newCommandId(),
      kind: body.is_paused ? 'pause' : 'unpause',
      dag_id: dagId,
      requested_at: ctx.clock.now().toISOString(),
      by: c.get('actor'),
    });
    await nudgeTick(ctx);
    const tags = await tagsByDag(ctx.db, [dagId]);
    return c.json(dagResponse(dag, tags.get(dagId) ?? [], body.is_paused));
  });

  api.get('/dags/:dag_id/tasks', async (c) => {
    const dagId = c.req.param('dag_id');
    const query = QueryParams.of(c.req.url);
    const orderBy = query.string('order_by') ?? 'task_id';
    query.finish();
    const dag = await requireDag(ctx, dagId);
    const spec = await dagSpecOf(ctx, dag.dag_id);
    if (!spec) throw notFound(`Dag with id ${dagId} was not found`);
    const descending = orderBy.startsWith('-');
    const attribute = descending ? orderBy.slice(1) : orderBy;
    if (!['task_id', 'operator_name', 'owner', 'trigger_rule'].includes(attribute)) {
      throw new HttpError(400, `Ordering with '${attribute}' is disallowed or the attribute does not exist on the model`);
    }
    const downstream = downstreamOf(spec);
    const tasks = spec.tasks.map((t) => taskResponse(t, downstream.get(t.task_id) ?? [], spec));
    tasks.sort((a, b) => {
      const x = String(a[attribute as keyof typeof a] ?? '');
      const y = String(b[attribute as keyof typeof b] ?? '');
      return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
    });
    return c.json({ tasks, total_entries: tasks.length });
  });

  api.get('/dags/:dag_id/tasks/:task_id', async (c) => {
    const dagId = c.req.param('dag_id');
    const taskId = c.req.param('task_id');
    await requireDag(ctx, dagId);
    const spec = await dagSpecOf(ctx, dagId);
    const task = spec?.tasks.find((t) => t.task_id === taskId);
    if (!spec || !task) throw notFound(`Task with id ${taskId} not found`);
    return c.json(taskResponse(task, downstreamOf(spec).get(taskId) ?? [], spec));
  });
}
