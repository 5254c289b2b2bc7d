/**
 * Files of the local environment that would otherwise grow without bound: payload files a task process
 * never read (it was killed before it started) and `task-processes.log`, which every task process appends
 * its stderr to. The spawner calls this now and then (see LocalTaskSpawner).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A payload is read within moments of its spawn; one this old belongs to a process that never started. */
export const STALE_PAYLOAD_MS = 60 * 60 * 1000;
/** `task-processes.log` is rotated to `task-processes.log.1` (the previous .1 is dropped) past this size. */
export const PROCESS_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** Deletes payload files older than `maxAgeMs`; returns how many. */
export function pruneStalePayloads(payloadDir: string, now: number = Date.now(), maxAgeMs: number = STALE_PAYLOAD_MS): number {
  let names: string[];
  try {
    names = fs.readdirSync(payloadDir);
  } catch {
    return 0; // no payload written yet
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(payloadDir, name);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat && now - stat.mtimeMs > maxAgeMs) {
      fs.rmSync(file, { force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Renames the log to `<file>.1` once it is past `maxBytes`. Processes still appending keep writing to the
 * renamed file (same inode); new ones open a fresh log. Returns true when it rotated.
 */
export function rotateProcessLog(file: string, maxBytes: number = PROCESS_LOG_MAX_BYTES): boolean {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat || stat.size <= maxBytes) return false;
  try {
    fs.renameSync(file, `${file}.1`);
    return true;
  } catch {
    return false; // another spawner rotated it first
  }
}
