/**
 * The client of the Python task runner (python/task_runner.py, protocol in python/PROTOCOL.md): writes
 * the input file, runs the runner in the try's own process group under its timeout with the log as
 * stdout/stderr, and maps the result file onto an OperatorOutcome. Python DAG files' tasks and YAML
 * Python callables both run through it, so they see the same context objects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TaskPayload } from '../../executor/protocol.js';
import { TASK_RUNNER_PATH, pythonExecutable } from '../../python-package.js';
import { taskBaseEnvironment } from '../../task-environment.js';
import { DAGS_DIR } from '../../volume-layout.js';
import { runProcessGroup } from '../process-group.js';
import { newTemporaryCwd } from '../temporary-cwd.js';
import { dagFields, mergeParams, taskInstanceFields, type TaskInstanceFields } from '../template-context.js';
import { interruptedOutcome, type OperatorContext, type OperatorOutcome } from './types.js';

export const INPUT_ENV = 'AIRFLOW_SERVERLESS_TASK_INPUT';
export const RESULT_ENV = 'AIRFLOW_SERVERLESS_TASK_RESULT';

/** What a YAML Python operator hands the runner (mode "callable"); fields already rendered. */
export interface RunnerCallable {
  kind: 'python' | 'branch_python' | 'short_circuit';
  /** Absolute path of the callable's file, or null when `name` is a dotted `module.func`. */
  file: string | null;
  name: string;
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;
  templates_dict: Record<string, unknown> | null;
  do_xcom_push: boolean;
  ignore_downstream_trigger_rules: boolean;
}

/** The JSON the runner turns into Airflow's context objects (dates become pendulum DateTimes). */
export interface RunnerContext {
  params: Record<string, unknown>;
  dag_run: TaskPayload['run'] & { dag_id: string };
  dag: ReturnType<typeof dagFields> & { timezone: string };
  task: { task_id: string; owner: string; operator_class: string; retries: number; trigger_rule: string };
}

export type RunnerInput = {
  dags_dir: string;
  volume_root: string;
  ti: TaskInstanceFields;
  context: RunnerContext;
} & ({ mode: 'dag_file'; fileloc: string; dag_id: string; task_id: string } | { mode: 'callable'; callable: RunnerCallable });

export interface RunnerResult {
  status: 'success' | 'skipped' | 'failed';
  error?: string;
  no_retry?: boolean;
  return_value?: { value: unknown };
  follow_task_ids?: string[];
  short_circuit?: 'all_downstream' | 'direct_downstream';
}

export function runnerContext(payload: TaskPayload): RunnerContext {
  const { task } = payload;
  return {
    params: mergeParams(payload),
    dag_run: { dag_id: payload.dag_id, ...payload.run },
    dag: { ...dagFields(payload), timezone: payload.dag.timezone },
    task: { task_id: task.task_id, owner: task.owner, operator_class: task.operator_class, retries: task.retries, trigger_rule: task.trigger_rule },
  };
}

/** The fields every input shares. */
export function runnerBase(ctx: OperatorContext): Pick<RunnerInput, 'dags_dir' | 'volume_root' | 'ti' | 'context'> {
  return {
    dags_dir: path.join(ctx.volumeRoot, DAGS_DIR),
    volume_root: ctx.volumeRoot,
    ti: taskInstanceFields(ctx.payload),
    context: runnerContext(ctx.payload),
  };
}

function readResult(file: string): RunnerResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunnerResult;
  } catch {
    return null;
  }
}

/**
 * Compiled bytecode goes to one folder outside the volume: never a __pycache__ in dags/, and the
 * package and DAG files are not recompiled at every task start.
 */
export const PYCACHE_DIR = path.join(os.tmpdir(), 'airflow-serverless-pycache');

