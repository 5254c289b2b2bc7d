/**
 * A task of a Python DAG file (`operator: 'python_file'`): the Python task runner imports the DAG file,
 * finds the task object, renders its template fields in Python (Jinja) and calls its execute.
 */
import { runTaskRunner, runnerBase } from './task-runner.js';
import type { OperatorContext, OperatorOutcome } from './types.js';

export async function runPythonFile(ctx: OperatorContext): Promise<OperatorOutcome> {
  const { payload } = ctx;
  const kind = payload.task.operator === 'python_file' ? payload.task.args.kind : 'custom';
  ctx.log.line(`Running ${payload.task.task_id} (${kind}) from ${payload.dag.fileloc} with the Python task runner`);
  return runTaskRunner(
    { ...runnerBase(ctx), mode: 'dag_file', fileloc: payload.dag.fileloc, dag_id: payload.dag_id, task_id: payload.task_id },
    ctx,
  );
}
