/**
 * PythonOperator, BranchPythonOperator and ShortCircuitOperator: one `python3` process (own process group)
 * runs the runner from python-runner.ts, which imports the callable and calls it. Its return value comes
 * back through a result file; what the return means depends on the operator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PythonOperatorArgs, TaskSpec } from '../../dag/model.js';
import { DAGS_DIR, insideRoot } from '../../volume-layout.js';
import { taskBaseEnvironment } from '../../task-environment.js';
import { runProcessGroup } from '../process-group.js';
import { pythonIsoformat, parseInstant } from '../python-datetime.js';
import { renderTemplate } from '../templating.js';
import { dagFields, mergeParams, taskInstanceFields } from '../template-context.js';
import { INPUT_ENV, PYTHON_RUNNER_SOURCE, RESULT_ENV, type PythonRunnerInput, type PythonRunnerResult } from './python-runner.js';
import { interruptedOutcome, type OperatorContext, type OperatorOutcome } from './types.js';

export type PythonOperatorKind = Extract<TaskSpec['operator'], 'python' | 'branch_python' | 'short_circuit'>;

export interface RenderedPythonFields {
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;
  templates_dict: Record<string, unknown> | null;
}

export function renderPythonFields(args: PythonOperatorArgs, ctx: OperatorContext): RenderedPythonFields {
  const options = { native: ctx.payload.dag.render_template_as_native_obj };
  return {
    op_args: renderTemplate(args.op_args, ctx.templateContext, options) as unknown[],
    op_kwargs: renderTemplate(args.op_kwargs, ctx.templateContext, options) as Record<string, unknown>,
    templates_dict:
      args.templates_dict === null ? null : (renderTemplate(args.templates_dict, ctx.templateContext, options) as Record<string, unknown>),
  };
}

/** Dates print the same everywhere a callable sees them: pendulum's `2024-01-01T00:00:00+00:00`. */
const pythonDate = (iso: string | null): string | null => (iso === null ? null : pythonIsoformat(parseInstant(iso)));

/** The context as plain JSON for Python: dates as ISO strings, `dag_run` as a dict. */
function pythonContext(ctx: OperatorContext, rendered: RenderedPythonFields): Record<string, unknown> {
  const { payload, templateContext } = ctx;
  const plain = (value: unknown) => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown));
  const context: Record<string, unknown> = {
    run_id: payload.run.run_id,
    params: mergeParams(payload),
    templates_dict: rendered.templates_dict,
    dag: dagFields(payload),
    task: { task_id: payload.task.task_id, owner: payload.task.owner, operator: payload.task.operator_class },
    dag_run: {
      dag_id: payload.dag_id,
      ...payload.run,
      logical_date: pythonDate(payload.run.logical_date),
      data_interval_start: pythonDate(payload.run.data_interval_start),
      data_interval_end: pythonDate(payload.run.data_interval_end),
      run_after: pythonDate(payload.run.run_after),
      start_date: pythonDate(payload.run.start_date),
    },
    map_index: payload.map_index,
  };
  for (const name of ['ds', 'ds_nodash', 'ts', 'ts_nodash', 'ts_nodash_with_tz', 'task_instance_key_str', 'logical_date', 'data_interval_start', 'data_interval_end']) {
    if (name in templateContext) context[name] = plain(templateContext[name]);
  }
  return context;
}

/**
 * Relative to the volume's dags/. dag-factory manifests often carry the absolute path the file had on an
 * Airflow worker (`/usr/local/airflow/dags/etl/x.py`): when that path does not exist here, the part after
 * its last `/dags/` is taken relative to our dags/.
 */
function resolveCallableFile(args: PythonOperatorArgs, dagsDir: string): string | null {
  const file = args.python_callable_file;
  if (file === null) return null;
  if (path.isAbsolute(file) && fs.existsSync(file)) return file;
  const marker = file.lastIndexOf('/dags/');
  const relative = !path.isAbsolute(file) ? file : marker >= 0 ? file.slice(marker + '/dags/'.length) : file.replace(/^\/+/, '');
  // Validated at parse time to stay inside dags/; checked again here, as every path built from a payload is.
  const resolved = insideRoot(dagsDir, relative);
  if (resolved === undefined) throw new Error(`python_callable_file ${JSON.stringify(file)} is outside the dags folder`);
  return resolved;
}

