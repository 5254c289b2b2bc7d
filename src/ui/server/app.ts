/**
 * The ephemeral UI's HTTP app: Airflow 3's REST API subset under /api/v2, the page's private data under
 * /ui, and the page itself, all behind one token (auth.ts). Reads go to the database; writes become
 * `cmd:*` records in the state dict for the tick to apply (the tick is the database's only writer).
 */
import { Hono } from 'hono';
import type { DatabaseBackend } from '../../db/backend.js';
import { silentLogger, type Logger } from '../../logger.js';
import { systemClock, type Clock, type StateDict } from '../../providers/ports.js';
import type { TimetableOptions } from '../../timetable/model.js';
import { authMiddleware, type UiEnv } from './auth.js';
import type { UiContext } from './context.js';
import { toErrorResponse } from './errors.js';
import { defaultAssetsDir, registerPageRoutes } from './page.js';
import { registerBackfillRoutes } from './routes/backfills.js';
import { registerDagRoutes } from './routes/dags.js';
import { registerDagRunRoutes } from './routes/dag-runs.js';
import { registerMonitorRoutes } from './routes/monitor.js';
import { registerOperationRoutes } from './routes/operations.js';
import { registerPageDataRoutes } from './routes/page-data.js';
import { registerPlanRoutes } from './routes/plans.js';
import { registerTaskInstanceRoutes } from './routes/task-instances.js';
import { registerXComRoutes } from './routes/xcom.js';
import type { VolumeReader } from './volume-reader.js';

export interface UiDeps {
  db: DatabaseBackend;
  dict: StateDict;
  files: VolumeReader;
  /** The per-start secret (see generateUiToken); never echoed in a response. */
  token: string;
  clock?: Clock;
  /** airflow-serverless's version, for `/api/v2/version`. */
  version: string;
  /** Fast-follow after a write command (e.g. TaskSpawner.requestTick); optional. */
  requestTick?: () => Promise<void>;
  logger?: Logger;
  /** Where app.js/app.css are; defaults to dist/ui/assets. */
  assetsDir?: string;
  /** A scheduler heartbeat older than this is "unhealthy" (default 180 s: three default tick intervals). */
  schedulerHealthThresholdSeconds?: number;
  /** Config `scheduler.create_cron_data_intervals` / `create_delta_data_intervals` (Airflow 3 default: false). */
  timetableOptions?: TimetableOptions;
  /** How long `POST /backfills` waits for the tick to create the backfill (default 30 s). */
  commandResultTimeoutMs?: number;
}

/** Headers that keep a page served on 127.0.0.1 (or a tunnel) from being framed, sniffed or leaking URLs. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export function createUiApp(deps: UiDeps): Hono<UiEnv> {
  const logger = deps.logger ?? silentLogger;
  const ctx: UiContext = {
    db: deps.db,
    dict: deps.dict,
    files: deps.files,
    clock: deps.clock ?? systemClock,
    version: deps.version,
    logger,
    requestTick: deps.requestTick ?? (async () => {}),
    schedulerHealthThresholdSeconds: deps.schedulerHealthThresholdSeconds ?? 180,
    timetableOptions: deps.timetableOptions ?? { create_cron_data_intervals: false, create_delta_data_intervals: false },
    commandResultTimeoutMs: deps.commandResultTimeoutMs ?? 30_000,
  };

  const app = new Hono<UiEnv>();
  app.onError((error, c) => toErrorResponse(error, c, logger));
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  app.use('*', async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    if (c.req.path.startsWith('/api/') || c.req.path.startsWith('/ui/')) c.header('Cache-Control', 'no-store');
  });
  app.use('*', authMiddleware(deps.token));

  const api = new Hono<UiEnv>();
  registerDagRoutes(api, ctx);
  registerDagRunRoutes(api, ctx);
  registerTaskInstanceRoutes(api, ctx);
  registerOperationRoutes(api, ctx);
  registerBackfillRoutes(api, ctx);
  registerXComRoutes(api, ctx);
  registerMonitorRoutes(api, ctx);
  app.route('/api/v2', api);

  const ui = new Hono<UiEnv>();
  registerPageDataRoutes(ui, ctx);
  registerPlanRoutes(ui, ctx);
  app.route('/ui', ui);

  registerPageRoutes(app, deps.assetsDir ?? defaultAssetsDir());
  return app;
}
