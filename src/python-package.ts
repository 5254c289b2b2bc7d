/**
 * Where the Python side of the project lives (`python/`: the authoring package, the parse worker and the
 * task runner). Resolved from this module's own location, so it is the same folder whether the code runs
 * from `src/` (tests) or from the built `dist/` (both sit one level below the package root).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of `python/`, without a trailing separator. A CommonJS bundle of this module (the tests
 * bundle the tick into one file so) has no `import.meta.url`; it runs from the package root, where
 * `python/` is.
 */
export const PYTHON_PACKAGE_DIR = locatePythonPackage();

function locatePythonPackage(): string {
  // Typed as a string, but undefined in a CommonJS bundle. Written as `import.meta.url` so the CLI bundle's
  // rewrite (scripts/build-cli.mjs) still points it at this module's place in dist/.
  const here = import.meta.url as string | undefined;
  return here ? path.resolve(fileURLToPath(new URL('../python/', here))) : path.resolve('python');
}

/** `python3 <this>` runs one task (python/PROTOCOL.md, "Task runner"). */
export const TASK_RUNNER_PATH = path.join(PYTHON_PACKAGE_DIR, 'task_runner.py');

/** `python3 <this>` is the long-lived parse worker (python/PROTOCOL.md, "Parse worker"). */
export const PARSE_WORKER_PATH = path.join(PYTHON_PACKAGE_DIR, 'parse_worker.py');

/** The interpreter for the parse worker and the task runner: `python3`, or AIRFLOW_SERVERLESS_PYTHON. */
export function pythonExecutable(): string {
  return process.env['AIRFLOW_SERVERLESS_PYTHON'] || 'python3';
}
