/**
 * XCom on the volume: one JSON file per (dag_id, run_id, task_id, map_index, key), at `xcomPath(...)`.
 * Reads are synchronous because templates call `ti.xcom_pull(...)` from inside a synchronous render.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskIdentity } from '../executor/protocol.js';
import { resolveInside, xcomDir, xcomPath } from '../volume-layout.js';

export const XCOM_RETURN_KEY = 'return_value';

export type XcomSource = Pick<TaskIdentity, 'dag_id' | 'run_id' | 'task_id' | 'map_index'>;

/** The file's content. */
export interface XcomEntry extends XcomSource {
  key: string;
  value: unknown;
  timestamp: string;
}

/** Returns the stored entry, or undefined when there is none (a stored `null` is a value). */
export type XcomReader = (source: XcomSource, key: string) => XcomEntry | undefined;

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
  return (source, key) => readXcom(volumeRoot, source, key);
}

/** Written to a temporary name and renamed, so a reader never sees half a file. */
export function writeXcom(volumeRoot: string, id: XcomSource, key: string, value: unknown, timestamp: Date): XcomEntry {
  const entry: XcomEntry = {
    dag_id: id.dag_id,
    run_id: id.run_id,
    task_id: id.task_id,
    map_index: id.map_index,
    key,
    value,
    timestamp: timestamp.toISOString(),
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
