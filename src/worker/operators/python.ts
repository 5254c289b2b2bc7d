/**
 * PythonOperator, BranchPythonOperator and ShortCircuitOperator of YAML manifests: the fields are
 * rendered here (nunjucks, like every YAML field), then the Python task runner calls the callable in
 * mode "callable", with the same context objects a Python DAG file's task gets.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PythonOperatorArgs, TaskSpec } from '../../dag/model.js';
import { CALLABLES_DIR, DAGS_DIR, insideRoot } from '../../volume-layout.js';
import { renderTemplate } from '../templating.js';
import { runTaskRunner, runnerBase } from './task-runner.js';
import type { OperatorContext, OperatorOutcome } from './types.js';

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

/**
 * A relative `python_callable_file` is the manifest's own copy (`dags/.callables/<manifest>/<file>`, see
 * service/dag-files.ts) when there is one, else the file under `dags/` (put on the volume by hand).
 * dag-factory manifests often carry the absolute path the file had on an Airflow worker
 * (`/usr/local/airflow/dags/etl/x.py`): when that path does not exist here, the part after its last
 * `/dags/` is taken relative to our dags/.
 */
function resolveCallableFile(args: PythonOperatorArgs, dagsDir: string, manifest: string): string | null {
  const file = args.python_callable_file;
  if (file === null) return null;
  if (path.isAbsolute(file) && fs.existsSync(file)) return file;
  if (!path.isAbsolute(file)) {
    // The manifest's own copy first; checked inside dags/ like every path built from a payload.
    const own = insideRoot(dagsDir, path.join(CALLABLES_DIR, manifest, file));
    if (own !== undefined && fs.existsSync(own)) return own;
  }
  const marker = file.lastIndexOf('/dags/');
  const relative = !path.isAbsolute(file) ? file : marker >= 0 ? file.slice(marker + '/dags/'.length) : file.replace(/^\/+/, '');
  // Validated at parse time to stay inside dags/; checked again here, as every path built from a payload is.
  const resolved = insideRoot(dagsDir, relative);
  if (resolved === undefined) throw new Error(`python_callable_file ${JSON.stringify(file)} is outside the dags folder`);
  return resolved;
}

export async function runPython(
  kind: PythonOperatorKind,
  args: PythonOperatorArgs,
  rendered: RenderedPythonFields,
  ctx: OperatorContext,
): Promise<OperatorOutcome> {
  const dagsDir = path.join(ctx.volumeRoot, DAGS_DIR);
  const file = resolveCallableFile(args, dagsDir, ctx.payload.dag.fileloc);
  const target = file ? `${path.relative(dagsDir, file)}:${args.python_callable_name}` : args.python_callable_name;
  ctx.log.line(`Calling ${target} with op_args=${JSON.stringify(rendered.op_args)} op_kwargs=${JSON.stringify(rendered.op_kwargs)}`);
  return runTaskRunner(
    {
      ...runnerBase(ctx),
      mode: 'callable',
      callable: {
        kind,
        file,
        name: args.python_callable_name,
        ...rendered,
        do_xcom_push: args.do_xcom_push,
        ignore_downstream_trigger_rules: args.ignore_downstream_trigger_rules,
      },
    },
    ctx,
  );
}
