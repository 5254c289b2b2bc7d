/**
 * DAG operations: upload (create/update) and delete DAG files on the volume, list and show DAGs, and queue
 * trigger/pause/unpause commands in the state dict. A DAG file (YAML manifest or Python) is parsed and
 * validated here, before upload, so a bad file never reaches the volume; the tick re-parses it on its side.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagSpec } from '../dag/model.js';
import { findDagRunByLogicalDate, getDagRun } from '../db/queries/dag-runs.js';
import { getDag, listDagTags, listDags } from '../db/queries/dags.js';
import { listDagFiles } from '../db/queries/dag-files.js';
import { listImportErrors } from '../db/queries/import-errors.js';
import type { ImportErrorRow } from '../db/queries/import-errors.js';
import { paramsProblem } from '../dag/params.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import type { Command } from '../executor/protocol.js';
import { commandKey } from '../executor/protocol.js';
import { isPythonFile, mightContainDag } from '../parse/dag-discovery.js';
import { ParseWorker } from '../parse/parse-worker.js';
import type { Progress } from '../providers/ports.js';
import { generateRunId, runIdProblem } from '../timetable/run-id.js';
import { DAGS_DIR, dagFilePath } from '../volume-layout.js';
import { countProgress } from './progress.js';
import { newTriggerCommand, pendingCommands, pendingPauseStates, pendingTriggers, submitCommand } from './commands.js';
import { callablesFolderOf, DAG_FILE_EXTENSIONS, parseDagFile, volumeFilesOf } from './dag-files.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownDagError, UserInputError } from './errors.js';
import type { DagDetailJson, DagJson } from './shapes.js';
import { dagJson, dagTasksJson } from './shapes.js';

/**
 * Parses a manifest's text into DAG specs. The parser (yaml, zod, cron) and the template checker (nunjucks)
 * are imported when an operation needs them, not with this module: `dags list` and the other read
 * commands import it too, and would pay their start-up time for nothing (see scripts/build-cli.mjs).
 */
async function parseManifestText(environment: Environment, text: string, fileloc: string): Promise<DagSpec[]> {
  const { manifestDefaultsFrom, parseManifest } = await import('../dag/index.js');
  return parseManifest(text, fileloc, manifestDefaultsFrom(environment.config));
}

/** The DAG specs of a parse worker's answer for a Python DAG file (same lazy import as above). */
async function specsFromParse(environment: Environment, answer: { dags: unknown[]; warnings: string[] }, fileloc: string): Promise<DagSpec[]> {
  const { manifestDefaultsFrom, specsFromRawDags } = await import('../dag/index.js');
  return specsFromRawDags(answer.dags as Parameters<typeof specsFromRawDags>[0], fileloc, manifestDefaultsFrom(environment.config), answer.warnings);
}

export interface UploadResult {
  /** DAG file path relative to `dags/`. */
  fileloc: string;
  dags: Array<{ dag_id: string; tasks: number }>;
  /**
   * Files uploaded with it: the Python callable and helper files of a manifest (relative to its callables
   * folder, `dags/.callables/<fileloc>/`), or the local modules a Python DAG file imports (relative to `dags/`).
   */
  callables: string[];
  /** Arguments accepted but not acted on, one line each (DagSpec.warnings of every DAG in the file). */
  warnings: string[];
}

/**
 * Uploads a DAG file, parsed by `parseDagFile` (dag-files.ts), the one parse of a local DAG file. `create`
 * refuses a file name already on the volume; `update` requires it. Files it needs travel with it and are
 * uploaded first, so it never points at a missing file: the local modules a Python DAG file imported
 * while it was validated (to the same paths under `dags/`), or the Python callable files a manifest names
 * and the helper modules beside them (into the manifest's own callables folder, so never at another
 * manifest's copy).
 */
