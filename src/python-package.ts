/**
 * Where the Python side of the project lives (`python/`: the authoring package, the parse worker and the
 * task runner). Resolved from this module's own location, so it is the same folder whether the code runs
 * from `src/` (tests) or from the built `dist/` (both sit one level below the package root).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `python/`, without a trailing separator. */
export const PYTHON_PACKAGE_DIR = path.resolve(fileURLToPath(new URL('../python/', import.meta.url)));

/** `python3 <this>` runs one task (python/PROTOCOL.md, "Task runner"). */
export const TASK_RUNNER_PATH = path.join(PYTHON_PACKAGE_DIR, 'task_runner.py');

/** `python3 <this>` is the long-lived parse worker (python/PROTOCOL.md, "Parse worker"). */
export const PARSE_WORKER_PATH = path.join(PYTHON_PACKAGE_DIR, 'parse_worker.py');

/** The interpreter for the parse worker and the task runner: `python3`, or AIRFLOW_SERVERLESS_PYTHON. */
export function pythonExecutable(): string {
  return process.env['AIRFLOW_SERVERLESS_PYTHON'] || 'python3';
}
