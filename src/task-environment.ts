/**
 * What a task inherits from the process that runs it. A task's code (an operator's process) is the user's,
 * and the process above it holds the scheduler's secrets: the database URL's variable, Modal's token, and
 * whatever else the scheduler's shell exported. None of it may reach a task, which could print it into a
 * log that the API serves. So a task gets only:
 *   - what its task gives it (the operator's `env`) and Airflow's `AIRFLOW_CTX_*` (added by the worker);
 *   - the variables that locate and run programs on the host (listed here: PATH, HOME, locale, temp
 *     folders, time zone, the user, the Python environment in use);
 * and a local task process additionally what it needs to open its environment (AIRFLOW_SERVERLESS_HOME,
 * AIRFLOW_SERVERLESS_DEBUG), set by the spawner. Everything else is dropped, by name.
 */

/** Variables passed on by name. */
const INHERITED_NAMES: ReadonlySet<string> = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TERM',
  // The Python a task's `python3` resolves to: an activated virtualenv, a pyenv or conda selection.
  'VIRTUAL_ENV',
  'PYENV_VERSION',
  'CONDA_PREFIX',
]);

/** Locale categories (LC_ALL, LC_CTYPE, ...). */
const INHERITED_PREFIXES: readonly string[] = ['LC_'];

/** Whether a variable of the process running a task may reach the task. */
export function isInheritedByTasks(name: string): boolean {
  return INHERITED_NAMES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The part of `source` a task inherits (see the module comment). */
export function taskBaseEnvironment(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && isInheritedByTasks(name)) env[name] = value;
  }
  return env;
}
