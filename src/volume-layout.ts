/**
 * Where things live on an environment's volume (DESIGN.md "volume"). Paths are relative to the volume
 * root and `/`-separated, so the same helpers serve a local folder and a Modal volume.
 * Log and XCom paths follow Airflow's default log template (`dag_id=…/run_id=…/task_id=…/attempt=N.log`).
 */
import path from 'node:path';
import type { TaskIdentity } from './executor/protocol.js';

export const DAGS_DIR = 'dags';
/**
 * Under `dags/`: one folder per manifest (`.callables/<manifest fileloc>/`) holding the Python callable and
 * helper files uploaded with it, so two manifests' `callables/x.py` never overwrite each other. Hidden, so
 * no DAG-folder walk reads it as DAG files.
 */
export const CALLABLES_DIR = '.callables';
export const DATABASE_FILE = 'data/airflow.db';
export const LOGS_DIR = 'logs';
export const XCOM_DIR = 'xcom';

/**
 * One id (DAG, run, task, XCom key) as exactly one path segment, whatever the id: every path built from an
 * id goes through here. `:` and `+` are fine on Linux; `/` and NUL are encoded, and a segment that would
 * be empty, `.` or `..` (a folder, or its parent) has its dots encoded. Python's runner mirrors this rule.
 */
export function pathSegment(value: string): string {
  // `%` first, so an id that already holds `%2F` never shares a folder with one holding `/`.
  const encoded = value.replaceAll('%', '%25').replaceAll('/', '%2F').replaceAll('\0', '%00');
  if (encoded === '') return '%00';
  return encoded === '.' || encoded === '..' ? encoded.replaceAll('.', '%2E') : encoded;
}

/**
 * The id a folder named by `pathSegment` stands for, for listings (the runs that hold a DAG's XComs):
 * `pathSegment(idOfPathSegment(name)) === name` for every name `pathSegment` produces, so a listed folder
 * is found again from its id. One pass, so a decoded `%25` never starts another escape.
 */
export function idOfPathSegment(segment: string): string {
  if (segment === '%2E' || segment === '%2E%2E') return segment.replaceAll('%2E', '.');
  return segment.replace(/%(25|2F|00)/g, (_, code: string) => (code === '25' ? '%' : code === '2F' ? '/' : '\0'));
}

/**
 * `relative` resolved under `root`, or undefined when it would leave it. The last guard of every reader and
 * writer of volume files named by ids or by request URLs (the builders above never produce such a path).
 */
export function insideRoot(root: string, relative: string): string | undefined {
  const base = path.resolve(root);
  const resolved = path.resolve(base, relative);
  return resolved === base || resolved.startsWith(base + path.sep) ? resolved : undefined;
}

/** `insideRoot`, throwing: for writers, where a path outside is a bug to stop on, never a file to touch. */
export function resolveInside(root: string, relative: string): string {
  const resolved = insideRoot(root, relative);
  if (resolved === undefined) throw new Error(`refusing a path outside ${root}: ${JSON.stringify(relative)}`);
  return resolved;
}

export function logPath(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'try_number'>): string {
  const mapPart = id.map_index >= 0 ? `map_index=${id.map_index}/` : '';
  return `${LOGS_DIR}/dag_id=${pathSegment(id.dag_id)}/run_id=${pathSegment(id.run_id)}/task_id=${pathSegment(id.task_id)}/${mapPart}attempt=${id.try_number}.log`;
}

/** Every log of one run (`db clean` removes it with the run). */
export function runLogDir(id: Pick<TaskIdentity, 'dag_id' | 'run_id'>): string {
  return `${LOGS_DIR}/dag_id=${pathSegment(id.dag_id)}/run_id=${pathSegment(id.run_id)}`;
}

/** Every log of one task instance (all its tries). */
export function taskLogDir(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>): string {
  const mapPart = id.map_index >= 0 ? `/map_index=${id.map_index}` : '';
  return `${runLogDir(id)}/task_id=${pathSegment(id.task_id)}${mapPart}`;
}

/** Every XCom of one run. */
export function runXcomDir(id: Pick<TaskIdentity, 'dag_id' | 'run_id'>): string {
  return `${XCOM_DIR}/${pathSegment(id.dag_id)}/${pathSegment(id.run_id)}`;
}

export function xcomDir(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>): string {
  const mapPart = id.map_index >= 0 ? `/${id.map_index}` : '';
  return `${XCOM_DIR}/${pathSegment(id.dag_id)}/${pathSegment(id.run_id)}/${pathSegment(id.task_id)}${mapPart}`;
}

/** One XCom value, JSON: `{"key", "value", "timestamp", ...identity}`. */
export function xcomPath(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>, key: string): string {
  return `${xcomDir(id)}/${pathSegment(key)}.json`;
}

/** A file under dags/, named relative to it (manifests and callable files are validated to be so). */
export function dagFilePath(relative: string): string {
  const normalised = path.posix.normalize(relative);
  if (path.posix.isAbsolute(normalised) || normalised === '.' || normalised === '..' || normalised.startsWith('../')) {
    throw new Error(`refusing a dags/ path outside dags/: ${JSON.stringify(relative)}`);
  }
  return `${DAGS_DIR}/${normalised}`;
}
