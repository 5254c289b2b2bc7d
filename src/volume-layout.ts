/**
 * Where things live on an environment's volume (DESIGN.md "volume"). Paths are relative to the volume
 * root and `/`-separated, so the same helpers serve a local folder and a Modal volume.
 * Log and XCom paths follow Airflow's default log template (`dag_id=…/run_id=…/task_id=…/attempt=N.log`).
 */
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

/** Run ids may hold characters unsafe in a path (`:` and `+` are fine on Linux, `/` is not). */
function segment(value: string): string {
  return value.replaceAll('/', '%2F');
}

export function logPath(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'try_number'>): string {
  const mapPart = id.map_index >= 0 ? `map_index=${id.map_index}/` : '';
  return `${LOGS_DIR}/dag_id=${segment(id.dag_id)}/run_id=${segment(id.run_id)}/task_id=${segment(id.task_id)}/${mapPart}attempt=${id.try_number}.log`;
}

export function xcomDir(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>): string {
  const mapPart = id.map_index >= 0 ? `/${id.map_index}` : '';
  return `${XCOM_DIR}/${segment(id.dag_id)}/${segment(id.run_id)}/${segment(id.task_id)}${mapPart}`;
}

/** One XCom value, JSON: `{"key", "value", "timestamp", ...identity}`. */
export function xcomPath(id: Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>, key: string): string {
  return `${xcomDir(id)}/${segment(key)}.json`;
}

export function dagFilePath(relative: string): string {
  return `${DAGS_DIR}/${relative}`;
}