function readResult(file: string): PythonRunnerResult | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PythonRunnerResult;
  } catch {
    return null;
  }
}

/** Python's falsy result of a ShortCircuitOperator skips downstream; truthy continues and is pushed. */
function interpret(kind: PythonOperatorKind, args: PythonOperatorArgs, result: Extract<PythonRunnerResult, { ok: true }>): OperatorOutcome {
  const outcome: OperatorOutcome = { status: 'SUCCESS', exit_code: 0 };
  const push = args.do_xcom_push && !result.is_none;
  if (kind === 'branch_python') {
    const value = result.value;
    const ids = value === null ? [] : typeof value === 'string' ? [value] : value;
    if (result.stringified || !Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
      return {
        status: 'FAILED',
        exit_code: 0,
        error: `Branch callable must return a task_id, a list of task_ids or None, got: ${JSON.stringify(value)}`.slice(0, 500),
      };
    }
    outcome.follow_task_ids = ids;
  } else if (kind === 'short_circuit' && !result.truthy) {
    outcome.short_circuit = args.ignore_downstream_trigger_rules ? 'all_downstream' : 'direct_downstream';
    return outcome;
  }
  if (push) outcome.returnValue = { value: result.value };
  return outcome;
}

export async function runPython(
  kind: PythonOperatorKind,
  args: PythonOperatorArgs,
  rendered: RenderedPythonFields,
  ctx: OperatorContext,
): Promise<OperatorOutcome> {
  const dagsDir = path.join(ctx.volumeRoot, DAGS_DIR);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflowtmp'));
  try {
    const runnerFile = path.join(workDir, 'airflow_serverless_runner.py');
    const inputFile = path.join(workDir, 'input.json');
    const resultFile = path.join(workDir, 'result.json');
    const { payload } = ctx;
    const input: PythonRunnerInput = {
      dags_dir: dagsDir,
      callable_file: resolveCallableFile(args, dagsDir),
      callable_name: args.python_callable_name,
      op_args: rendered.op_args,
      op_kwargs: rendered.op_kwargs,
      context: pythonContext(ctx, rendered),
      volume_root: ctx.volumeRoot,
      ti: taskInstanceFields(payload),
    };
    fs.writeFileSync(runnerFile, PYTHON_RUNNER_SOURCE);
    fs.writeFileSync(inputFile, JSON.stringify(input));

    const target = input.callable_file ? `${path.relative(dagsDir, input.callable_file)}:${args.python_callable_name}` : args.python_callable_name;
    ctx.log.line(`Calling ${target} with op_args=${JSON.stringify(rendered.op_args)} op_kwargs=${JSON.stringify(rendered.op_kwargs)}`);
    ctx.log.line('Output:');
    const result = await runProcessGroup({
      command: 'python3',
      args: [runnerFile],
      env: {
        // Never this process's secrets (on Modal it holds the token and the database URL).
        ...taskBaseEnvironment(),
        ...ctx.airflowContextEnv,
        PYTHONUNBUFFERED: '1',
        // Never write __pycache__ into the volume's dags/ folder.
        PYTHONDONTWRITEBYTECODE: '1',
        [INPUT_ENV]: inputFile,
        [RESULT_ENV]: resultFile,
      },
      cwd: workDir,
      outputFd: ctx.log.fd,
      timeoutSeconds: ctx.timeoutSeconds,
      abortSignal: ctx.abortSignal,
      onSpawn: ctx.onProcessGroup,
    });
    if (result.strayProcessesStopped) ctx.log.line('Background processes started by the callable outlived it and were stopped.');
    const interrupted = interruptedOutcome(result, ctx.timeoutSeconds);
    if (interrupted) return interrupted;

    const report = readResult(resultFile);
    if (report === null) {
      return { status: 'FAILED', exit_code: result.exitCode, error: `Python process exited with code ${result.exitCode} before reporting a result` };
    }
    if (!report.ok) {
      // Airflow's own exception names keep their meaning even without Airflow installed.
      if (report.exception === 'AirflowSkipException') return { status: 'SKIPPED', exit_code: result.exitCode, error: report.error };
      const noRetry = report.phase === 'import' || report.exception === 'AirflowFailException';
      return { status: 'FAILED', exit_code: result.exitCode, error: report.error, ...(noRetry ? { no_retry: true } : {}) };
    }
    return interpret(kind, args, report);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