export async function uploadDagFile(
  environment: Environment,
  localFile: string,
  mode: 'create' | 'update',
  progress: Progress,
): Promise<UploadResult> {
  progress.step(`validating ${localFile}`);
  const parsed = await parseDagFile(localFile, environment.config);
  const { fileloc, specs } = parsed;

  const volume = environment.provider.volume();
  const exists = (await volume.get(dagFilePath(fileloc))) !== undefined;
  if (mode === 'create' && exists) {
    throw new UserInputError(`${fileloc} already exists in environment "${environment.name}"; use \`dags update\` to replace it`);
  }
  if (mode === 'update' && !exists) {
    throw new UserInputError(`${fileloc} does not exist in environment "${environment.name}"; use \`dags create\` to add it`);
  }
  await assertNoDagIdClash(environment, specs, fileloc);

  const files = volumeFilesOf(parsed);
  // Attachments first, the DAG file last: a tick in between never sees a file without its modules.
  // Counted, as there can be many.
  for (const [index, file] of files.entries()) {
    countProgress(progress, 'uploading', index + 1, files.length, file.path.slice(DAGS_DIR.length + 1));
    await volume.put(file.path, file.data);
  }
  // Callables an earlier version of this manifest brought and this one does not.
  const keep = new Set(files.map((f) => f.path));
  for (const stale of await filesUnder(environment, dagFilePath(callablesFolderOf(fileloc)))) {
    if (!keep.has(stale)) await volume.remove(stale);
  }
  await volume.commit();
  await environment.provider.spawner().requestTick();
  return {
    fileloc,
    dags: specs.map((spec) => ({ dag_id: spec.dag_id, tasks: spec.tasks.length })),
    callables: parsed.attachments.map((a) => a.relative),
    warnings: [...new Set(specs.flatMap((spec) => spec.warnings ?? []))],
  };
}

/** Every file (volume-root-relative path) under a volume folder; none when it does not exist. */
export async function filesUnder(environment: Environment, folder: string): Promise<string[]> {
  const entries = await environment.provider.volume().list(folder).catch(() => []);
  return entries.filter((e) => e.type === 'file').map((e) => e.path);
}

/** A DAG id declared by another file would make the two files fight over one DAG. */
async function assertNoDagIdClash(environment: Environment, specs: readonly DagSpec[], fileloc: string): Promise<void> {
  const known = await knownDags(environment);
  for (const spec of specs) {
    const other = known.get(spec.dag_id);
    if (other !== undefined && other !== fileloc) {
      throw new UserInputError(`DAG "${spec.dag_id}" is already declared in ${other}; DAG ids must be unique in an environment`);
    }
  }
}

/**
 * dag_id -> DAG file (relative to dags/), from the files on the volume: the source of truth for uploads.
 * YAML manifests are parsed here; Python files are known from the tick's parse (the database), and only
 * those no tick has parsed yet (just uploaded) are parsed here, from a download of the volume's Python files.
 */
async function knownDags(environment: Environment): Promise<Map<string, string>> {
  const volume = environment.provider.volume();
  const known = new Map<string, string>();
  const files = await dagFilesOnVolume(environment);
  for (const relative of files.filter((file) => !isPythonFile(file))) {
    const bytes = await volume.get(dagFilePath(relative));
    if (!bytes) continue;
    try {
      for (const spec of await parseManifestText(environment, Buffer.from(bytes).toString('utf8'), relative)) {
        known.set(spec.dag_id, relative);
      }
    } catch {
      // A broken file on the volume (uploaded by an older version, edited by hand) declares nothing usable.
    }
  }
  const python = files.filter(isPythonFile);
  if (python.length === 0) return known;
  const { dags, parsed } = await withReadDatabase(environment, async (db) => ({ dags: await listDags(db), parsed: await listDagFiles(db) })).catch(
    (error: unknown) => {
      if (error instanceof NoDatabaseYetError) return { dags: [], parsed: [] };
      throw error;
    },
  );
  const onVolume = new Set(python);
  // Files a tick parsed (with DAGs, without, or failing) are known from the database; only new ones are parsed here.
  const seen = new Set(parsed.map((file) => file.fileloc));
  for (const dag of dags) {
    if (dag.is_stale || !onVolume.has(dag.fileloc)) continue;
    known.set(dag.dag_id, dag.fileloc);
    seen.add(dag.fileloc);
  }
  const unseen = python.filter((file) => !seen.has(file));
  if (unseen.length > 0) {
    for (const [fileloc, specs] of await parsePythonFilesOnVolume(environment, python, unseen)) {
      for (const spec of specs) if (!known.has(spec.dag_id)) known.set(spec.dag_id, fileloc);
    }
  }
  return known;
}

/**
 * Parses Python DAG files as they are on the volume: the volume's Python files are copied to a temporary
 * dags folder (their local imports must resolve) and one parse worker reads the wanted ones. Files that are
 * not DAG files or fail to parse are left out.
 */
