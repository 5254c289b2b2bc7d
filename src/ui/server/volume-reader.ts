/**
 * How the UI reads logs and XComs from the environment's volume. Locally that is the volume folder; on
 * Modal the `ui` function reads its mounted (reloaded) volume, or the CLI plugs a downloaded copy.
 * Paths are volume-relative and `/`-separated (src/volume-layout.ts builds them).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { VolumeClient } from '../../providers/ports.js';
import { insideRoot } from '../../volume-layout.js';

export interface VolumeReader {
  /** The file's bytes, or undefined when it does not exist. */
  readFile(relativePath: string): Promise<Uint8Array | undefined>;
  /** Names of the files directly inside a folder (not sub-folders); [] when the folder does not exist. */
  listFiles(relativeDir: string): Promise<string[]>;
}

/** Path parts come from request URLs (DAG, run, task ids), so a `..` must never climb out of the root. */
const inside = insideRoot;

export function folderVolumeReader(root: string): VolumeReader {
  const base = path.resolve(root);
  return {
    async readFile(relativePath) {
      const file = inside(base, relativePath);
      if (!file) return undefined;
      try {
        return await fs.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw error;
      }
    },
    async listFiles(relativeDir) {
      const dir = inside(base, relativeDir);
      if (!dir) return [];
      try {
        const entries = await fs.readdir(dir, { withFileTypes: true });
        return entries.filter((e) => e.isFile()).map((e) => e.name).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
        throw error;
      }
    },
  };
}

/** Reads through a provider's VolumeClient (e.g. Modal's API from outside the environment). */
export function volumeClientReader(client: Pick<VolumeClient, 'get' | 'list'>): VolumeReader {
  return {
    readFile: (relativePath) => (relativePath.split('/').includes('..') ? Promise.resolve(undefined) : client.get(relativePath)),
    async listFiles(relativeDir) {
      if (relativeDir.split('/').includes('..')) return [];
      const prefix = relativeDir.endsWith('/') ? relativeDir : `${relativeDir}/`;
      const entries = await client.list(prefix);
      return entries
        .filter((e) => e.type === 'file' && e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/'))
        .map((e) => e.path.slice(prefix.length))
        .sort();
    },
  };
}