export function toOutcome(result: RunnerResult, exitCode: number): OperatorOutcome {
  if (result.status === 'skipped') return { status: 'SKIPPED', exit_code: exitCode, ...(result.error ? { error: result.error } : {}) };
  if (result.status === 'failed') {
    return { status: 'FAILED', exit_code: exitCode, error: result.error ?? 'the task failed', ...(result.no_retry ? { no_retry: true } : {}) };
  }
  const outcome: OperatorOutcome = { status: 'SUCCESS', exit_code: exitCode };
  if (result.return_value !== undefined) outcome.returnValue = { value: result.return_value.value };
  if (result.follow_task_ids) outcome.follow_task_ids = result.follow_task_ids;
  if (result.short_circuit) outcome.short_circuit = result.short_circuit;
  return outcome;
}

export async function runTaskRunner(input: RunnerInput, ctx: OperatorContext): Promise<OperatorOutcome> {
  // A folder of its own, never a kept one: the runner leaves its input and result files in it.
  const workDir = newTemporaryCwd();
  try {
    const inputFile = path.join(workDir, 'input.json');
    const resultFile = path.join(workDir, 'result.json');
    fs.writeFileSync(inputFile, JSON.stringify(input));
    const env: NodeJS.ProcessEnv = {
      // Never this process's secrets (the database URL's variable, the Modal token): task-environment.ts.
      // A BashOperator the runner starts inherits this environment, as Airflow's does its worker's.
      ...taskBaseEnvironment(),
      ...ctx.airflowContextEnv,
      PYTHONUNBUFFERED: '1',
      PYTHONPYCACHEPREFIX: PYCACHE_DIR,
      [INPUT_ENV]: inputFile,
      [RESULT_ENV]: resultFile,
    };
    // Bytecode goes to PYCACHE_DIR, never into the volume, so writing it is safe; without it every task
    // recompiles the package and the DAG file (measured: about 4x the start-up CPU).
    delete env['PYTHONDONTWRITEBYTECODE'];
    const result = await runProcessGroup({
      command: pythonExecutable(),
      args: [TASK_RUNNER_PATH],
      env,
      cwd: workDir,
      outputFd: ctx.log.fd,
      outputPath: ctx.log.path,
      timeoutSeconds: ctx.timeoutSeconds,
      abortSignal: ctx.abortSignal,
      // The group (the runner, and anything it starts, such as a BashOperator's bash) is
      // recorded for the tick, which ends a zombie's group before its retry.
      onSpawn: ctx.onProcessGroup,
    });
    if (result.strayProcessesStopped) ctx.log.line('Background processes started by the task outlived it and were stopped.');
    const interrupted = interruptedOutcome(result, ctx.timeoutSeconds);
    if (interrupted) return interrupted;
    const report = readResult(resultFile);
    if (report === null) {
      return { status: 'FAILED', exit_code: result.exitCode, error: `Python task runner exited with code ${result.exitCode} before reporting a result` };
    }
    return withNoLogicalDateHint(toOutcome(report, result.exitCode), ctx);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Context names Airflow 3 gives only to a run with a logical date (see worker/template-context.ts). */
const LOGICAL_DATE_NAMES = ['ds', 'ds_nodash', 'ts', 'ts_nodash', 'ts_nodash_with_tz', 'logical_date', 'data_interval_start', 'data_interval_end', 'task_instance_key_str'];

/**
 * Why `context['ds']` is a KeyError in a run without a logical date, said where the user reads it (the
 * try's error and its log): as in Airflow 3, such a run has no date names at all; the fix is a trigger
 * with a logical date.
 */
function withNoLogicalDateHint(outcome: OperatorOutcome, ctx: OperatorContext): OperatorOutcome {
  if (outcome.status !== 'FAILED' || ctx.payload.run.logical_date !== null || !outcome.error?.startsWith('KeyError')) return outcome;
  const name = LOGICAL_DATE_NAMES.find((n) => outcome.error?.includes(`'${n}'`));
  if (!name) return outcome;
  const hint = `this run has no logical date, so (as in Airflow 3) its context has no '${name}'; trigger it with a logical date (the default of \`dags trigger\` and the UI's trigger form)`;
  ctx.log.line(hint);
  return { ...outcome, error: `${outcome.error} (${hint})` };
}
