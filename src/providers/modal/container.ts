/**
 * The ports of code running inside a Modal container, built from the environment the launcher
 * (templates/modal_app.py) sets: AIRFLOW_SERVERLESS_{ENV,APP,DICT,CONFIG,VOLUME_ROOT,VOLUME_CONTROL}, the
 * secret's MODAL_TOKEN_ID/MODAL_TOKEN_SECRET and AIRFLOW_SERVERLESS_DATABASE_URL, and Modal's own
 * MODAL_ENVIRONMENT (so every lookup stays in the environment the app runs in).
 * Shared by the tick, task and ui entrypoints; tests call it with a fake API and a recorded volume sync.
 */
import type { Config } from '../../config/model.js';
import type { Logger } from '../../logger.js';
import { stderrLogger } from '../../logger.js';
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import type { GrpcMiddleware, RetryPolicy } from './client.js';
import { ModalConnection } from './client.js';
import { ModalProviderError } from './errors.js';
import { ModalTaskSpawner } from './spawner.js';
import { ModalStateDict } from './state-dict.js';
import type { VolumeSync } from './volume-mount.js';
import { ModalVolumeMount, PipeVolumeSync } from './volume-mount.js';

/**
 * What the container's secret holds for Node and the scheduler, never for user code: the tick's parse
 * worker (a DAG file's top-level code) and a task's operator processes inherit process.env.
 */
export const SCHEDULER_SECRETS = ['MODAL_TOKEN_ID', 'MODAL_TOKEN_SECRET', 'AIRFLOW_SERVERLESS_DATABASE_URL'] as const;

/** Once the context holds the connection and the config, the secrets leave the environment child processes inherit. */
export function dropSchedulerSecrets(ctx: Pick<ContainerContext, 'processEnv'>): void {
  for (const name of SCHEDULER_SECRETS) delete ctx.processEnv[name];
}

export interface ContainerOptions {
  env?: NodeJS.ProcessEnv;
  /** Tests: the fake Modal API. */
  grpcMiddleware?: GrpcMiddleware[];
  retry?: RetryPolicy;
  /** Tests: stands in for the launcher's commit/reload pipe. */
  volumeSync?: VolumeSync;
  clock?: Clock;
  logger?: Logger;
}

export interface ContainerContext {
  envName: string;
  appName: string;
  config: Config;
  connection: ModalConnection;
  dict: ModalStateDict;
  spawner: ModalTaskSpawner;
  volume: ModalVolumeMount;
  clock: Clock;
  logger: Logger;
  processEnv: NodeJS.ProcessEnv;
  close(): void;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ModalProviderError(`${name} is not set: this entrypoint runs inside the Modal app that create deploys`);
  return value;
}

export async function containerContext(options: ContainerOptions = {}): Promise<ContainerContext> {
  const env = options.env ?? process.env;
  const config = JSON.parse(required(env, 'AIRFLOW_SERVERLESS_CONFIG')) as Config;
  if (config.database.type === 'postgres') {
    config.database = { ...config.database, connection_string: required(env, 'AIRFLOW_SERVERLESS_DATABASE_URL') };
  }
  const logger = options.logger ?? stderrLogger({ debug: env.AIRFLOW_SERVERLESS_DEBUG === '1' });
  const clock = options.clock ?? systemClock;
  const connection = new ModalConnection({
    // Inside a function Modal sets MODAL_ENVIRONMENT; the config's value is the same name.
    environment: env.MODAL_ENVIRONMENT || config.modal.environment,
    tokenId: required(env, 'MODAL_TOKEN_ID'),
    tokenSecret: required(env, 'MODAL_TOKEN_SECRET'),
    ...(options.grpcMiddleware ? { grpcMiddleware: options.grpcMiddleware } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const appName = required(env, 'AIRFLOW_SERVERLESS_APP');
  const dict = await ModalStateDict.open(connection, required(env, 'AIRFLOW_SERVERLESS_DICT'), { create: false });
  const sync = options.volumeSync ?? PipeVolumeSync.fromEnv(env);
  if (!sync) throw new ModalProviderError('AIRFLOW_SERVERLESS_VOLUME_CONTROL is not set: run under templates/modal_app.py');
  const volume = new ModalVolumeMount(required(env, 'AIRFLOW_SERVERLESS_VOLUME_ROOT'), sync);
  return {
    envName: required(env, 'AIRFLOW_SERVERLESS_ENV'),
    appName,
    config,
    connection,
    dict,
    spawner: new ModalTaskSpawner(connection, appName, dict, clock),
    volume,
    clock,
    logger,
    processEnv: env,
    close: () => {
      sync.close?.();
      connection.close();
    },
  };
}

/** Runs an entrypoint's main and exits with its code; a throw prints one line (the stack with DEBUG). */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const debug = process.env.AIRFLOW_SERVERLESS_DEBUG === '1';
      const text = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
      process.stderr.write(`${name}: ${text}\n`);
      process.exit(1);
    },
  );
}

/** True when the module is the process entry (`node …/entrypoints/x.js`), not imported by a test. */
export function isProcessEntry(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && new URL(moduleUrl).pathname === entry;
}
