/**
 * Environments, provider-agnostic: create (or update in place), open, list, destroy. Every environment,
 * whatever its provider, has a record folder `$AIRFLOW_SERVERLESS_HOME/envs/{env}/` holding the config as
 * the user wrote it (`config.yaml`, `${VAR}` secrets unresolved); it is re-interpolated on every load.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, parseConfig } from '../config/index.js';
import type { Config } from '../config/model.js';
import { openDatabase } from '../db/open.js';
import { providerFor } from '../providers/index.js';
import { LocalProvider } from '../providers/local/provider.js';
import { airflowServerlessHome, assertEnvironmentName, environmentsDir, localEnvironmentPaths } from '../providers/local/paths.js';
import { writeFileAtomic } from '../providers/local/volume.js';
import { schedulerIsRunning } from '../providers/local/wake.js';
import type { Progress, Provider } from '../providers/ports.js';
import { DATABASE_FILE } from '../volume-layout.js';
import { UnknownEnvironmentError, UserInputError } from './errors.js';

export interface ServiceOptions {
  /** Default `$AIRFLOW_SERVERLESS_HOME` or `~/.airflow-serverless`. */
  home?: string;
  /** For `${VAR}` interpolation in config files. Default `process.env`. */
  processEnv?: NodeJS.ProcessEnv;
}

/** An environment opened for one command: its config (secrets resolved in memory only) and its provider. */
export interface Environment {
  name: string;
  home: string;
  /** The stored config text's path. */
  configFile: string;
  config: Config;
  provider: Provider;
}

function homeOf(options: ServiceOptions): string {
  return options.home ?? airflowServerlessHome(options.processEnv ?? process.env);
}

export function environmentConfigFile(env: string, home: string): string {
  return localEnvironmentPaths(env, home).config;
}

export async function openEnvironment(env: string, options: ServiceOptions = {}): Promise<Environment> {
  assertEnvironmentName(env);
  const home = homeOf(options);
  const configFile = environmentConfigFile(env, home);
  if (!fs.existsSync(configFile)) throw new UnknownEnvironmentError(env);
  const config = parseConfig(fs.readFileSync(configFile, 'utf8'), configFile, options.processEnv ?? process.env);
  const provider = await providerFor(config, env, { home, env: options.processEnv ?? process.env });
  return { name: env, home, configFile, config, provider };
}

export interface CreateResult {
  environment: Environment;
  /** True when the environment existed and was updated in place. */
  updated: boolean;
}

/**
 * Validates the config file, creates (or updates) the provider's resources, initialises the database
 * schema where this machine can reach it, and stores the config text last, so a failed create leaves no
 * environment record behind.
 */
export async function createEnvironment(
  env: string,
  configPath: string,
  progress: Progress,
  options: ServiceOptions = {},
): Promise<CreateResult> {
  assertEnvironmentName(env);
  const home = homeOf(options);
  const processEnv = options.processEnv ?? process.env;
  progress.step(`validating ${configPath}`);
  const config = loadConfig(configPath, processEnv);
  const text = fs.readFileSync(configPath, 'utf8');
  const configFile = environmentConfigFile(env, home);

  const updated = fs.existsSync(configFile);
  if (updated) {
    const previous = parseConfig(fs.readFileSync(configFile, 'utf8'), configFile, processEnv);
    if (previous.provider !== config.provider) {
      throw new UserInputError(
        `environment "${env}" exists on provider ${previous.provider}; destroy it before re-creating it on ${config.provider}`,
      );
    }
  }

  const provider = await providerFor(config, env, { home, env: processEnv });
  progress.step(`${updated ? 'updating' : 'creating'} environment "${env}" (provider ${config.provider})`);
  await provider.create(config, progress);

  if (provider instanceof LocalProvider) {
    progress.step(`initialising the database (${config.database.type})`);
    try {
      const db = openDatabase(config.database, {
        sqliteFile: path.join(provider.paths.volume, DATABASE_FILE),
        applicationName: `airflow-serverless-${env}-cli`,
      });
      try {
        await db.migrate();
      } finally {
        await db.close();
        // Also when the database is unreachable: an open state dict would leave its WAL files behind.
        await provider.close();
      }
    } catch (error) {
      // A new environment that could not be initialised (PostgreSQL down, wrong URL) leaves no folder behind.
      if (!updated) fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
      throw error;
    }
  }

  writeFileAtomic(configFile, text);
  progress.step(`environment "${env}" is ready`);
  return { environment: { name: env, home, configFile, config, provider }, updated };
}

export async function destroyEnvironment(
  environment: Environment,
  options: { deleteData: boolean },
  progress: Progress,
): Promise<void> {
  await environment.provider.destroy(options, progress);
  fs.rmSync(path.dirname(environment.configFile), { recursive: true, force: true });
}

/**
 * `destroy --force` of an environment whose stored config cannot be read: its provider is unknown, so only
 * its local folder (config, state dict and, for a local environment, its data) can go. Returns the folder.
 */
export function removeEnvironmentFolder(env: string, options: ServiceOptions = {}): string {
  assertEnvironmentName(env);
  const folder = path.dirname(environmentConfigFile(env, homeOf(options)));
  if (!fs.existsSync(folder)) throw new UnknownEnvironmentError(env);
  fs.rmSync(folder, { recursive: true, force: true });
  return folder;
}

export interface EnvironmentSummary {
  name: string;
  provider: string;
  database: string;
  /** Where its record (and, for local, its data) lives. */
  path: string;
  /** Local only: a scheduler loop answers on the environment's socket. */
  scheduler_running: boolean | null;
  /** Set when the stored config no longer loads (e.g. a `${VAR}` is unset in this shell). */
  error: string | null;
}

export async function listEnvironments(options: ServiceOptions = {}): Promise<EnvironmentSummary[]> {
  const home = homeOf(options);
  const dir = environmentsDir(home);
  if (!fs.existsSync(dir)) return [];
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'config.yaml')))
    .map((entry) => entry.name)
    .sort();
  const summaries: EnvironmentSummary[] = [];
  for (const name of names) {
    const paths = localEnvironmentPaths(name, home);
    try {
      const config = parseConfig(fs.readFileSync(paths.config, 'utf8'), paths.config, options.processEnv ?? process.env);
      summaries.push({
        name,
        provider: config.provider,
        database: config.database.type,
        path: paths.root,
        scheduler_running: config.provider === 'local' ? await schedulerIsRunning(paths) : null,
        error: null,
      });
    } catch (error) {
      summaries.push({
        name,
        provider: '?',
        database: '?',
        path: paths.root,
        scheduler_running: null,
        error: error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error),
      });
    }
  }
  return summaries;
}
