/** Finds programs on this process's PATH (not an operator's: a replaced `env` may have none). */
import fs from 'node:fs';
import path from 'node:path';

/** Every executable `name` on PATH (this process's, or the one given), in PATH order. */
export function executablesOnPath(name: string, pathVariable: string | undefined = process.env['PATH']): string[] {
  const found: string[] = [];
  for (const dir of (pathVariable ?? '').split(path.delimiter).filter(Boolean)) {
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

/** Whether `file` is a script (`#!`): a version manager's shim rather than the program itself. */
export function isScript(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(2);
    fs.readSync(fd, head, 0, 2, 0);
    return head.toString('latin1') === '#!';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The first python3 on PATH that is the interpreter itself, not a version manager's shell-script shim
 * (pyenv's costs ~300 ms a start on our VMs, the interpreter ~30 ms); null when there is none.
 */
export function findPythonInterpreter(): string | null {
  return executablesOnPath('python3').find((candidate) => !isScript(candidate)) ?? null;
}
