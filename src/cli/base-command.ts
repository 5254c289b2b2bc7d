/**
 * Shared command behaviour: `--env` resolution and environment loading, and turning any error into one
 * line on stderr plus an exit code (STYLE 10). Commands extend `EnvCommand` (or `BaseCommand` when they
 * take no environment) and keep `run()` to parse, call a service, print.
 */
import { Command, Errors, Flags } from '@oclif/core';
import type { Environment } from '../service/environments.js';
import { openEnvironment } from '../service/environments.js';
import { debugEnabled, describeError } from './errors.js';

export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    const described = describeError(error);
    for (const line of described.lines) process.stderr.write(`Error: ${line}\n`);
    if (debugEnabled() && error.stack) process.stderr.write(`${error.stack}\n`);
    // ExitError is not printed again by oclif's handler, only turned into the exit code.
    throw new Errors.ExitError(described.exitCode);
  }
}

/** `--env`, shared by every command that works on one environment. */
export const envFlag = {
  env: Flags.string({
    char: 'e',
    summary: 'Environment name (lowercase letters, digits, "-").',
    required: true,
    helpValue: 'NAME',
  }),
};

export const dagIdFlag = {
  'dag-id': Flags.string({ char: 'd', summary: 'The DAG id.', required: true, helpValue: 'DAG_ID' }),
};

export const runIdFlag = {
  'run-id': Flags.string({ char: 'r', summary: 'The DAG run id (see `runs list`).', required: true, helpValue: 'RUN_ID' }),
};

/** `--json`, for commands that print data. */
export const jsonFlag = {
  json: Flags.boolean({ summary: 'Print JSON (Airflow REST API field names) instead of a table.', default: false }),
};

export abstract class EnvCommand extends BaseCommand {
  private opened: Environment | undefined;

  /** Loads the environment's stored config and provider; unknown or invalid names fail with one line. */
  protected async environment(env: string): Promise<Environment> {
    this.opened ??= await openEnvironment(env);
    return this.opened;
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    const provider = this.opened?.provider as { close?: () => Promise<void> } | undefined;
    await provider?.close?.().catch(() => {});
    return super.finally(error);
  }
}
