/**
 * A local DAG file as every upload path sees it (`dags create|update`, `dags sync`, `dags test`,
 * `tasks test`): read, parsed and validated by `parseDagFile`, with the files it brings along.
 *
 * `parseDagFile` is the one place a local DAG file is parsed, for both front ends: a YAML manifest through
 * the manifest parser, a Python DAG file through a parse worker (the parse the tick runs), with the file's
 * own folder (or the synced folder) as the dags folder, so its local imports resolve as they will on the
 * volume.
 *
 * What travels with a file, and where it goes on the volume:
 * - a Python DAG file: the local modules its parse imported, at the same paths under `dags/` (the dags
 *   folder is on `sys.path` in the parse worker and the task runner, so that is where imports find them);
 * - a manifest: its `python_callable_file`s and the helper modules beside them, under
 *   `dags/.callables/<manifest fileloc>/`, at the same relative paths as next to the manifest; the worker
 *   looks there first (then in `dags/` itself, where files put on the volume by hand live). Two manifests
 *   that both name `callables/mine.py` thus each keep their own copy. `.callables` is hidden, so the tick
 *   never reads it as a DAG folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/model.js';
import { ManifestError } from '../dag/errors.js';
import type { DagSpec } from '../dag/model.js';
import { isPythonFile, mightContainDag } from '../parse/dag-discovery.js';
import { ParseWorker } from '../parse/parse-worker.js';
import { CALLABLES_DIR, DAGS_DIR } from '../volume-layout.js';
import { UserInputError } from './errors.js';

export const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);
export const DAG_FILE_EXTENSIONS = new Set([...MANIFEST_EXTENSIONS, '.py']);

/** Where the Python files of the manifest `fileloc` (relative to `dags/`) live, relative to `dags/`. */
export function callablesFolderOf(fileloc: string): string {
  return `${CALLABLES_DIR}/${fileloc}`;
}

export interface Attachment {
  /** Path relative to the DAG file's folder (a manifest) or to the dags folder (a Python DAG file). */
  relative: string;
  localPath: string;
}

export interface ParsedDagFile {
  /** The path the file gets relative to `dags/`. */
  fileloc: string;
  kind: 'manifest' | 'python';
  localPath: string;
  text: string;
  specs: DagSpec[];
  /** A manifest's callable files and the helper modules beside them; a Python file's local modules. */
  attachments: Attachment[];
}

export interface ParseDagFileOptions {
  /**
   * A parse worker whose dags folder is the folder `fileloc` is relative to, shared by the files of one
   * folder (`dags sync`); default: a worker of the file's own, closed afterwards.
   */
  worker?: ParseWorker;
  /**
   * A Python file that defines no DAG is refused (default), as `dags create` must refuse it; in a synced
   * folder it is just a file with no DAG, as Airflow's DagBag takes it.
   */
  requireDag?: boolean;
}

/** An fs error in words: "ENOENT" alone tells a user less than "no such file". */
export function readFailure(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory; give the DAG file (.py, .yaml or .yml)';
    case 'EACCES':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}

/**
 * Reads and validates one DAG file, YAML or Python: syntax and model (ManifestError, or one line with
 * file:line, naming the file as the user gave it), templated fields that cannot parse, callable files that
 * are missing. `fileloc` (default: the file's name) is its path relative to the folder it is uploaded from.
 */
export async function parseDagFile(
  localFile: string,
  config: Config,
  fileloc: string = path.basename(localFile),
  options: ParseDagFileOptions = {},
): Promise<ParsedDagFile> {
  const extension = path.extname(localFile).toLowerCase();
  if (!DAG_FILE_EXTENSIONS.has(extension)) {
    throw new UserInputError(`${localFile}: a DAG file must be a Python file (.py) or a YAML manifest (.yaml or .yml)`);
  }
  let text: string;
  try {
    text = fs.readFileSync(localFile, 'utf8');
  } catch (error) {
    throw new UserInputError(`cannot read ${localFile}: ${readFailure(error)}`, { cause: error });
  }
  return isPythonFile(localFile) ? parsePythonFile(localFile, text, config, fileloc, options) : parseManifestFile(localFile, text, config, fileloc);
}

/**
 * The manifest parser (yaml, zod, cron) and the template checker (nunjucks) are imported when a file is
 * parsed, not with this module: `dags list` and the other read commands import it too, and would pay their
 * start-up time for nothing (see scripts/build-cli.mjs and test/cli-startup.test.ts).
 */
async function parseManifestFile(localFile: string, text: string, config: Config, fileloc: string): Promise<ParsedDagFile> {
  const [{ manifestDefaultsFrom, parseManifest }, { manifestLoadProblems }] = await Promise.all([
    import('../dag/index.js'),
    import('../scheduler/manifest-checks.js'),
  ]);
  let specs: DagSpec[];
  try {
    specs = parseManifest(text, fileloc, manifestDefaultsFrom(config));
  } catch (error) {
    // Name the file as the user gave it, so `path:line` points at their copy.
    if (error instanceof ManifestError) throw new ManifestError(localFile, error.problems, { cause: error });
    throw error;
  }
  // The tick runs the same checks on the volume's copy (manifest-sync.ts): both refuse the same files.
  const manifestDir = path.dirname(path.resolve(localFile));
  const loadProblems = manifestLoadProblems(specs, {
    exists: (file) => fs.existsSync(path.resolve(manifestDir, file)),
    where: (file) => `for ${path.resolve(manifestDir, file)}`,
  });
  if (loadProblems.length > 0) throw new ManifestError(localFile, loadProblems);
  return { fileloc, kind: 'manifest', localPath: localFile, text, specs, attachments: await attachmentsOf(localFile, specs) };
}

