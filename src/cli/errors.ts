/**
 * The one place errors become what a user sees: one line per problem on stderr and an exit code. Stack
 * traces only with AIRFLOW_SERVERLESS_DEBUG=1 (or DEBUG set), never for a mistake the user can fix.
 */
// The error classes' own modules, not the config/dag barrels: every command imports this file, and the
// barrels bring the manifest parser and its packages with them.
import { ConfigError } from '../config/errors.js';
import { ManifestError } from '../dag/errors.js';

export const EXIT = {
  /** Something went wrong (bad input, unknown name, failed operation). */
  failure: 1,
  /** The command line itself was wrong (missing or unknown flag). */
  usage: 2,
  /** `scheduler --until-idle --timeout` ran out of time before the environment went idle. */
  timeout: 3,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const;

/** A change that needs a yes, asked where nobody can answer (no terminal) and without `--yes`: a usage error (exit 2). */
export class ConfirmationRequiredError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'ConfirmationRequiredError';
  }
}

export interface DescribedError {
  lines: string[];
  exitCode: number;
}

function isOclifParseError(error: unknown): boolean {
  const oclif = (error as { oclif?: { exit?: number } }).oclif;
  return oclif !== undefined && typeof oclif.exit === 'number';
}

/** A command used in a way it refuses (e.g. a destructive one without a terminal to confirm): exit 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof CliUsageError) return { lines: [error.message], exitCode: EXIT.usage };
  if (error instanceof ManifestError || error instanceof ConfigError) {
    return { lines: error.message.split('\n').filter(Boolean), exitCode: EXIT.failure };
  }
  if (error instanceof ConfirmationRequiredError) return { lines: [error.message], exitCode: error.exitCode };
  if (error instanceof Error) {
    const firstLine = error.message.split('\n')[0]?.trim() || error.name;
    if (isOclifParseError(error)) {
      const exit = (error as unknown as { oclif: { exit: number } }).oclif.exit;
      // oclif wraps flag errors in a header and a help hint; keep only the problem itself.
      const problems = error.message
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !/^The following errors? occurred:?$/i.test(line) && !/^See more help with/i.test(line));
      return { lines: [problems.join('; ') || firstLine], exitCode: exit === 1 ? EXIT.failure : EXIT.usage };
    }
    const message = error.message.trim() || error.name;
    return { lines: message.split('\n').filter(Boolean), exitCode: EXIT.failure };
  }
  return { lines: [String(error)], exitCode: EXIT.failure };
}

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AIRFLOW_SERVERLESS_DEBUG === '1' || Boolean(env.DEBUG);
}
