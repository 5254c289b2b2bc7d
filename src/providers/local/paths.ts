/**
 * Where a local environment lives on this machine. Everything for environment `dev` sits under
 * `$AIRFLOW_SERVERLESS_HOME/envs/dev/`: the volume folder, the state dict file (outside the volume, so a
 * volume copy never carries half-written dict pages), the config text and the scheduler loop's wake-up socket (wake.ts).
 */
import os from 'node:os';
import path from 'node:path';

export const ENV_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,40}$/;

export class InvalidEnvironmentNameError extends Error {
  constructor(name: string) {
    super(`invalid environment name "${name}": use 1-41 lowercase letters, digits or "-", starting with a letter or digit`);
    this.name = 'InvalidEnvironmentNameError';
  }
}

export function assertEnvironmentName(name: string): string {
  if (!ENV_NAME_PATTERN.test(name)) throw new InvalidEnvironmentNameError(name);
  return name;
}

/** `$AIRFLOW_SERVERLESS_HOME`, or `~/.airflow-serverless`. */
export function airflowServerlessHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AIRFLOW_SERVERLESS_HOME;
  return configured && configured.trim() !== '' ? path.resolve(configured) : path.join(os.homedir(), '.airflow-serverless');
}

export interface LocalEnvironmentPaths {
  env: string;
  home: string;
  /** `{home}/envs/{env}` */
  root: string;
  /** The volume root: `dags/`, `data/airflow.db`, `logs/`, `xcom/`. */
  volume: string;
  /** The state dict (SQLite key-value file). */
  stateDict: string;
  /** The environment's config as the user wrote it (`${VAR}` unresolved). */
  config: string;
}

export function environmentsDir(home: string): string {
  return path.join(home, 'envs');
}

export function localEnvironmentPaths(env: string, home: string = airflowServerlessHome()): LocalEnvironmentPaths {
  assertEnvironmentName(env);
  const root = path.join(environmentsDir(home), env);
  return {
    env,
    home,
    root,
    volume: path.join(root, 'vol'),
    stateDict: path.join(root, 'state.db'),
    config: path.join(root, 'config.yaml'),
  };
}
