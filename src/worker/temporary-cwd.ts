/**
 * The private, empty working folder a BashOperator try runs in when it names no `cwd` (Airflow runs the
 * command in a fresh `TemporaryDirectory(prefix='airflowtmp')`).
 *
 * A process that runs many tries (a warm worker) keeps the folder a try left empty and gives it to its next
 * try, instead of removing it and making a new one. On ext4 without a journal and with `discard` (the
 * project's VMs), removing a folder frees its block with a synchronous discard: the worker waited for a
 * device round trip per try (seen with `perf`: one `blkdev_issue_discard` wait per try), and two workers
 * creating and removing folders in /tmp contended for its directory lock. A kept folder is handed out only
 * after checking it is still what mkdtemp made: a directory of ours, mode 0700, with nothing in it.
 * Anything else (a try that wrote files there, changed its mode, or replaced it) is removed and a new one
 * made, so a try never sees what an earlier one left.
 *
 * Only a process that promises to come back for them keeps folders (`keepTemporaryCwds`); it removes them
 * when it exits. Elsewhere a folder is removed as soon as its try is done, as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'airflowtmp';
const PRIVATE_MODE = 0o700;

let keeping = false;
const kept: string[] = [];
let tmpdir: string | undefined;

/** os.tmpdir() reads three variables through a guarded getenv (five syscalls each): once is enough. */
function temporaryRoot(): string {
  return (tmpdir ??= os.tmpdir());
}

let exitHookInstalled = false;

/**
 * From now on, folders given back are kept for later tries of this process, and removed when it exits
 * (`false`, for tests: removed when given back again, as by default).
 */
export function keepTemporaryCwds(enabled = true): void {
  keeping = enabled;
  if (enabled && !exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', removeKeptTemporaryCwds);
  }
  if (!enabled) removeKeptTemporaryCwds();
}

/** Removes the kept folders (at exit; also for tests). */
export function removeKeptTemporaryCwds(): void {
  for (const dir of kept.splice(0)) removeTemporaryCwd(dir);
}

/** Usually still empty: a plain rmdir is one syscall, where a recursive rm walks the tree first. */
function removeTemporaryCwd(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Still exactly what mkdtemp made: our directory, private, empty (a link or anything else is not reused). */
function stillPristine(dir: string): boolean {
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory() || (stat.mode & 0o7777) !== PRIVATE_MODE) return false;
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return false;
    return fs.readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** A new private folder named like Airflow's (`airflowtmp…` in the temporary directory). */
export function newTemporaryCwd(): string {
  return fs.mkdtempSync(path.join(temporaryRoot(), PREFIX));
}

/** An empty private folder for one try: a kept one when it is still pristine, else a new one. */
export function takeTemporaryCwd(): string {
  for (let dir = kept.pop(); dir !== undefined; dir = kept.pop()) {
    if (stillPristine(dir)) return dir;
    removeTemporaryCwd(dir);
  }
  return newTemporaryCwd();
}

/** The try is done with its folder: kept for the next try where this process keeps them, else removed. */
export function giveBackTemporaryCwd(dir: string): void {
  if (keeping) kept.push(dir);
  else removeTemporaryCwd(dir);
}
