/**
 * `ui --env` for an environment on this machine: the UI server over the environment's database (read-only;
 * the tick stays its only writer), its state dict (writes become `cmd:*`) and its volume folder (logs,
 * XComs), with a fresh token, until `until` resolves.
 */
import type { Logger } from '../logger.js';
import { LocalProvider } from '../providers/local/provider.js';
import { withReadDatabase } from '../service/database.js';
import type { Environment } from '../service/environments.js';
import { generateUiToken } from './server/auth.js';
import { loginUrl, startUiServer } from './server/start.js';
import { folderVolumeReader } from './server/volume-reader.js';

export interface RunningUi {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The one-time login link (base URL + token). */
  link: string;
  /** For API clients: `Authorization: Bearer <token>`. */
  token: string;
}

export interface LocalUiOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  version: string;
  logger?: Logger;
  /** Called once the server listens. */
  onReady(ui: RunningUi): void;
  /** The UI stops when this resolves (Ctrl-C). */
  until: Promise<unknown>;
}

export class NotALocalEnvironmentError extends Error {
  constructor(env: string, provider: string) {
    super(`environment "${env}" runs on ${provider}, not on this machine`);
    this.name = 'NotALocalEnvironmentError';
  }
}

export async function runLocalUi(environment: Environment, options: LocalUiOptions): Promise<void> {
  const provider = environment.provider;
  if (!(provider instanceof LocalProvider)) throw new NotALocalEnvironmentError(environment.name, environment.config.provider);
  await withReadDatabase(environment, async (db) => {
    const dict = await provider.stateDict();
    const spawner = provider.spawner();
    const token = generateUiToken();
    const { scheduler } = environment.config;
    const server = await startUiServer({
      db,
      dict,
      files: folderVolumeReader(provider.paths.volume),
      token,
      version: options.version,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      // Wakes a running `scheduler` loop so a trigger or pause is applied at once.
      requestTick: () => spawner.requestTick(),
      schedulerHealthThresholdSeconds: 3 * scheduler.interval_seconds,
      timetableOptions: {
        create_cron_data_intervals: scheduler.create_cron_data_intervals,
        create_delta_data_intervals: scheduler.create_delta_data_intervals,
      },
    });
    try {
      options.onReady({ url: server.url, link: loginUrl(server, token), token });
      await options.until;
    } finally {
      await server.close();
    }
  });
}
