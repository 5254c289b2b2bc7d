/**
 * The local volume: a folder. `LocalVolumeClient` is the CLI's view (put/get/list/remove on relative
 * paths); `LocalVolumeMount` is what code inside the environment sees (the folder itself; reload and
 * commit are no-ops because a local disk is already shared by every process).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { VolumeClient, VolumeEntry, VolumeMount } from '../ports.js';

export class VolumePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumePathError';
  }
}

/**
 * Resolves a `/`-separated path relative to the volume root, refusing anything that would land outside it:
 * absolute paths, `..` segments that climb above the root, NUL bytes, and symlinks pointing out.
 */
export function resolveInVolume(root: string, relative: string): string {
  if (relative.includes('\0')) throw new VolumePathError('volume path contains a NUL byte');
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw new VolumePathError(`volume path must be relative: ${relative}`);
  }
  const normalised = path.posix.normalize(relative.replaceAll('\\', '/'));
  if (normalised === '..' || normalised.startsWith('../')) {
    throw new VolumePathError(`volume path escapes the volume: ${relative}`);
  }
  const absoluteRoot = path.resolve(root);
  const target = path.resolve(absoluteRoot, normalised);
  if (!isInside(absoluteRoot, target)) throw new VolumePathError(`volume path escapes the volume: ${relative}`);
  assertNoSymlinkEscape(absoluteRoot, target, relative);
  return target;
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The deepest existing ancestor of `target` must resolve (through symlinks) inside the real root. */
function assertNoSymlinkEscape(root: string, target: string, relative: string): void {
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    return; // No volume yet: nothing on disk can point anywhere.
  }
  let probe = target;
  while (isInside(root, probe)) {
    try {
      const real = fs.realpathSync(probe);
      if (!isInside(realRoot, real)) throw new VolumePathError(`volume path escapes the volume through a link: ${relative}`);
      return;
    } catch (error) {
      if (error instanceof VolumePathError) throw error;
      if (probe === root) return;
      probe = path.dirname(probe);
    }
  }
}

/** Writes through a temp file in the same folder and a rename, so readers see the old or the new file, never half. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

const TEMP_FILE = /^\..+\.tmp-\d+-[0-9a-f]+$/;

export class LocalVolumeClient implements VolumeClient {
  constructor(readonly root: string) {}

  async put(relative: string, data: Uint8Array): Promise<void> {
    writeFileAtomic(resolveInVolume(this.root, relative), data);
  }

  async get(relative: string): Promise<Uint8Array | undefined> {
    try {
      return fs.readFileSync(resolveInVolume(this.root, relative));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** Every file and folder under `prefix` (a folder, or one file), recursively, sorted by path. */
  async list(prefix: string): Promise<VolumeEntry[]> {
    const start = resolveInVolume(this.root, prefix === '' ? '.' : prefix);
    const entries: VolumeEntry[] = [];
    let stat: fs.Stats;
    try {
      stat = fs.statSync(start);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    if (stat.isFile()) return [this.entry(start, stat)];
    const walk = (dir: string): void => {
      for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
        if (TEMP_FILE.test(dirent.name)) continue;
        const full = path.join(dir, dirent.name);
        const info = fs.statSync(full, { throwIfNoEntry: false });
        if (!info) continue; // Removed while we walked.
        entries.push(this.entry(full, info));
        if (info.isDirectory()) walk(full);
      }
    };
    walk(start);
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async remove(relative: string): Promise<boolean> {
    const target = resolveInVolume(this.root, relative);
    if (target === path.resolve(this.root)) throw new VolumePathError('refusing to remove the volume root');
    if (!fs.existsSync(target)) return false;
    fs.rmSync(target, { recursive: true, force: true });
    return true;
  }

  /** A local folder has nothing to publish: every write is visible once renamed into place. */
  async commit(): Promise<void> {}

  private entry(full: string, stat: fs.Stats): VolumeEntry {
    return {
      path: path.relative(this.root, full).split(path.sep).join('/'),
      type: stat.isDirectory() ? 'directory' : 'file',
      size: stat.isDirectory() ? 0 : stat.size,
      mtime: stat.mtime,
    };
  }
}

export class LocalVolumeMount implements VolumeMount {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }
  async reload(): Promise<void> {}
  async commit(): Promise<void> {}
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