async function parsePythonFilesOnVolume(environment: Environment, python: readonly string[], wanted: readonly string[]): Promise<Map<string, DagSpec[]>> {
  const volume = environment.provider.volume();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-serverless-dags-'));
  const parsed = new Map<string, DagSpec[]>();
  try {
    const texts = new Map<string, string>();
    for (const relative of python) {
      const bytes = await volume.get(dagFilePath(relative));
      if (!bytes) continue;
      const target = path.join(dir, relative);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, bytes);
      texts.set(relative, Buffer.from(bytes).toString('utf8'));
    }
    const candidates = wanted.filter((file) => mightContainDag(texts.get(file) ?? ''));
    if (candidates.length === 0) return parsed;
    const worker = new ParseWorker({ dagsDir: dir, timeoutSeconds: environment.config.core.dagbag_import_timeout });
    try {
      for (const fileloc of candidates) {
        const answer = await worker.parse(fileloc);
        if (!answer.ok) continue;
        try {
          parsed.set(fileloc, await specsFromParse(environment, answer, fileloc));
        } catch {
          // declares nothing usable, as a broken manifest
        }
      }
    } finally {
      await worker.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return parsed;
}

export interface DeleteResult {
  dag_id: string;
  fileloc: string;
}

/** Deletes the manifest declaring the DAG. Refuses when that file declares other DAGs too. */
export async function deleteDag(environment: Environment, dagId: string): Promise<DeleteResult> {
  const known = await knownDags(environment);
  const fileloc = known.get(dagId);
  if (fileloc === undefined) throw new UnknownDagError(dagId, environment.name);
  const siblings = [...known].filter(([id, file]) => file === fileloc && id !== dagId).map(([id]) => id);
  if (siblings.length > 0) {
    throw new UserInputError(
      `${fileloc} also declares ${siblings.join(', ')}; edit the file and run \`dags update\`, or delete those DAGs too`,
    );
  }
  const volume = environment.provider.volume();
  await volume.remove(dagFilePath(fileloc));
  // A manifest's own callables go with it (a Python file's modules stay: other files may import them).
  for (const file of await filesUnder(environment, dagFilePath(callablesFolderOf(fileloc)))) await volume.remove(file);
  await volume.commit();
  await environment.provider.spawner().requestTick();
  return { dag_id: dagId, fileloc };
}

export interface DagListing {
  dags: DagJson[];
  import_errors: Array<{ filename: string; stack_trace: string; timestamp: string }>;
  /** Manifests on the volume that no tick has parsed yet (neither a DAG nor an import error names them). */
  unparsed_files: string[];
}

export async function listEnvironmentDags(environment: Environment): Promise<DagListing> {
  let listing: Omit<DagListing, 'unparsed_files'>;
  /** Files a tick has parsed, including those that declared no DAG (a Python file of helpers). */
  let parsedFiles: string[] = [];
  try {
    listing = await withReadDatabase(environment, async (db) => {
      const [rows, tags, errors, files] = await Promise.all([listDags(db), listDagTags(db), listImportErrors(db), listDagFiles(db)]);
      parsedFiles = files.map((file) => file.fileloc);
      return {
        dags: rows.map((row) => dagJson(row, tags)),
        import_errors: errors.map((e: ImportErrorRow) => ({ filename: e.filename, stack_trace: e.stacktrace, timestamp: e.timestamp })),
      };
    });
  } catch (error) {
    if (!(error instanceof NoDatabaseYetError)) throw error;
    listing = { dags: [], import_errors: [] };
  }
  const seen = new Set([...listing.dags.map((d) => d.relative_fileloc ?? d.fileloc), ...listing.import_errors.map((e) => e.filename), ...parsedFiles]);
  const unparsed: string[] = [];
  for (const file of await dagFilesOnVolume(environment)) {
    if (seen.has(file)) continue;
    // A Python file that is not a DAG file (a helper module) is never parsed, so it is never "not yet parsed".
    if (isPythonFile(file)) {
      const bytes = await environment.provider.volume().get(dagFilePath(file));
      if (!bytes || !mightContainDag(Buffer.from(bytes).toString('utf8'))) continue;
    }
    unparsed.push(file);
  }
  return { ...listing, unparsed_files: unparsed };
}

/** DAG file candidates on the volume (manifests and Python files), relative to `dags/`. */
async function dagFilesOnVolume(environment: Environment): Promise<string[]> {
  const entries = await environment.provider.volume().list(DAGS_DIR);
  return entries
    .filter((entry) => entry.type === 'file')
    .map((entry) => entry.path.slice(DAGS_DIR.length + 1))
    .filter((relative) => DAG_FILE_EXTENSIONS.has(path.extname(relative).toLowerCase()) && !relative.split('/').some((part) => part.startsWith('.')))
    .sort();
}

/**
 * One DAG with its tasks. Read from the database when a tick has parsed it; otherwise from its manifest on
 * the volume (just uploaded), with the database-only fields empty.
 */
export async function showDag(environment: Environment, dagId: string): Promise<DagDetailJson> {
  const fromDb = await withReadDatabase(environment, async (db) => {
    const row = await getDag(db, dagId);
    if (!row || row.is_stale) return undefined;
    const spec = await loadDagSpec(db, dagId);
    return spec ? { row, spec, tags: await listDagTags(db, dagId) } : undefined;
  }).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return undefined;
    throw error;
  });
  if (fromDb) {
    return {
      ...dagJson(fromDb.row, fromDb.tags),
      ...specDetails(fromDb.spec),
    };
  }
  const spec = await findSpecOnVolume(environment, dagId);
  return {
    dag_id: spec.dag_id,
    dag_display_name: spec.dag_id,
    is_paused: spec.is_paused_upon_creation ?? environment.config.core.dags_are_paused_at_creation,
    is_stale: false,
    fileloc: spec.fileloc,
    relative_fileloc: spec.fileloc,
    description: spec.description,
    timetable_summary: null,
    timetable_description: null,
    tags: spec.tags.map((name) => ({ name, dag_id: spec.dag_id })),
    owners: spec.owners,
    max_active_runs: spec.max_active_runs,
    max_active_tasks: spec.max_active_tasks,
    has_import_errors: false,
    last_parsed_time: null,
    next_dagrun_logical_date: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_run_after: null,
    ...specDetails(spec),
  };
}

