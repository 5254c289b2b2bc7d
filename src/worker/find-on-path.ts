/** Finds programs on this process's PATH (not an operator's: a replaced `env` may have none). */
import fs from 'node:fs';
import path from 'node:path';

/** Every executable `name` on PATH, in PATH order. */
export function executablesOnPath(name: string): string[] {
  const found: string[] = [];
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      found.push(candidate);
    } catch {
      // not here
    }
  }
  return found;
}

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string): string | null {
  return executablesOnPath(name)[0] ?? null;
}
