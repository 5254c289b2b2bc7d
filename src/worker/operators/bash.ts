/**
 * BashOperator: `bash -c <command>` in its own process group, output merged into the log, the last output
 * line pushed as XCom, exit codes mapped as Airflow does (0 success, `skip_on_exit_code` skipped, else failed).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BashOperatorArgs } from '../../dag/model.js';
import { taskBaseEnvironment } from '../../task-environment.js';
import { DAGS_DIR } from '../../volume-layout.js';
import { runProcessGroup } from '../process-group.js';
import { giveBackTemporaryCwd, takeTemporaryCwd } from '../temporary-cwd.js';
import { pyStr } from '../python-str.js';
import { TemplateRenderError, hasTemplateSyntax, renderTemplate } from '../templating.js';
import { interruptedOutcome, type OperatorContext, type OperatorOutcome } from './types.js';

export interface RenderedBashFields {
  bash_command: string;
  env: Record<string, string> | null;
  cwd: string | null;
}

const SCRIPT_EXTENSIONS = ['.sh', '.bash'];

/**
 * Airflow treats a `bash_command` ending in `.sh`/`.bash` as a template file, looked up next to the DAG
 * file (a trailing space opts out). Returns the file's text, or throws like Jinja's TemplateNotFound.
 */
function loadScriptTemplate(command: string, ctx: OperatorContext): string | null {
  if (!SCRIPT_EXTENSIONS.some((ext) => command.endsWith(ext))) return null;
  const dagsDir = path.join(ctx.volumeRoot, DAGS_DIR);
  const candidates = path.isAbsolute(command)
    ? [command]
    : [path.join(dagsDir, path.dirname(ctx.payload.dag.fileloc), command), path.join(dagsDir, command)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return fs.readFileSync(candidate, 'utf8');
  }
  throw new TemplateRenderError(
    `Template file not found: '${command}' (looked next to the DAG file and in dags/; add a trailing space to run it as a command)`,
  );
}

export function renderBashFields(args: BashOperatorArgs, ctx: OperatorContext): RenderedBashFields {
  const template = loadScriptTemplate(args.bash_command, ctx) ?? args.bash_command;
  // The context is only built when a field is a template (most `bash_command`s are plain text).
  const render = (value: string) => (hasTemplateSyntax(value) ? pyStr(renderTemplate(value, ctx.templateContext)) : value);
  let env: Record<string, string> | null = null;
  if (args.env !== null) {
    env = {};
    for (const [name, value] of Object.entries(args.env)) env[name] = render(String(value));
  }
  return { bash_command: render(template), env, cwd: args.cwd === null ? null : render(args.cwd) };
}

let bashPath: string | undefined;

/** Found on our own PATH, because a replaced `env` may not have one. */
function findBash(): string {
  if (bashPath !== undefined) return bashPath;
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'bash');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return (bashPath = candidate);
    } catch {
      // not here
    }
  }
  return (bashPath = 'bash');
}

/**
 * Airflow's env rules: null inherits, a mapping replaces unless append_env; AIRFLOW_CTX_* always added.
 * What is inherited is only the task's share of this process's environment (task-environment.ts): on Modal
 * this process holds the token and the database URL.
 */
export function bashEnvironment(args: BashOperatorArgs, rendered: RenderedBashFields, ctx: OperatorContext): NodeJS.ProcessEnv {
  const inherited = taskBaseEnvironment();
  const base = rendered.env === null ? inherited : args.append_env ? { ...inherited, ...rendered.env } : rendered.env;
  return { ...base, ...ctx.airflowContextEnv };
}

function failure(error: string, exitCode: number | null = null): OperatorOutcome {
  return { status: 'FAILED', exit_code: exitCode, error };
}

export async function runBash(args: BashOperatorArgs, rendered: RenderedBashFields, ctx: OperatorContext): Promise<OperatorOutcome> {
  let cwd: string;
  let temporaryCwd: string | null = null;
  if (rendered.cwd !== null && rendered.cwd !== '') {
    cwd = path.resolve(ctx.volumeRoot, DAGS_DIR, rendered.cwd);
    if (!fs.existsSync(cwd)) return failure(`Can not find the cwd: ${rendered.cwd}`);
    if (!fs.statSync(cwd).isDirectory()) return failure(`The cwd ${rendered.cwd} must be a directory`);
  } else {
    temporaryCwd = cwd = takeTemporaryCwd();
  }

  try {
    ctx.log.line(`Running command: ['${findBash()}', '-c', ${JSON.stringify(rendered.bash_command)}]`);
    ctx.log.line('Output:');
    const outputStart = ctx.log.offset();
    const result = await runProcessGroup({
      command: findBash(),
      args: ['-c', rendered.bash_command],
      env: bashEnvironment(args, rendered, ctx),
      cwd,
      outputFd: ctx.log.fd,
      outputPath: ctx.log.path,
      timeoutSeconds: ctx.timeoutSeconds,
      abortSignal: ctx.abortSignal,
      onSpawn: ctx.onProcessGroup,
    });
    const outputEnd = ctx.log.offset();
    if (result.strayProcessesStopped) ctx.log.line('Background processes started by the command outlived it and were stopped.');
    ctx.log.line(`Command exited with return code ${result.exitCode}`);

    const interrupted = interruptedOutcome(result, ctx.timeoutSeconds);
    if (interrupted) return interrupted;
    if (args.skip_on_exit_code.includes(result.exitCode)) {
      return { status: 'SKIPPED', exit_code: result.exitCode, error: `Bash command returned exit code ${result.exitCode}. Skipping.` };
    }
    if (result.exitCode !== 0) {
      return failure(`Bash command failed. The command returned a non-zero exit code ${result.exitCode}.`, result.exitCode);
    }
    const outcome: OperatorOutcome = { status: 'SUCCESS', exit_code: 0 };
    if (args.do_xcom_push) outcome.returnValue = { value: ctx.log.lastLineBetween(outputStart, outputEnd) };
    return outcome;
  } finally {
    // Private to this try, so nobody waits for it to go: after the report.
    if (temporaryCwd) {
      const dir = temporaryCwd;
      ctx.afterReport(() => giveBackTemporaryCwd(dir));
    }
  }
}