function specDetails(spec: DagSpec): Pick<DagDetailJson, 'schedule' | 'start_date' | 'end_date' | 'catchup' | 'params' | 'warnings' | 'doc_md' | 'tasks'> {
  return {
    schedule: spec.schedule,
    start_date: spec.start_date,
    end_date: spec.end_date,
    catchup: spec.catchup,
    params: spec.params,
    warnings: spec.warnings ?? [],
    doc_md: spec.doc_md,
    tasks: dagTasksJson(spec),
  };
}

async function findSpecOnVolume(environment: Environment, dagId: string): Promise<DagSpec> {
  const fileloc = (await knownDags(environment)).get(dagId);
  if (fileloc === undefined) throw new UnknownDagError(dagId, environment.name);
  let specs: DagSpec[];
  if (isPythonFile(fileloc)) {
    const python = (await dagFilesOnVolume(environment)).filter(isPythonFile);
    specs = (await parsePythonFilesOnVolume(environment, python, [fileloc])).get(fileloc) ?? [];
  } else {
    const bytes = await environment.provider.volume().get(dagFilePath(fileloc));
    specs = await parseManifestText(environment, Buffer.from(bytes ?? []).toString('utf8'), fileloc);
  }
  const spec = specs.find((s) => s.dag_id === dagId);
  if (!spec) throw new UnknownDagError(dagId, environment.name);
  return spec;
}

/** The DAG as the tick last parsed it, or as its file on the volume declares it when no tick has yet. */
async function currentSpec(environment: Environment, dagId: string): Promise<DagSpec> {
  const fromDb = await withReadDatabase(environment, async (db) => {
    const row = await getDag(db, dagId);
    return row && !row.is_stale ? loadDagSpec(db, dagId) : undefined;
  }).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return undefined;
    throw error;
  });
  return fromDb ?? findSpecOnVolume(environment, dagId);
}

/** A DAG exists when a manifest on the volume declares it (the tick may not have parsed it yet). */
export async function assertDagExists(environment: Environment, dagId: string): Promise<void> {
  if (!(await knownDags(environment)).has(dagId)) throw new UnknownDagError(dagId, environment.name);
}

