/** `/api/v2/importErrors`, `/api/v2/monitor/health`, `/api/v2/version`. */
import type { Hono } from 'hono';
import type { UiEnv } from '../auth.js';
import type { UiContext } from '../context.js';
import { notFound } from '../errors.js';
import { QueryParams } from '../params.js';
import { getImportError } from '../../../db/queries/import-errors.js';
import { IMPORT_ERROR_ORDER_ATTRIBUTES, latestSchedulerHeartbeat, listImportErrors, pingDatabase } from '../queries/monitor.js';
import { importErrorResponse, isoOrNull } from '../serialize.js';

export function registerMonitorRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  api.get('/importErrors', async (c) => {
    const query = QueryParams.of(c.req.url);
    const filenamePattern = query.string('filename_pattern');
    const page = query.page();
    const order = query.orderBy(IMPORT_ERROR_ORDER_ATTRIBUTES, ['id']);
    query.finish();
    const { rows, total } = await listImportErrors(ctx.db, filenamePattern, order, page);
    return c.json({ import_errors: rows.map(importErrorResponse), total_entries: total });
  });

  api.get('/importErrors/:import_error_id', async (c) => {
    const query = new QueryParams(new URLSearchParams({ import_error_id: c.req.param('import_error_id') }));
    const id = query.int('import_error_id', {});
    query.finish();
    const row = id === null ? undefined : await getImportError(ctx.db, id);
    if (!row) throw notFound(`The ImportError with import_error_id: \`${id}\` was not found`);
    return c.json(importErrorResponse(row));
  });

  // Open without the token, like Airflow's: it says whether things run, nothing about what.
  api.get('/monitor/health', async (c) => {
    let database = 'healthy';
    let heartbeat: string | null = null;
    try {
      await pingDatabase(ctx.db);
      heartbeat = isoOrNull(await latestSchedulerHeartbeat(ctx.db));
    } catch {
      database = 'unhealthy';
    }
    const fresh =
      heartbeat !== null && ctx.clock.now().getTime() - Date.parse(heartbeat) <= ctx.schedulerHealthThresholdSeconds * 1000;
    return c.json({
      metadatabase: { status: database },
      scheduler: { status: fresh ? 'healthy' : 'unhealthy', latest_scheduler_heartbeat: heartbeat },
      // No triggerer; the tick parses DAG files itself (no separate DAG processor).
      triggerer: { status: null, latest_triggerer_heartbeat: null },
      dag_processor: null,
    });
  });

  api.get('/version', (c) => c.json({ version: ctx.version, git_version: null }));
}
