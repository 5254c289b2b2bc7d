/**
 * Checks of a parsed manifest that go beyond its schema, run by `dags create|update` before upload and by
 * the tick at parse time, so the two always agree on what is a bad manifest: it declares no DAG, a
 * template cannot even be parsed (every try would fail), or a python_callable_file is missing.
 */
import type { ManifestProblem } from '../dag/errors.js';
import type { DagSpec } from '../dag/model.js';
import { templateSyntaxProblems } from '../worker/template-syntax.js';

export interface CallableLookup {
  /** Whether the file exists, named relative to dags/. */
  exists(file: string): boolean;
  /** Where it was looked for, for the message (`next to the manifest`, `in dags/`). */
  where(file: string): string;
}

/** Relative python_callable_files the manifest names, sorted and once each. */
export function callableFiles(specs: readonly DagSpec[]): string[] {
  const files = new Set<string>();
  for (const spec of specs) {
    for (const task of spec.tasks) {
      if (task.operator === 'bash' || task.operator === 'empty' || task.operator === 'python_file') continue;
      const file = task.args.python_callable_file;
      if (file && !file.startsWith('/')) files.add(file);
    }
  }
  return [...files].sort();
}

export function manifestLoadProblems(specs: readonly DagSpec[], callables: CallableLookup): ManifestProblem[] {
  if (specs.length === 0) return [{ line: null, message: 'the manifest declares no DAG' }];
  const problems: ManifestProblem[] = specs.flatMap((spec) =>
    spec.tasks.flatMap((task) => templateSyntaxProblems(task).map((message) => ({ line: null, message: `dag '${spec.dag_id}': ${message}` }))),
  );
  for (const file of callableFiles(specs)) {
    if (!callables.exists(file)) problems.push({ line: null, message: `python_callable_file ${file} not found (looked ${callables.where(file)})` });
  }
  return problems;
}
