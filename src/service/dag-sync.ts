/**
 * `dags sync`: make the environment's DAG folder exactly a local folder, as modalflow's `sync` does.
 *
 * Every DAG file of the folder is validated first (`parseDagFile`); if any fails, or two files declare one
 * DAG id, nothing changes. The plan compares content hashes: new and changed files are uploaded (callable
 * and helper files before the manifests that use them), and every file under `dags/` that the folder does
 * not produce is deleted (manifests before their callables). Only then is the volume committed and a tick
 * requested, so the tick sees the whole new folder at once (on Modal, where a commit publishes the
 * changes; locally a tick running in the middle may see a part of it, never a manifest without its files).
 *
 * Signature: syncDagFolder(environment, dir, { dryRun?, progress? }): Promise<SyncResult>
 */
import fs from 'node:fs';
import path from 'node:path';
import { ManifestError } from '../dag/index.js';
import type { Progress } from '../providers/ports.js';
import { DAGS_DIR } from '../volume-layout.js';
import { contentHash, DAG_FILE_EXTENSIONS, parseDagFile, readFailure, volumeFilesOf } from './dag-files.js';
import type { ParsedDagFile } from './dag-files.js';
import { filesUnder } from './dags.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';
import { silentProgress } from './progress.js';

export interface SyncResult {
  dry_run: boolean;
  /** Paths relative to `dags/`. */
  upload: Array<{ path: string; action: 'new' | 'changed' }>;
  delete: string[];
  unchanged: number;
  dags: Array<{ fileloc: string; dag_ids: string[] }>;
}

/** DAG files under `dir` (recursive; hidden files and folders skipped), relative and `/`-separated. */
function dagFilesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && DAG_FILE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Parses every file; all problems of all files in one error, so one run shows everything to fix. */
function parseAll(environment: Environment, dir: string, files: readonly string[]): ParsedDagFile[] {
  const parsed: ParsedDagFile[] = [];
  const failures: string[] = [];
  for (const relative of files) {
    const local = path.join(dir, relative);
    try {
      parsed.push(parseDagFile(local, environment.config, relative));
    } catch (error) {
      if (error instanceof ManifestError) failures.push(...error.message.split('\n').filter(Boolean));
      else if (error instanceof UserInputError) failures.push(error.message);
      else throw error;
    }
  }
  const owner = new Map<string, string>();
  for (const file of parsed) {
    for (const spec of file.specs) {
      const other = owner.get(spec.dag_id);
      if (other !== undefined) failures.push(`${file.localPath}: DAG "${spec.dag_id}" is also declared in ${path.join(dir, other)}`);
      else owner.set(spec.dag_id, file.fileloc);
    }
  }
  if (failures.length > 0) {
    throw new UserInputError([...failures, `${failures.length} problem(s) in ${dir}: nothing was changed in environment "${environment.name}"`].join('\n'));
  }
  return parsed;
}

export async function syncDagFolder(
  environment: Environment,
  dir: string,
  options: { dryRun?: boolean; progress?: Progress } = {},
): Promise<SyncResult> {
  const progress = options.progress ?? silentProgress;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    throw new UserInputError(`cannot read ${dir}: ${readFailure(error)}`);
  }
  if (!stat.isDirectory()) throw new UserInputError(`${dir} is not a folder; give the folder holding your DAG files`);
  const files = dagFilesIn(dir);
  progress.step(`validating ${files.length} DAG file(s) in ${dir}`);
  const parsed = parseAll(environment, dir, files);

  const wanted = new Map<string, Buffer>();
  for (const file of parsed) for (const f of volumeFilesOf(file)) wanted.set(f.path, f.data);
  const volume = environment.provider.volume();
  const present = new Set(await filesUnder(environment, DAGS_DIR));
  const upload: Array<{ path: string; action: 'new' | 'changed'; volumePath: string }> = [];
  let unchanged = 0;
  for (const [volumePath, data] of wanted) {
    if (!present.has(volumePath)) {
      upload.push({ path: volumePath.slice(DAGS_DIR.length + 1), action: 'new', volumePath });
      continue;
    }
    const current = await volume.get(volumePath);
    if (current && contentHash(current) === contentHash(data)) unchanged++;
    else upload.push({ path: volumePath.slice(DAGS_DIR.length + 1), action: 'changed', volumePath });
  }
  const removed = [...present].filter((p) => !wanted.has(p)).sort();
  const isManifest = (p: string) => DAG_FILE_EXTENSIONS.has(path.extname(p).toLowerCase()) && !p.slice(DAGS_DIR.length + 1).startsWith('.');
  const result: SyncResult = {
    dry_run: options.dryRun === true,
    upload: upload.map(({ path: p, action }) => ({ path: p, action })),
    delete: removed.map((p) => p.slice(DAGS_DIR.length + 1)),
    unchanged,
    dags: parsed.map((f) => ({ fileloc: f.fileloc, dag_ids: f.specs.map((s) => s.dag_id) })),
  };
  if (options.dryRun || (upload.length === 0 && removed.length === 0)) return result;

  // Callables before the manifests that use them; manifests gone before the callables they used.
  const ordered = [...upload.filter((u) => !isManifest(u.volumePath)), ...upload.filter((u) => isManifest(u.volumePath))];
  for (const [index, item] of ordered.entries()) {
    progress.step(`[${index + 1}/${ordered.length}] uploading ${item.path}`);
    await volume.put(item.volumePath, wanted.get(item.volumePath)!);
  }
  const deletions = [...removed.filter(isManifest), ...removed.filter((p) => !isManifest(p))];
  for (const [index, file] of deletions.entries()) {
    progress.step(`[${index + 1}/${deletions.length}] deleting ${file.slice(DAGS_DIR.length + 1)}`);
    await volume.remove(file);
  }
  await volume.commit();
  await environment.provider.spawner().requestTick();
  return result;
}
