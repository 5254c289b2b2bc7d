/**
 * A local DAG file as every upload path sees it (`dags create|update`, `dags sync`, `dags test`,
 * `tasks test`): read, parsed and validated by `parseDagFile`, with the files it brings along.
 *
 * `parseDagFile` is the one place a local DAG file is parsed: YAML manifests today; Python DAG files
 * (issue 9) are to be routed here to the Python front end, and every caller follows.
 *
 * Callable layout on the volume: the Python files a manifest uses (its `python_callable_file`s and the
 * helper modules beside them) are stored under `dags/.callables/<manifest fileloc>/`, at the same relative
 * paths as next to the manifest; the worker looks there first (then in `dags/` itself, where files put on
 * the volume by hand live). Two manifests that both name `callables/mine.py` thus each keep their own copy.
 * `.callables` is hidden, so the tick never reads it as a DAG folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/model.js';
import { ManifestError, manifestDefaultsFrom, parseManifest } from '../dag/index.js';
import type { DagSpec } from '../dag/model.js';
import { CALLABLES_DIR, DAGS_DIR } from '../volume-layout.js';
import { templateSyntaxProblems } from '../worker/template-syntax.js';
import { UserInputError } from './errors.js';

export const DAG_FILE_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Where the Python files of the manifest `fileloc` (relative to `dags/`) live, relative to `dags/`. */
export function callablesFolderOf(fileloc: string): string {
  return `${CALLABLES_DIR}/${fileloc}`;
}

export interface Attachment {
  /** Path relative to `dags/`. */
  relative: string;
  localPath: string;
}

export interface ParsedDagFile {
  /** The path the file gets relative to `dags/`. */
  fileloc: string;
  localPath: string;
  text: string;
  specs: DagSpec[];
  /** Callable files and the helper modules beside them, to upload with the manifest. */
  attachments: Attachment[];
}

/** An fs error in words: "ENOENT" alone tells a user less than "no such file". */
export function readFailure(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory; give the .yaml file';
    case 'EACCES':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}

/**
 * Reads and validates one DAG file: syntax and model (ManifestError naming the file as the user gave it),
 * templated fields that cannot parse, and callable files that are missing. `fileloc` defaults to the
 * file's name.
 */
export function parseDagFile(localFile: string, config: Config, fileloc: string = path.basename(localFile)): ParsedDagFile {
  const extension = path.extname(localFile).toLowerCase();
  if (extension === '.py') throw new UserInputError(`${localFile}: Python DAG files are not supported yet; give a YAML manifest (.yaml or .yml)`);
  if (!DAG_FILE_EXTENSIONS.has(extension)) throw new UserInputError(`${localFile}: a DAG manifest must be a .yaml or .yml file`);
  let text: string;
  try {
    text = fs.readFileSync(localFile, 'utf8');
  } catch (error) {
    throw new UserInputError(`cannot read ${localFile}: ${readFailure(error)}`, { cause: error });
  }
  let specs: DagSpec[];
  try {
    specs = parseManifest(text, fileloc, manifestDefaultsFrom(config));
  } catch (error) {
    // Name the file as the user gave it, so `path:line` points at their copy.
    if (error instanceof ManifestError) throw new ManifestError(localFile, error.problems, { cause: error });
    throw error;
  }
  if (specs.length === 0) throw new UserInputError(`${localFile}: the manifest declares no DAG`);
  const templateProblems = specs.flatMap((spec) =>
    spec.tasks.flatMap((task) => templateSyntaxProblems(task).map((message) => ({ line: null, message: `dag '${spec.dag_id}': ${message}` }))),
  );
  if (templateProblems.length > 0) throw new ManifestError(localFile, templateProblems);
  return { fileloc, localPath: localFile, text, specs, attachments: attachmentsOf(localFile, specs) };
}

function callableFiles(specs: readonly DagSpec[]): string[] {
  const files = new Set<string>();
  for (const spec of specs) {
    for (const task of spec.tasks) {
      if (task.operator === 'bash' || task.operator === 'empty' || task.operator === 'python_file') continue;
      const file = task.args.python_callable_file;
      if (file && !path.isAbsolute(file)) files.add(file);
    }
  }
  return [...files].sort();
}

/**
 * The callables (relative to the manifest's folder, as `python_callable_file` names them relative to
 * `dags/`) and every `.py` file under each callable's folder, which its imports may need.
 */
function attachmentsOf(localFile: string, specs: readonly DagSpec[]): Attachment[] {
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

/** The volume paths (relative to the volume root) and contents a parsed file puts on the volume. */
export function volumeFilesOf(parsed: ParsedDagFile): Array<{ path: string; data: Buffer }> {
  const folder = callablesFolderOf(parsed.fileloc);
  return [
    ...parsed.attachments.map((a) => ({ path: `${DAGS_DIR}/${folder}/${a.relative}`, data: fs.readFileSync(a.localPath) })),
    { path: `${DAGS_DIR}/${parsed.fileloc}`, data: Buffer.from(parsed.text, 'utf8') },
  ];
}

export const contentHash = (data: Uint8Array): string => crypto.createHash('sha256').update(data).digest('hex');
