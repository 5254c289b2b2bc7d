/**
 * `dags sync`: make the environment's DAG folder exactly a local folder, as modalflow's `sync` does.
 *
 * Every DAG file of the folder (YAML manifests, and Python files that Airflow's safe mode takes for DAG
 * files) is validated first (`parseDagFile`, Python files through one parse worker whose dags folder is
 * DIR); if any fails, or two files declare one DAG id, nothing changes. The plan compares content hashes:
 * new and changed files are uploaded (a Python file's local modules and a manifest's callable and helper
 * files before the DAG files that use them), and every file under `dags/` that the folder does not produce
 * is deleted (DAG files before the modules and callables they used). Python files that no DAG file
 * imports and that are not DAG files themselves are not uploaded. Only then is the volume committed and a tick
 * requested, so the tick sees the whole new folder at once (on Modal, where a commit publishes the
 * changes; locally a tick running in the middle may see a part of it, never a manifest without its files).
 *
 * Signature: syncDagFolder(environment, dir, { dryRun?, progress? }): Promise<SyncResult>
 */
import fs from 'node:fs';
import path from 'node:path';
import { ManifestError } from '../dag/errors.js';
import { IGNORE_FILE, isPythonFile, listDagFileCandidates, mightContainDag } from '../parse/dag-discovery.js';
import { ParseWorker } from '../parse/parse-worker.js';
import type { Progress } from '../providers/ports.js';
import { DAGS_DIR } from '../volume-layout.js';
import { contentHash, DAG_FILE_EXTENSIONS, parseDagFile, readFailure, volumeFilesOf } from './dag-files.js';
import type { ParsedDagFile } from './dag-files.js';
import { filesUnder } from './dags.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';
import { countProgress, silentProgress } from './progress.js';

export interface SyncResult {
  dry_run: boolean;
  /** Paths relative to `dags/`. */
  upload: Array<{ path: string; action: 'new' | 'changed' }>;
  delete: string[];
  unchanged: number;
  dags: Array<{ fileloc: string; dag_ids: string[] }>;
}

/**
 * DAG files under `dir`, relative and `/`-separated, as the tick finds them on the volume (hidden files
 * and folders skipped, `.airflowignore` honoured): every manifest, and the Python files with Airflow's
 * safe-mode words (the others are modules, uploaded only when a DAG file imports them).
 */
async function dagFilesIn(dir: string): Promise<string[]> {
  return ((await listDagFileCandidates(dir)) ?? []).filter((relative) => isDagFile(path.join(dir, relative)));
}

/** The folder's `.airflowignore` files (outside hidden folders): the tick reads them on the volume too. */
function ignoreFilesIn(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isFile() && entry.name === IGNORE_FILE) out.push(path.relative(dir, full).split(path.sep).join('/'));
      else if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__pycache__') walk(full);
    }
  };
  walk(dir);
  return out.sort();
}

function isDagFile(file: string): boolean {
  if (!isPythonFile(file)) return true;
  try {
    return mightContainDag(fs.readFileSync(file, 'utf8'));
  } catch {
    return true; // parseDagFile says why it cannot be read
  }
}

/** Parses every file; all problems of all files in one error, so one run shows everything to fix. */
async function parseAll(environment: Environment, dir: string, files: readonly string[]): Promise<ParsedDagFile[]> {
  const parsed: ParsedDagFile[] = [];
  const failures: string[] = [];
  // One parse worker for all Python files, as a tick has; started only if there is one.
  const worker = new ParseWorker({ dagsDir: path.resolve(dir), timeoutSeconds: environment.config.core.dagbag_import_timeout });
  try {
    for (const relative of files) {
      const local = path.join(dir, relative);
      try {
        // A Python file without a DAG is fine in a folder (Airflow's DagBag just finds none in it).
        parsed.push(await parseDagFile(local, environment.config, relative, { worker, requireDag: false }));
      } catch (error) {
        if (error instanceof ManifestError) failures.push(...error.message.split('\n').filter(Boolean));
        else if (error instanceof UserInputError) failures.push(error.message);
        else throw error;
      }
    }
  } finally {
    await worker.close();
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
  const files = await dagFilesIn(dir);
  progress.step(`validating ${files.length} DAG file(s) in ${dir}`);
  const parsed = await parseAll(environment, dir, files);

  const wanted = new Map<string, Buffer>();
  for (const relative of ignoreFilesIn(dir)) wanted.set(`${DAGS_DIR}/${relative}`, fs.readFileSync(path.join(dir, relative)));
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
  // Uploads: the folder's DAG files are known. Deletions: any DAG-file-like path outside `.callables`
  // (a Python module among them only goes a little early: its importers are being deleted or replaced).
  const dagFilePaths = new Set(parsed.map((f) => `${DAGS_DIR}/${f.fileloc}`));
  const isDagFilePath = (p: string) => dagFilePaths.has(p);
  const isManifest = (p: string) => DAG_FILE_EXTENSIONS.has(path.extname(p).toLowerCase()) && !p.slice(DAGS_DIR.length + 1).startsWith('.');
  const result: SyncResult = {
    dry_run: options.dryRun === true,
    upload: upload.map(({ path: p, action }) => ({ path: p, action })),
    delete: removed.map((p) => p.slice(DAGS_DIR.length + 1)),
    unchanged,
    dags: parsed.map((f) => ({ fileloc: f.fileloc, dag_ids: f.specs.map((s) => s.dag_id) })),
  };
  if (options.dryRun || (upload.length === 0 && removed.length === 0)) return result;

  // Modules and callables before the DAG files that use them; DAG files gone before what they used.
  const ordered = [...upload.filter((u) => !isDagFilePath(u.volumePath)), ...upload.filter((u) => isDagFilePath(u.volumePath))];
  for (const [index, item] of ordered.entries()) {
    countProgress(progress, 'uploading', index + 1, ordered.length, item.path);
    await volume.put(item.volumePath, wanted.get(item.volumePath)!);
  }
  const deletions = [...removed.filter(isManifest), ...removed.filter((p) => !isManifest(p))];
  for (const [index, file] of deletions.entries()) {
    countProgress(progress, 'deleting', index + 1, deletions.length, file.slice(DAGS_DIR.length + 1));
    await volume.remove(file);
  }
  await volume.commit();
  await environment.provider.spawner().requestTick();
  return result;
}
