/**
 * Running the `modal` Python CLI: JS cannot define Modal Functions or schedules, so `create` deploys the
 * rendered launcher with `modal deploy`. The runner is injectable; tests put a fake `modal` executable on
 * PATH and keep the real subprocess plumbing.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { CLI_MISSING_MESSAGE, ModalCliMissingError, ModalDeployError } from './errors.js';

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

/** `modal --version`: proves the CLI is installed before anything is created. */
export async function checkModalCli(runner: CommandRunner, env: NodeJS.ProcessEnv): Promise<string> {
  let version = '';
  try {
    const { exitCode } = await runner('modal', ['--version'], { env, onOutput: (line) => (version ||= line.trim()) });
    if (exitCode !== 0) throw new ModalCliMissingError(CLI_MISSING_MESSAGE);
  } catch (error) {
    if (error instanceof ModalCliMissingError) throw error;
    if (isMissingProgram(error)) throw new ModalCliMissingError(CLI_MISSING_MESSAGE, { cause: error });
    throw error;
  }
  return version;
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
  const args = ['deploy', options.appFile, '--name', options.appName];
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
