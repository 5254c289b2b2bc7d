/**
 * Running the `modal` Python CLI: JS cannot define Modal Functions or schedules, so `create` deploys the
 * rendered launcher with `modal deploy`. The runner is injectable; tests put a fake `modal` executable on
 * PATH and keep the real subprocess plumbing.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { CLI_MISSING_MESSAGE, ModalCliMissingError, ModalCliVersionError, ModalDeployError } from './errors.js';

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line of stdout and stderr, as it arrives. */
  onOutput?: (line: string) => void;
}

/** Runs a program to completion; rejects with ENOENT-coded errors when the program does not exist. */
export type CommandRunner = (command: string, args: readonly string[], options: CommandOptions) => Promise<{ exitCode: number }>;

export const runCommand: CommandRunner = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => options.onOutput?.(line));
    }
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 1) }));
  });

function isMissingProgram(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * The oldest `modal` CLI a deploy works with: the JS SDK calls only functions deployed by Modal >= 1.2
 * (CBOR inputs), and `modal deploy --strategy recreate` exists from 1.4.0 (py/CHANGELOG.md of
 * modal-labs/modal-client). Modal >= 1.3 itself needs Python >= 3.10.
 */
export const MIN_MODAL_CLI_VERSION: readonly [number, number, number] = [1, 4, 0];

/** `modal client version: 1.4.2` (or a bare `1.4.2`) -> [1, 4, 2]; undefined when unreadable. */
export function parseModalVersion(output: string): [number, number, number] | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    if ((version[i] ?? 0) !== minimum[i]) return (version[i] ?? 0) > minimum[i]!;
  }
  return true;
}

/**
 * `modal --version`: proves the CLI is installed and new enough before anything is created. An old CLI
 * would deploy an app (with its schedule) that the JS SDK then refuses to call.
 */
export async function checkModalCli(runner: CommandRunner, env: NodeJS.ProcessEnv): Promise<string> {
  let output = '';
  try {
    const { exitCode } = await runner('modal', ['--version'], { env, onOutput: (line) => (output ||= line.trim()) });
    if (exitCode !== 0) throw new ModalCliMissingError(CLI_MISSING_MESSAGE);
  } catch (error) {
    if (error instanceof ModalCliMissingError) throw error;
    if (isMissingProgram(error)) throw new ModalCliMissingError(CLI_MISSING_MESSAGE, { cause: error });
    throw error;
  }
  const version = parseModalVersion(output);
  const minimum = MIN_MODAL_CLI_VERSION.join('.');
  if (!version || !atLeast(version, MIN_MODAL_CLI_VERSION)) {
    const found = version ? `is version ${version.join('.')}` : `printed an unreadable version (${JSON.stringify(output)})`;
    throw new ModalCliVersionError(
      `the modal CLI ${found}; airflow-serverless needs ${minimum} or newer: run \`pip install -U "modal>=${minimum}"\` (Modal needs Python 3.10 or newer)`,
    );
  }
  return version.join('.');
}

export interface DeployOptions {
  appFile: string;
  appName: string;
  /** The Modal environment; omitted means the profile's or the workspace default. */
  environment: string | null;
  cwd: string;
  env: NodeJS.ProcessEnv;
  onOutput: (line: string) => void;
}

export async function modalDeploy(runner: CommandRunner, options: DeployOptions): Promise<void> {
  // `recreate` stops the old version's containers when the deploy completes: otherwise warm containers keep
  // running the old runtime for a while (rolling), and a tick or task of the old code could meet data or
  // payloads of the new one. The price: tries running at that moment are cut off (the tick sees them as
  // zombies and retries them), and an open `ui` session ends.
  const args = ['deploy', options.appFile, '--name', options.appName, '--strategy', 'recreate'];
  if (options.environment) args.push('-e', options.environment);
  let exitCode: number;
  try {
    ({ exitCode } = await runner('modal', args, { cwd: options.cwd, env: options.env, onOutput: options.onOutput }));
  } catch (error) {
    if (isMissingProgram(error)) throw new ModalCliMissingError(CLI_MISSING_MESSAGE, { cause: error });
    throw error;
  }
  if (exitCode !== 0) throw new ModalDeployError(`modal deploy failed (exit code ${exitCode}); its output is above`);
}
