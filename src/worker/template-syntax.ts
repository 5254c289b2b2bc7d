/**
 * Jinja syntax check of a task's templated fields, for the upload path: a template that cannot even be
 * parsed fails every try, so `dags create|update` refuses it up front. Airflow only finds these when a
 * try renders; a manifest copied straight onto the volume still behaves that way here. Only the syntax is
 * checked (unknown names and filters are a matter of the run's context).
 */
import nunjucks from 'nunjucks';
import type { TaskSpec } from '../dag/model.js';
import { hasTemplateSyntax } from './templating.js';

const parserOnly = new nunjucks.Environment(null, { autoescape: false });

/** The parser's complaint about a template, or null when it parses. */
export function templateSyntaxError(template: string): string | null {
  if (!hasTemplateSyntax(template)) return null;
  try {
    // eagerCompile: parse now instead of at first render.
    new nunjucks.Template(template, parserOnly, undefined, true);
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/\(unknown path\)\s*/g, '').replace(/\s+/g, ' ').trim();
  }
}

function stringsIn(value: unknown, at: string, out: Array<[string, string]>): void {
  if (typeof value === 'string') out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((item, i) => stringsIn(item, `${at}[${i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) stringsIn(item, `${at}.${key}`, out);
  }
}

/** The templated fields Airflow renders for each operator, as (field path, template) pairs. */
function templatedStrings(task: TaskSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (task.operator === 'bash') {
    // A command ending in .sh/.bash names a template file, checked when it is loaded.
    if (!/\.(sh|bash)$/.test(task.args.bash_command.trim())) stringsIn(task.args.bash_command, 'bash_command', out);
    stringsIn(task.args.env, 'env', out);
    stringsIn(task.args.cwd, 'cwd', out);
  } else if (task.operator !== 'empty' && task.operator !== 'python_file') {
    // python_file tasks are rendered by the Python task runner (Jinja in Python), not here.
    stringsIn(task.args.op_args, 'op_args', out);
    stringsIn(task.args.op_kwargs, 'op_kwargs', out);
    stringsIn(task.args.templates_dict, 'templates_dict', out);
  }
  return out;
}

/** One message per templated field that does not parse: `task 'extract': bash_command: expected variable end`. */
export function templateSyntaxProblems(task: TaskSpec): string[] {
  const problems: string[] = [];
  for (const [field, template] of templatedStrings(task)) {
    const error = templateSyntaxError(template);
    if (error) problems.push(`task '${task.task_id}': ${field}: template syntax error: ${error}`);
  }
  return problems;
}