/**
 * A Python DAG file is validated by the parse the tick will run: a parse worker imports it with the folder
 * `fileloc` is relative to as the dags folder, and the local modules it imported travel with it.
 */
async function parsePythonFile(localFile: string, text: string, config: Config, fileloc: string, options: ParseDagFileOptions): Promise<ParsedDagFile> {
  if (!mightContainDag(text)) {
    throw new UserInputError(
      `${localFile}: not a DAG file: Airflow (and airflow-serverless) only parses Python files that contain both "airflow" and "dag"`,
    );
  }
  // The folder `fileloc` is relative to, as the user typed it (for messages) and absolute (for the worker).
  const root = rootOf(localFile, fileloc);
  const dagsDir = path.resolve(root);
  const worker = options.worker ?? new ParseWorker({ dagsDir, timeoutSeconds: config.core.dagbag_import_timeout });
  let answer: Awaited<ReturnType<ParseWorker['parse']>>;
  try {
    answer = await worker.parse(fileloc);
  } finally {
    if (!options.worker) await worker.close();
  }
  // The worker names files relative to the dags folder; the user knows them by the path they typed.
  if (!answer.ok) {
    const named = /^([^\s:]+\.py)(:.*)$/s.exec(answer.error);
    throw new UserInputError(named ? `${path.join(root, named[1]!)}${named[2]}` : answer.error);
  }
  const { manifestDefaultsFrom, specsFromRawDags } = await import('../dag/index.js');
  let specs: DagSpec[];
  try {
    specs = specsFromRawDags(answer.dags as Parameters<typeof specsFromRawDags>[0], fileloc, manifestDefaultsFrom(config), answer.warnings);
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(localFile, error.problems, { cause: error });
    throw error;
  }
  if (specs.length === 0 && options.requireDag !== false) {
    throw new UserInputError(`${localFile}: defines no DAG (create one with \`with DAG(...)\`, \`@dag\` or a module-level \`DAG(...)\`); nothing uploaded`);
  }
  const attachments = answer.modules
    .filter((module) => module !== fileloc)
    .sort()
    .map((relative) => ({ relative, localPath: path.join(dagsDir, relative) }));
  return { fileloc, kind: 'python', localPath: localFile, text, specs, attachments };
}

/** `dir/sub/x.py` with fileloc `sub/x.py` is rooted at `dir`; a fileloc that is not its tail, at its folder. */
function rootOf(localFile: string, fileloc: string): string {
  const tail = fileloc.split('/').join(path.sep);
  const normalized = path.normalize(localFile);
  if (normalized === tail) return '.';
  if (normalized.endsWith(path.sep + tail)) return normalized.slice(0, normalized.length - tail.length - 1) || path.sep;
  return path.dirname(localFile);
}

/**
 * The callables (relative to the manifest's folder, as `python_callable_file` names them relative to
 * `dags/`) and every `.py` file under each callable's folder, which its imports may need.
 */
async function attachmentsOf(localFile: string, specs: readonly DagSpec[]): Promise<Attachment[]> {
  const { callableFiles } = await import('../scheduler/manifest-checks.js');
  const manifestDir = path.dirname(path.resolve(localFile));
  const out = new Map<string, string>();
  for (const callable of callableFiles(specs)) {
    const source = path.resolve(manifestDir, callable);
    if (!fs.existsSync(source)) throw new UserInputError(`${localFile}: python_callable_file ${callable} not found (looked for ${source})`);
    out.set(toPosix(callable), source);
    const folder = path.dirname(source);
    // A callable next to the manifest brings no folder of helpers (that would be the whole DAG folder).
    if (folder === manifestDir) continue;
    for (const helper of pythonFilesUnder(folder)) out.set(toPosix(path.relative(manifestDir, helper)), helper);
  }
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([relative, localPath]) => ({ relative, localPath }));
}

function pythonFilesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...pythonFilesUnder(full));
    else if (entry.isFile() && entry.name.endsWith('.py')) found.push(full);
  }
  return found;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** The volume paths (relative to the volume root) and contents a parsed file puts on the volume, the file last. */
export function volumeFilesOf(parsed: ParsedDagFile): Array<{ path: string; data: Buffer }> {
  const folder = parsed.kind === 'python' ? DAGS_DIR : `${DAGS_DIR}/${callablesFolderOf(parsed.fileloc)}`;
  return [
    ...parsed.attachments.map((a) => ({ path: `${folder}/${a.relative}`, data: fs.readFileSync(a.localPath) })),
    { path: `${DAGS_DIR}/${parsed.fileloc}`, data: Buffer.from(parsed.text, 'utf8') },
  ];
}

export const contentHash = (data: Uint8Array): string => crypto.createHash('sha256').update(data).digest('hex');
