/**
 * Reading the dags folder once per tick, cheaply when nothing changed. A long-lived process (the local
 * scheduler loop) remembers, per file, its stat stamp (mtime and ctime, size, inode) with
 * the content hash and whether it is a DAG file; a file whose stamp is unchanged is not read or hashed
 * again. Airflow itself decides from modification times; the stamp adds ctime and inode so that a copy,
 * rename or same-second rewrite is still seen. As git does with "racily clean" files, a file modified in
 * the last seconds before the scan is not remembered (read again next time): on a file system with coarse
 * timestamps (a network volume) a second write in the same second would otherwise keep the stamp. A fresh
 * process (a one-shot `tick`, a Modal tick) reads everything once.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isPythonFile, mightContainDag } from './dag-discovery.js';

export interface ScannedFile {
  fileloc: string;
  python: boolean;
  /** SHA-256 (hex) of the file's bytes as text. */
  hash: string;
  /** YAML: always; Python: Airflow's safe-mode heuristic. */
  isDag: boolean;
  /** The text, when it was read in this pass (null: unchanged since an earlier pass, not read). */
  content: string | null;
  /** SHA-256 of `prefix`, a newline and `hash`; remembered with the file, so an idle tick does not recompute it. */
  hashWith(prefix: string): string;
}

interface Remembered {
  stamp: string;
  hash: string;
  isDag: boolean;
  derived?: { prefix: string; hash: string };
}

function scannedFrom(fileloc: string, python: boolean, entry: Remembered, content: string | null): ScannedFile {
  return {
    fileloc,
    python,
    hash: entry.hash,
    isDag: entry.isDag,
    content,
    hashWith(prefix) {
      if (entry.derived?.prefix !== prefix) {
        entry.derived = { prefix, hash: createHash('sha256').update(prefix).update('\n').update(entry.hash).digest('hex') };
      }
      return entry.derived.hash;
    },
  };
}

/** Per dags folder, per file. Replaced on every scan, so deleted files are forgotten. Bounded in folders. */
const remembered = new Map<string, Map<string, Remembered>>();
const MAX_FOLDERS = 64;
/** A file younger than this at scan time is read again next time (see the module comment). */
const RACY_MS = 2000;

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Each file's hash and kind; null for a file that could not be read (reported through `onError`).
 * Synchronous on purpose: a thousand small awaited reads cost 50-100 ms of event-loop round trips per idle
 * tick, sync calls about a tenth of that, and the tick has nothing else to do meanwhile.
 */
export function scanDagFiles(dagsDir: string, files: readonly string[], onError: (fileloc: string, error: Error) => void): Array<ScannedFile | null> {
  const before = remembered.get(dagsDir);
  const after = new Map<string, Remembered>();
  const scanned = files.map((fileloc): ScannedFile | null => {
    const absolute = path.join(dagsDir, fileloc);
    const python = isPythonFile(fileloc);
    try {
      // Milliseconds as floats keep the nanoseconds' precision that matters here, without BigInt's cost.
      const stat = statSync(absolute);
      const stamp = `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}`;
      const known = before?.get(fileloc);
      if (known?.stamp === stamp) {
        after.set(fileloc, known);
        return scannedFrom(fileloc, python, known, null);
      }
      const content = readFileSync(absolute, 'utf8');
      const entry: Remembered = { stamp, hash: contentHash(content), isDag: !python || mightContainDag(content) };
      if (Date.now() - stat.mtimeMs > RACY_MS) after.set(fileloc, entry);
      return scannedFrom(fileloc, python, entry, content);
    } catch (error) {
      onError(fileloc, error as Error);
      return null;
    }
  });
  if (!before && remembered.size >= MAX_FOLDERS) remembered.clear();
  remembered.set(dagsDir, after);
  return scanned;
}

/** The text of a scanned file, read now if the scan did not need to. */
export function contentOf(dagsDir: string, file: ScannedFile): string {
  return file.content ?? readFileSync(path.join(dagsDir, file.fileloc), 'utf8');
}
