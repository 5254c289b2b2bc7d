/**
 * The modal provider: an environment is a deployed Modal app (`airflow-serverless-{env}`) with a v2
 * volume, a Dict and a secret. `create` is idempotent: re-running it updates everything in place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config/model.js';
import type { DatabaseBackend } from '../../db/backend.js';
import { openDatabase } from '../../db/open.js';
import type { TaskPayload } from '../../executor/protocol.js';
import { assertEnvironmentName, airflowServerlessHome } from '../local/paths.js';
import type { Progress, Provider, StateDict, TaskSpawner, VolumeClient, VolumeEntry } from '../ports.js';
import { prepareBuildFolder } from './build.js';
import type { GrpcMiddleware, RetryPolicy } from './client.js';
import { ModalConnection } from './client.js';
import { downloadDatabaseCopy } from './database.js';
import type { CommandRunner } from './deploy.js';
import { checkModalCli, modalDeploy, runCommand } from './deploy.js';
import { CREDENTIALS_MISSING_MESSAGE, ModalCredentialsMissingError, ModalDeployError, ModalProviderError } from './errors.js';
import { modalResourceNames } from './names.js';
import type { ModalResourceNames } from './names.js';
import { deleteSecret, findApp, stopApp, writeSecret } from './resources.js';
import { ModalTaskSpawner } from './spawner.js';
import { ModalStateDict } from './state-dict.js';
import { ModalVolumeClient } from './volume-client.js';

export interface ModalProviderOptions {
  /** `$AIRFLOW_SERVERLESS_HOME`; the build folder lives under it. */
  home?: string;
  /** Where credentials (MODAL_TOKEN_ID/SECRET) and PATH are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Tests: the in-process fake of Modal's API. */
  grpcMiddleware?: GrpcMiddleware[];
  retry?: RetryPolicy;
  /** Tests: how `modal` is run (default: a real subprocess). */
  runCommand?: CommandRunner;
  /** Where this package's dist/ and package.json are (default: the installed package). */
  packageRoot?: string;
  /** Node.js in the image; default this process's version, so dist/ runs on the Node it was built for. */
  nodeVersion?: string;
  /** How long create waits for the first tick (it creates the SQLite schema). Default 15 min (image builds). */
  firstTickTimeoutMs?: number;
}

export class ModalProvider implements Provider {
  readonly name = 'modal' as const;
  readonly names: ModalResourceNames;
  private connectionInstance: ModalConnection | null = null;
  private dictPromise: Promise<ModalStateDict> | null = null;
  private volumePromise: Promise<ModalVolumeClient> | null = null;

  constructor(
    readonly env: string,
    private config: Config,
    private readonly options: ModalProviderOptions = {},
  ) {
    assertEnvironmentName(env);
    this.names = modalResourceNames(env);
  }

