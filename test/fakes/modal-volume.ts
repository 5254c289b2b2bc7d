/**
 * A mounted Modal volume as a container sees it, standing in for the launcher's commit/reload pipe
 * (VolumeSync). It models what Modal's docs and client source describe:
 * - background commits: Modal commits a mount every few seconds on its own, and again when the container
 *   stops; `backgroundCommit()` and `shutdownCommit()` take such a snapshot at any instant a test chooses
 *   (they never wait for open files), and `commits` keeps every committed snapshot;
 * - "volume busy": a reload, and a commit (which reloads after committing), fail while a file under the
 *   mount is open ("there are open files preventing the operation");
 * - the empty view during a reload: the mount shows nothing until the reload completes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VolumeSync } from '../../src/providers/modal/volume-mount.js';

export type Snapshot = Map<string, Buffer>;

/** Files under `root` this process holds open (Linux /proc). */
export function openFilesUnder(root: string): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(root + path.sep));
}

function snapshot(root: string): Snapshot {
  const out: Snapshot = new Map();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(root, full), fs.readFileSync(full));
  }
  return out;
}

export class FakeMountedVolume implements VolumeSync {
  readonly commits: Array<{ kind: 'commit' | 'background' | 'shutdown'; files: Snapshot; openFiles: string[] }> = [];
  readonly requests: string[] = [];
  /** Syncs Modal refused because a file was open ("volume busy"). */
  readonly refused: string[] = [];
  /** Reloads that completed (the mount showed the committed state again). */
  reloads = 0;
  /** How long a reload shows an empty mount. */
  emptyViewMs = 20;

  constructor(readonly root: string) {}

  backgroundCommit(): void {
    this.commits.push({ kind: 'background', files: snapshot(this.root), openFiles: openFilesUnder(this.root) });
  }

  /** What Modal commits when the container stops, killed or not: the mount as it is at that instant. */
  shutdownCommit(): void {
    this.commits.push({ kind: 'shutdown', files: snapshot(this.root), openFiles: openFilesUnder(this.root) });
  }

  private refuseWhenBusy(operation: string): void {
    const open = openFilesUnder(this.root);
    if (open.length > 0) this.refused.push(`${operation}: ${open[0]}`);
    if (open.length > 0) throw new Error(`volume ${operation} failed: there are open files preventing the operation: ${open[0]}`);
  }

  /** The mount empties, then shows the committed state again (here: what it held, as one container writes). */
  private async reloadView(): Promise<void> {
    const aside = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-reload-'));
    for (const name of fs.readdirSync(this.root)) fs.renameSync(path.join(this.root, name), path.join(aside, name));
    await new Promise((resolve) => setTimeout(resolve, this.emptyViewMs));
    for (const name of fs.readdirSync(aside)) fs.renameSync(path.join(aside, name), path.join(this.root, name));
    fs.rmSync(aside, { recursive: true, force: true });
  }

  async request(operation: 'commit' | 'reload' | 'clean'): Promise<void> {
    this.requests.push(operation);
    if (operation === 'clean') return;
    this.refuseWhenBusy(operation);
    if (operation === 'commit') this.commits.push({ kind: 'commit', files: snapshot(this.root), openFiles: [] });
    await this.reloadView();
    this.reloads++;
  }
}
