/**
 * `ui` inside a Modal container: serve the REST API and web page over a read-only view of the database,
 * behind the session's token, on the port the launcher forwards (modal.forward); announce the tunnel URL
 * in the Dict (`ui:{session}`), and run until the CLI cancels the call.
 *
 * Every refresh reloads the volume, and a reload must meet neither an open file (Modal refuses it) nor a
 * reader (the mount looks empty until it completes): reloads and reads of the volume go through one
 * VolumeReadGate. SQLite: queries never touch the volume. Right after each reload, still inside the gate,
 * the database file is copied (one read of one version) to container-local disk, and the next query
 * opens that copy read-only. Writes go through `cmd:*` like everywhere else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseBackend } from '../../../db/backend.js';
import { openDatabase } from '../../../db/open.js';
import { uiSessionKey } from '../../../executor/protocol.js';
import { folderVolumeReader, startUiServer as realStartUiServer } from '../../../ui/server/index.js';
import type { UiServerOptions, VolumeReader } from '../../../ui/server/index.js';
import { DATABASE_FILE } from '../../../volume-layout.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, isProcessEntry, runMain } from '../container.js';
import { PACKAGE_ROOT } from '../build.js';
import { SqliteBackend } from '../../../db/sqlite.js';
import { ReopenableDatabase } from '../database.js';
import { ModalProviderError } from '../errors.js';
import { VolumeReadGate } from '../read-gate.js';
import type { UiSessionRecord } from '../remote-ui.js';

export const UI_REFRESH_MS = 15_000;

/** Tests pass a stand-in; production serves the real UI. */
export type StartUiServer = (options: UiServerOptions) => Promise<{ close(): Promise<void> }>;

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface ModalUiOptions extends ContainerOptions {
  startUiServer?: StartUiServer;
  /** How often the volume is reloaded (default UI_REFRESH_MS). */
  refreshMs?: number;
  /** Resolves when the UI should stop (default: SIGTERM or SIGINT, i.e. the call was cancelled). */
  until?: Promise<void>;
}

export async function runModalUi(options: ModalUiOptions = {}): Promise<void> {
  const ctx = await containerContext(options);
  const env = ctx.processEnv;
  const session = env.AIRFLOW_SERVERLESS_UI_SESSION;
  const token = env.AIRFLOW_SERVERLESS_UI_TOKEN;
  const url = env.AIRFLOW_SERVERLESS_UI_URL;
  const port = Number(env.AIRFLOW_SERVERLESS_UI_PORT ?? '8080');
  if (!session || !token || !url) throw new ModalProviderError('AIRFLOW_SERVERLESS_UI_SESSION, _TOKEN and _URL must be set by the launcher');

  const copies = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-ui-'));
  const gate = new VolumeReadGate();
  let generation = 0;
  let latest: string | null = null;
  /** Inside the gate, after a reload: one copy of the database file as committed. */
  const sqlite = ctx.config.database.type === 'sqlite';
  const copyDatabase = (): void => {
    if (!sqlite) return;
    const source = path.join(ctx.volume.root, DATABASE_FILE);
    if (!fs.existsSync(source)) return;
    const copy = path.join(copies, `airflow-${++generation}.db`);
    fs.writeFileSync(copy, fs.readFileSync(source));
    latest = copy;
  };
  const db: DatabaseBackend =
    ctx.config.database.type === 'postgres'
      ? openDatabase(ctx.config.database, { sqliteFile: '', applicationName: `airflow-serverless-${ctx.envName}-ui` })
      : new ReopenableDatabase(
          () => {
            if (!latest) throw new ModalProviderError('no database on the volume yet: wait for the first tick');
            return new SqliteBackend({ file: latest, readonly: true });
          },
          { dialect: 'sqlite', description: `${DATABASE_FILE} (read-only copy)` },
        );
  await gate.read(async () => copyDatabase());
  const volumeFiles = folderVolumeReader(ctx.volume.root);
  const files: VolumeReader = {
    readFile: (relative) => gate.read(() => volumeFiles.readFile(relative)),
    listFiles: (relative) => gate.read(() => volumeFiles.listFiles(relative)),
  };

  const startUiServer = options.startUiServer ?? realStartUiServer;
  const server = await startUiServer({
    db,
    dict: ctx.dict,
    files,
    // All interfaces of the container: modal.forward connects from outside the loopback device.
    host: '0.0.0.0',
    port,
    token,
    clock: ctx.clock,
    logger: ctx.logger,
    version: packageVersion(),
    requestTick: () => ctx.spawner.requestTick(),
    schedulerHealthThresholdSeconds: 3 * ctx.config.scheduler.interval_seconds,
    timetableOptions: {
      create_cron_data_intervals: ctx.config.scheduler.create_cron_data_intervals,
      create_delta_data_intervals: ctx.config.scheduler.create_delta_data_intervals,
    },
  });
  const record: UiSessionRecord = { url, started_at: ctx.clock.now().toISOString() };
  await ctx.dict.put(uiSessionKey(session), record);
  ctx.logger.info('ui serving', { url });

  // One refresh at a time: a reload slower than the interval (busy retries) must not queue reloads behind
  // it, or the gate would keep every request waiting.
  let refreshing = false;
  const refresh = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void gate
      .reload(async () => {
        await ctx.volume.reload();
        const before = generation;
        copyDatabase();
        if (generation !== before && db instanceof ReopenableDatabase) await db.suspend();
      })
      .then(() => {
        for (const name of fs.readdirSync(copies)) {
          if (name !== `airflow-${generation}.db`) fs.rmSync(path.join(copies, name), { recursive: true, force: true });
        }
      })
      .catch((error: unknown) => ctx.logger.warn('ui: refresh failed; trying again later', { error: String(error) }))
      .finally(() => (refreshing = false));
  }, options.refreshMs ?? UI_REFRESH_MS);

  const until =
    options.until ??
    new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
  try {
    await until;
  } finally {
    clearInterval(refresh);
    await server.close().catch(() => undefined);
    await ctx.dict.delete(uiSessionKey(session)).catch(() => undefined);
    await db.close();
    fs.rmSync(copies, { recursive: true, force: true });
    ctx.close();
  }
}

if (isProcessEntry(import.meta.url)) {
  runMain('ui', async () => {
    await runModalUi();
    return 0;
  });
}