  private get processEnv(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  /** One SDK client per provider; built on first use so `ModalProvider` can be constructed offline. */
  connection(): ModalConnection {
    if (!this.connectionInstance) {
      const tokenId = this.processEnv.MODAL_TOKEN_ID;
      const tokenSecret = this.processEnv.MODAL_TOKEN_SECRET;
      this.connectionInstance = new ModalConnection({
        environment: this.config.modal.environment,
        ...(tokenId && tokenSecret ? { tokenId, tokenSecret } : {}),
        ...(this.options.grpcMiddleware ? { grpcMiddleware: this.options.grpcMiddleware } : {}),
        ...(this.options.retry ? { retry: this.options.retry } : {}),
      });
    }
    return this.connectionInstance;
  }

  async exists(): Promise<boolean> {
    return (await findApp(this.connection(), this.names.app)) !== undefined;
  }

  async create(config: Config, progress: Progress): Promise<void> {
    this.config = config;
    this.validate(config);
    const connection = this.connection();
    const tokens = connection.tokens();
    if (!tokens) throw new ModalCredentialsMissingError(CREDENTIALS_MISSING_MESSAGE);
    const runner = this.options.runCommand ?? runCommand;

    progress.step('checking the modal CLI');
    await checkModalCli(runner, this.processEnv);

    progress.step(`volume ${this.names.volume}`);
    this.volumePromise = ModalVolumeClient.open(connection, this.names.volume, { create: true });
    await this.volumePromise;
    progress.step(`state dict ${this.names.dict}`);
    this.dictPromise = ModalStateDict.open(connection, this.names.dict, { create: true });
    const dict = await this.dictPromise;
    progress.step(`secret ${this.names.secret}`);
    const secretValues: Record<string, string> = { MODAL_TOKEN_ID: tokens.tokenId, MODAL_TOKEN_SECRET: tokens.tokenSecret };
    if (config.database.type === 'postgres' && config.database.connection_string) {
      secretValues.AIRFLOW_SERVERLESS_DATABASE_URL = config.database.connection_string;
    }
    await writeSecret(connection, this.names.secret, secretValues);

    const buildDir = path.join(this.options.home ?? airflowServerlessHome(this.processEnv), 'envs', this.env, 'modal-build');
    progress.step(`rendering the Modal app into ${buildDir}`);
    const build = prepareBuildFolder({
      buildDir,
      ...(this.options.packageRoot ? { packageRoot: this.options.packageRoot } : {}),
      app: { env: this.env, config, nodeVersion: this.options.nodeVersion ?? process.versions.node },
    });

    progress.step(`deploying ${this.names.app}${config.modal.environment ? ` to Modal environment ${config.modal.environment}` : ''}`);
    await modalDeploy(runner, {
      appFile: build.appFile,
      appName: this.names.app,
      environment: config.modal.environment,
      cwd: build.dir,
      env: this.processEnv,
      onOutput: (line) => progress.step(`  modal: ${line}`),
    });

    if (config.database.type === 'postgres') {
      progress.step('initialising the database schema (PostgreSQL)');
      const db = openDatabase(config.database, { sqliteFile: '', applicationName: `airflow-serverless-${this.env}-create` });
      try {
        await db.migrate();
      } finally {
        await db.close();
      }
    } else {
      // The SQLite file lives on the volume and has one writer, the tick: let the first tick create it.
      progress.step('initialising the database schema (SQLite, by running the first tick)');
      const spawner = new ModalTaskSpawner(connection, this.names.app, dict);
      const callId = await spawner.spawnTick();
      try {
        await spawner.waitFor(callId, this.options.firstTickTimeoutMs ?? 15 * 60_000);
      } catch (error) {
        throw new ModalDeployError(
          `the first tick failed (${(error as Error).message}); see \`modal app logs ${this.names.app}\``,
          { cause: error },
        );
      }
    }
    progress.step(`environment ${this.env} is ready on Modal`);
  }

  private validate(config: Config): void {
    if (config.provider !== 'modal') throw new ModalProviderError(`config.yaml says provider ${config.provider}, not modal`);
    if (config.database.type === 'postgres' && !config.database.connection_string) {
      throw new ModalProviderError('database.type is postgres but database.connection_string is not set');
    }
  }

  async destroy(options: { deleteData: boolean }, progress: Progress): Promise<void> {
    const connection = this.connection();
    progress.step(`stopping ${this.names.app}`);
    if (!(await stopApp(connection, this.names.app))) progress.step(`  ${this.names.app} was not deployed`);
    if (!options.deleteData) return;
    progress.step(`deleting volume ${this.names.volume}`);
    if (!(await ModalVolumeClient.deleteByName(connection, this.names.volume))) progress.step('  no such volume');
    progress.step(`deleting state dict ${this.names.dict}`);
    if (!(await ModalStateDict.deleteByName(connection, this.names.dict))) progress.step('  no such dict');
    progress.step(`deleting secret ${this.names.secret}`);
    if (!(await deleteSecret(connection, this.names.secret))) progress.step('  no such secret');
    this.dictPromise = null;
    this.volumePromise = null;
  }

  private openVolume(): Promise<ModalVolumeClient> {
    this.volumePromise ??= ModalVolumeClient.open(this.connection(), this.names.volume, { create: false });
    this.volumePromise.catch(() => (this.volumePromise = null));
    return this.volumePromise;
  }

  volume(): VolumeClient {
    const open = (): Promise<ModalVolumeClient> => this.openVolume();
    return {
      put: async (p: string, data: Uint8Array) => (await open()).put(p, data),
      get: async (p: string) => (await open()).get(p),
      list: async (p: string): Promise<VolumeEntry[]> => (await open()).list(p),
      remove: async (p: string) => (await open()).remove(p),
      commit: async () => (await open()).commit(),
    };
  }

  async stateDict(): Promise<StateDict> {
    this.dictPromise ??= ModalStateDict.open(this.connection(), this.names.dict, { create: false });
    this.dictPromise.catch(() => (this.dictPromise = null));
    return this.dictPromise;
  }

  private async modalSpawner(): Promise<ModalTaskSpawner> {
    const dict = (await this.stateDict()) as ModalStateDict;
    return new ModalTaskSpawner(this.connection(), this.names.app, dict);
  }

  spawner(): TaskSpawner {
    return {
      spawn: async (payload: TaskPayload) => (await this.modalSpawner()).spawn(payload),
      cancel: async (callId: string) => (await this.modalSpawner()).cancel(callId),
      requestTick: async () => (await this.modalSpawner()).requestTick(),
    };
  }

  /**
   * The database for reading from the CLI or a local UI: Postgres directly; SQLite as a downloaded copy of
   * the last committed file, opened read-only (writes go through `cmd:*` in the state dict).
   */
  async openReadOnlyDatabase(): Promise<DatabaseBackend | null> {
    if (this.config.database.type === 'postgres') {
      return openDatabase(this.config.database, { sqliteFile: '', applicationName: `airflow-serverless-${this.env}-cli` });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `airflow-serverless-${this.env}-`));
    const copy = await downloadDatabaseCopy(await this.openVolume(), path.join(dir, 'airflow.db'));
    if (!copy) {
      fs.rmSync(dir, { recursive: true, force: true });
      return null;
    }
    const close = copy.close.bind(copy);
    copy.close = async () => {
      await close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return copy;
  }

  async close(): Promise<void> {
    this.connectionInstance?.close();
    this.connectionInstance = null;
  }
}
