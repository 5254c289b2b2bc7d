/**
 * `/api/v2/backfills…` as Airflow 3 has them: list (per DAG), get, dry run, create, and cancel / pause /
 * unpause, all writes as `backfill_*` commands. Creating answers the backfill itself, so it waits (up to
 * `commandResultTimeoutMs`) for the tick that applies the command to report the new id.
 */
import type { Hono } from 'hono';
import { getBackfill, listBackfills, type BackfillRow } from '../../../db/queries/backfills.js';
import { commandResultKey, type CommandResult } from '../../../executor/protocol.js';
import { backfillJson } from '../../../service/backfills.js';
import type { StateDict } from '../../../providers/ports.js';
import type { UiEnv } from '../auth.js';
import { parseBackfillPostBody, readJsonObject } from '../bodies.js';
import { requireDag, type UiContext } from '../context.js';
import { HttpError, notFound, RequestValidationError } from '../errors.js';
import { assertNoActiveBackfill, planBackfill } from '../operations.js';
import { QueryParams } from '../params.js';
import { displayNames } from '../queries/dags.js';
import { iso, isoOrNull } from '../serialize.js';
import { submitCommands } from './operations.js';

/** Airflow's BackfillResponse (datetimes as `…Z`, the DAG's display name). */
function backfillResponse(row: BackfillRow, displayName: string) {
  const json = backfillJson(row);
  return {
    ...json,
    from_date: iso(json.from_date),
    to_date: iso(json.to_date),
    created_at: iso(json.created_at),
    updated_at: iso(json.updated_at),
    completed_at: isoOrNull(json.completed_at),
    dag_display_name: displayName,
  };
}

async function requireBackfill(ctx: UiContext, raw: string): Promise<BackfillRow> {
  if (!/^\d+$/.test(raw)) {
    throw new RequestValidationError([{ type: 'int_parsing', loc: ['path', 'backfill_id'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw }]);
  }
  const row = await getBackfill(ctx.db, Number(raw));
  if (!row) throw notFound(`Could not find backfill with id ${raw}`);
  return row;
}

async function displayNameOf(ctx: UiContext, dagId: string): Promise<string> {
  return (await displayNames(ctx.db, [dagId])).get(dagId) ?? dagId;
}

/** The tick's result for a command, polling the state dict until `timeoutMs`; undefined when none came. */
async function waitForResult(dict: StateDict, id: string, timeoutMs: number): Promise<CommandResult | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await dict.get<CommandResult>(commandResultKey(id));
    if (result || Date.now() >= deadline) return result ?? undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
  }
}

export function registerBackfillRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  api.get('/backfills', async (c) => {
    const query = QueryParams.of(c.req.url);
    const dagId = query.string('dag_id');
    const page = query.page();
    const order = query.orderBy(['id'], ['id']);
    if (dagId === null) {
      throw new RequestValidationError([{ type: 'missing', loc: ['query', 'dag_id'], msg: 'Field required', input: null }]);
    }
    query.finish();
    const rows = await listBackfills(ctx.db, { dagId });
    if (order[0]?.descending) rows.reverse();
    const displayName = await displayNameOf(ctx, dagId);
    return c.json({
      backfills: rows.slice(page.offset, page.offset + page.limit).map((row) => backfillResponse(row, displayName)),
      total_entries: rows.length,
    });
  });

  api.post('/backfills/dry_run', async (c) => {
    const body = parseBackfillPostBody(await readJsonObject(c));
    const { dates } = await planBackfill(ctx, {
      dagId: body.dag_id,
      fromDate: body.from_date,
      toDate: body.to_date,
      runBackwards: body.run_backwards,
      reprocessBehavior: body.reprocess_behavior,
    });
    return c.json({ backfills: dates.map((logical_date) => ({ logical_date, partition_key: null, partition_date: null })), total_entries: dates.length });
  });

  api.post('/backfills', async (c) => {
    const body = parseBackfillPostBody(await readJsonObject(c));
    if (body.max_active_runs < 1) throw new HttpError(400, 'max_active_runs must be at least 1');
    await requireDag(ctx, body.dag_id);
    await assertNoActiveBackfill(ctx, body.dag_id);
    const { infos } = await planBackfill(ctx, {
      dagId: body.dag_id,
      fromDate: body.from_date,
      toDate: body.to_date,
      runBackwards: body.run_backwards,
      reprocessBehavior: body.reprocess_behavior,
    });
    if (infos === 0) throw new HttpError(400, `No runs to create for DAG ${body.dag_id} between those dates`);
    const [id] = await submitCommands(ctx, c, [
      {
        kind: 'backfill_create',
        dag_id: body.dag_id,
        from_date: body.from_date,
        to_date: body.to_date,
        reprocess_behavior: body.reprocess_behavior,
        max_active_runs: body.max_active_runs,
        run_backwards: body.run_backwards,
        dag_run_conf: body.dag_run_conf,
        triggering_user_name: null,
      },
    ]);
    const result = await waitForResult(ctx.dict, id!, ctx.commandResultTimeoutMs);
    if (!result) {
      throw new HttpError(503, `The backfill is queued, but no tick applied it within ${Math.round(ctx.commandResultTimeoutMs / 1000)} s; it is created when the scheduler next runs (GET /api/v2/backfills?dag_id=${body.dag_id})`);
    }
    if (!result.ok) throw new HttpError(409, result.message);
    const backfillId = result.detail?.backfill_id;
    const row = typeof backfillId === 'number' ? await getBackfill(ctx.db, backfillId) : undefined;
    if (!row) throw new HttpError(409, result.message);
    return c.json(backfillResponse(row, await displayNameOf(ctx, row.dag_id)));
  });

  api.get('/backfills/:backfill_id', async (c) => {
    const row = await requireBackfill(ctx, c.req.param('backfill_id'));
    return c.json(backfillResponse(row, await displayNameOf(ctx, row.dag_id)));
  });

  for (const change of ['cancel', 'pause', 'unpause'] as const) {
    api.put(`/backfills/:backfill_id/${change}`, async (c) => {
      const row = await requireBackfill(ctx, c.req.param('backfill_id'));
      if (row.completed_at !== null) throw new HttpError(409, `Backfill ${row.id} is already completed.`);
      await submitCommands(ctx, c, [{ kind: `backfill_${change}`, dag_id: row.dag_id, backfill_id: row.id }]);
      // Answered as the command leaves it: cancelling pauses and completes it (Airflow's `_cancel_backfill`).
      const now = ctx.clock.now().toISOString();
      const predicted: BackfillRow =
        change === 'cancel'
          ? { ...row, is_paused: true, completed_at: now, updated_at: now }
          : { ...row, is_paused: change === 'pause', updated_at: now };
      return c.json(backfillResponse(predicted, await displayNameOf(ctx, row.dag_id)));
    });
  }
}
