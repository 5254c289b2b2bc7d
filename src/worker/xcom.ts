/**
 * XCom on the volume: one JSON file per (dag_id, run_id, task_id, map_index, key), at `xcomPath(...)`.
 * Reads are synchronous because templates call `ti.xcom_pull(...)` from inside a synchronous render.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskIdentity } from '../executor/protocol.js';
import { idOfPathSegment, pathSegment, resolveInside, XCOM_DIR, xcomDir, xcomPath } from '../volume-layout.js';

export const XCOM_RETURN_KEY = 'return_value';

export type XcomSource = Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>;

/** The file's content. */
export interface XcomEntry extends XcomSource {
  key: string;
  value: unknown;
  timestamp: string;
  /** The run's logical date (ISO), for `xcom_pull(include_prior_dates=True)`; absent in older files and for runs without one. */
  logical_date?: string;
}

/**
 * Returns the stored entry, or undefined when there is none (a stored `null` is a value). `runsOf`, when
 * present, lists the run ids that hold XComs of a DAG (for `include_prior_dates`).
 */
export type XcomReader = ((source: XcomSource, key: string) => XcomEntry | undefined) & { runsOf?: (dagId: string) => string[] };

export function readXcom(volumeRoot: string, id: XcomSource, key: string): XcomEntry | undefined {
  let text: string;
  try {
    text = fs.readFileSync(resolveInside(volumeRoot, xcomPath(id, key)), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as XcomEntry;
}

export function volumeXcomReader(volumeRoot: string): XcomReader {
  const reader: XcomReader = (source, key) => readXcom(volumeRoot, source, key);
  reader.runsOf = (dagId) => {
    try {
      return fs.readdirSync(resolveInside(volumeRoot, `${XCOM_DIR}/${pathSegment(dagId)}`)).map(idOfPathSegment);
    } catch {
      return [];
    }
  };
  return reader;
}

/**
 * Airflow's `include_prior_dates=True`: among the task's entries in every run of the DAG whose logical
 * date is at or before `logicalDate`, the one with the latest logical date (the Python runtime's rule).
 * Entries without a logical date count only for their own run.
 */
export function latestPriorXcom(reader: XcomReader, source: XcomSource, key: string, logicalDate: string | null): XcomEntry | undefined {
  const own = reader(source, key);
  if (logicalDate === null || !reader.runsOf) return own;
  const limit = Date.parse(logicalDate);
  let best = own;
  let bestTime = own === undefined ? -Infinity : limit;
  for (const runId of reader.runsOf(source.dag_id)) {
    if (runId === source.run_id) continue;
    const entry = reader({ ...source, run_id: runId }, key);
    const time = entry?.logical_date === undefined ? NaN : Date.parse(entry.logical_date);
    if (entry === undefined || Number.isNaN(time) || time > limit || time <= bestTime) continue;
    best = entry;
    bestTime = time;
  }
  return best;
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeXcom(volumeRoot: string, id: XcomSource, key: string, value: unknown, timestamp: Date, logicalDate: string | null = null): XcomEntry {
  const entry: XcomEntry = {
    dag_id: id.dag_id,
    run_id: id.run_id,
    task_id: id.task_id,
    map_index: id.map_index,
    key,
    value,
    timestamp: timestamp.toISOString(),
    ...(logicalDate !== null ? { logical_date: logicalDate } : {}),
  };
  const target = resolveInside(volumeRoot, xcomPath(id, key));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(entry));
  fs.renameSync(temporary, target);
  return entry;
}

/** Airflow clears a task instance's XComs when it runs again; mapped children (subfolders) are not ours. */
export function clearXcoms(volumeRoot: string, id: XcomSource): number {
  const dir = resolveInside(volumeRoot, xcomDir(id));
  let names: fs.Dirent[];
  try {
    names = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const entry of names) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    fs.rmSync(path.join(dir, entry.name), { force: true });
    removed++;
  }
  return removed;
}