async function queueCommand(environment: Environment, command: Command): Promise<void> {
  const dict = await environment.provider.stateDict();
  await dict.put(commandKey(command.id), command);
  await environment.provider.spawner().requestTick();
}

export interface TriggerResult {
  dag_id: string;
  dag_run_id: string;
  logical_date: string;
  command_id: string;
  /** The DAG is paused (or a pause is pending): the run will stay queued until it is unpaused. */
  is_paused: boolean;
}

/**
 * Queues a manual run (`manual__<iso>`); the next tick creates it. A run id or logical date the DAG already
 * has (in the database, or in a trigger still waiting for its tick) is refused here: the tick would reject
 * the command, but only in its own log, after the user was told the run was queued.
 */
export async function triggerDag(
  environment: Environment,
  dagId: string,
  options: { conf?: Record<string, unknown>; logicalDate?: Date; runId?: string; now?: Date } = {},
): Promise<TriggerResult> {
  const runIdIssue = options.runId === undefined ? null : runIdProblem(options.runId);
  if (runIdIssue) throw new UserInputError(`--run-id: ${runIdIssue}`);
  await assertDagExists(environment, dagId);
  const spec = await currentSpec(environment, dagId);
  const paramsIssue = paramsProblem(spec, options.conf ?? {});
  if (paramsIssue) throw new UserInputError(`DAG "${dagId}": ${paramsIssue}`);
  const logicalDate = options.logicalDate ?? options.now ?? new Date();
  const logicalIso = logicalDate.toISOString();
  const runId = options.runId ?? generateRunId('manual', logicalDate);
  const dict = await environment.provider.stateDict();
  const pending = await pendingCommands(dict);
  const isPaused = await assertRunIsNew(environment, dagId, runId, logicalIso, pending);
  const command = newTriggerCommand({
    dag_id: dagId,
    run_id: runId,
    conf: options.conf ?? {},
    logical_date: logicalIso,
    requested_at: (options.now ?? new Date()).toISOString(),
    by: 'cli',
  });
  // Same id for the same run id: of two concurrent identical triggers, exactly one is recorded.
  if (!(await submitCommand(dict, command))) throw new DuplicateRunError(dagId, runId, 'queued');
  await environment.provider.spawner().requestTick();
  const isPausedAfterPending = pendingPauseStates(pending).get(dagId) ?? isPaused;
  return { dag_id: dagId, dag_run_id: runId, logical_date: logicalIso, command_id: command.id, is_paused: isPausedAfterPending };
}

export class DuplicateRunError extends UserInputError {
  constructor(dagId: string, runId: string, where: 'queued' | 'exists') {
    super(
      where === 'exists'
        ? `DAG "${dagId}" already has a run with this run id or logical date ("${runId}"); pass another --logical-date (or --run-id), or see it with \`runs list --dag-id ${dagId}\``
        : `run "${runId}" of DAG "${dagId}" is already queued (the next tick creates it); pass another --logical-date (or --run-id)`,
    );
    this.name = 'DuplicateRunError';
  }
}

/** Refuses a run id or logical date already taken; answers whether the DAG is paused in the database. */
async function assertRunIsNew(
  environment: Environment,
  dagId: string,
  runId: string,
  logicalIso: string,
  pending: readonly Command[],
): Promise<boolean> {
  const queued = pendingTriggers(pending, dagId).find((t) => t.run_id === runId || t.logical_date === logicalIso);
  if (queued) throw new DuplicateRunError(dagId, queued.run_id, 'queued');
  const found = await withReadDatabase(environment, async (db) => ({
    run: (await getDagRun(db, dagId, runId)) ?? (await findDagRunByLogicalDate(db, dagId, logicalIso)),
    paused: (await getDag(db, dagId))?.is_paused ?? null,
  })).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return { run: undefined, paused: null };
    throw error;
  });
  if (found.run) throw new DuplicateRunError(dagId, found.run.run_id, 'exists');
  return found.paused ?? environment.config.core.dags_are_paused_at_creation;
}

export async function setDagPaused(environment: Environment, dagId: string, paused: boolean): Promise<{ command_id: string }> {
  await assertDagExists(environment, dagId);
  const id = crypto.randomUUID();
  await queueCommand(environment, {
    id,
    kind: paused ? 'pause' : 'unpause',
    dag_id: dagId,
    requested_at: new Date().toISOString(),
    by: 'cli',
  });
  return { command_id: id };
}
