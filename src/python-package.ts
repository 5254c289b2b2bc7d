/**
 * Where the Python side of the project lives (`python/`: the authoring package, the parse worker and the
 * task runner). Resolved from this module's own location, so it is the same folder whether the code runs
 * from `src/` (tests) or from the built `dist/` (both sit one level below the package root).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { executablesOnPath, isScript } from './worker/find-on-path.js';

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

let resolvedPython: string | undefined;

/**
 * The interpreter for the parse worker and the task runner: AIRFLOW_SERVERLESS_PYTHON, else `python3`
 * (see `resolvePython`), worked out once per process.
 */
export function pythonExecutable(): string {
  return process.env['AIRFLOW_SERVERLESS_PYTHON'] || (resolvedPython ??= resolvePython(process.env));
}

/**
 * `python3` as found on `env`'s PATH; but where that is a version manager's shim (a script: pyenv's costs
 * ~300 ms at every start, measured on our VMs, against ~30 ms for the interpreter), the interpreter the
 * shim picks here, asked once (`sys.executable`). So parsing and every task use the same interpreter (a
 * shim started from a task's temporary folder could pick another) without paying the shim per task.
 */
export function resolvePython(env: NodeJS.ProcessEnv): string {
  const found = executablesOnPath('python3', env['PATH'])[0];
  if (found === undefined || !isScript(found)) return 'python3';
  const asked = spawnSync(found, ['-c', 'import sys; print(sys.executable)'], { env, encoding: 'utf8', timeout: 30_000 });
  const executable = asked.status === 0 ? asked.stdout.trim() : '';
  return path.isAbsolute(executable) ? executable : 'python3';
}
