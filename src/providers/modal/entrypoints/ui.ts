/**
 * `ui` inside a Modal container: serve the REST API and web page over a read-only view of the database,
 * behind the session's token, on the port the launcher forwards (modal.forward); announce the tunnel URL
 * in the Dict (`ui:{session}`), and run until the CLI cancels the call.
 *
 * SQLite: the UI never opens the file on the volume. Every refresh it reloads the volume and the next
 * query opens a fresh private copy (ReopenableDatabase over openSqliteCopy), so a reload never meets an
 * open file and a reader never sees a half-committed page. Writes go through `cmd:*` like everywhere else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseBackend } from '../../../db/backend.js';
import { openDatabase } from '../../../db/open.js';
import { uiSessionKey } from '../../../executor/protocol.js';
import type { Logger } from '../../../logger.js';
import type { Clock, StateDict } from '../../ports.js';
import { DATABASE_FILE } from '../../../volume-layout.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, isProcessEntry, runMain } from '../container.js';
import { openSqliteCopy, ReopenableDatabase } from '../database.js';
import { ModalProviderError } from '../errors.js';
import type { UiSessionRecord } from '../remote-ui.js';

export const UI_REFRESH_MS = 15_000;

/** What the UI server module is expected to export (src/ui); kept here so this file compiles on its own. */
export interface StartUiServerOptions {
  db: DatabaseBackend;
  dict: StateDict;
  /** The mounted volume root (logs, XCom). */
  volumeRoot: string;
  host: string;
  port: number;
  token: string;
  clock: Clock;
  logger: Logger;
  requestTick(): Promise<void>;
}
export type StartUiServer = (options: StartUiServerOptions) => Promise<{ close(): Promise<void> }>;

const UI_SERVER_MODULE = '../../../ui/server/index.js';

async function loadStartUiServer(): Promise<StartUiServer> {
  const module = (await import(UI_SERVER_MODULE)) as { startUiServer?: StartUiServer };
  if (typeof module.startUiServer !== 'function') throw new ModalProviderError('src/ui/server/index.js exports no startUiServer');
  return module.startUiServer;
}

export interface ModalUiOptions extends ContainerOptions {
  startUiServer?: StartUiServer;
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
  let generation = 0;
  const db: DatabaseBackend =
    ctx.config.database.type === 'postgres'
      ? openDatabase(ctx.config.database, { sqliteFile: '', applicationName: `airflow-serverless-${ctx.envName}-ui` })
      : new ReopenableDatabase(
          () => {
            const source = path.join(ctx.volume.root, DATABASE_FILE);
            if (!fs.existsSync(source)) throw new ModalProviderError('no database on the volume yet: wait for the first tick');
            const journal = `${source}-journal`;
            const copy = path.join(copies, `airflow-${++generation}.db`);
            return openSqliteCopy({ database: fs.readFileSync(source), journal: fs.existsSync(journal) ? fs.readFileSync(journal) : undefined }, copy);
          },
          { dialect: 'sqlite', description: `${DATABASE_FILE} (read-only copy)` },
        );

  const startUiServer = options.startUiServer ?? (await loadStartUiServer());
  const server = await startUiServer({
    db,
    dict: ctx.dict,
    volumeRoot: ctx.volume.root,
    host: '0.0.0.0',
    port,
    token,
    clock: ctx.clock,
    logger: ctx.logger,
    requestTick: () => ctx.spawner.requestTick(),
  });
  const record: UiSessionRecord = { url, started_at: ctx.clock.now().toISOString() };
  await ctx.dict.put(uiSessionKey(session), record);
  ctx.logger.info('ui serving', { url });

  const refresh = setInterval(() => {
    void (async () => {
      if (db instanceof ReopenableDatabase) await db.suspend();
      await ctx.volume.reload();
      for (const name of fs.readdirSync(copies)) {
        if (name !== `airflow-${generation}.db`) fs.rmSync(path.join(copies, name), { force: true });
      }
    })().catch((error: unknown) => ctx.logger.warn('ui: refresh failed; trying again later', { error: String(error) }));
  }, UI_REFRESH_MS);

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
