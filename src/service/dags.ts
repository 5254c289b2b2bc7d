/**
 * DAG operations: upload (create/update) and delete manifest files on the volume, list and show DAGs,
 * and queue trigger/pause/unpause commands in the state dict. A manifest is parsed and validated here,
 * before upload, so a bad file never reaches the volume; the tick re-parses it on its side.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ManifestError, manifestDefaultsFrom, parseManifest } from '../dag/index.js';
import type { DagSpec } from '../dag/model.js';
import { findDagRunByLogicalDate, getDagRun } from '../db/queries/dag-runs.js';
import { getDag, listDagTags, listDags } from '../db/queries/dags.js';
import { listImportErrors } from '../db/queries/import-errors.js';
import type { ImportErrorRow } from '../db/queries/import-errors.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import type { Command } from '../executor/protocol.js';
import { commandKey } from '../executor/protocol.js';
import type { Progress } from '../providers/ports.js';
import { generateRunId } from '../timetable/index.js';
import { DAGS_DIR, dagFilePath } from '../volume-layout.js';
import { callableFiles, manifestLoadProblems } from '../scheduler/manifest-checks.js';
import { newTriggerCommand, pendingCommands, pendingPauseStates, pendingTriggers, submitCommand } from './commands.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownDagError, UserInputError } from './errors.js';
import type { DagDetailJson, DagJson } from './shapes.js';
import { dagJson, dagTasksJson } from './shapes.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);

export interface UploadResult {
  /** Manifest path relative to `dags/`. */
  fileloc: string;
  dags: Array<{ dag_id: string; tasks: number }>;
  /** Python callable files uploaded beside the manifest, relative to `dags/`. */
  callables: string[];
}

/**
 * Uploads a manifest. `create` refuses a file name already on the volume; `update` requires it. Python
 * callable files the manifest names (`python_callable_file`, relative to `dags/`) are read relative to the
 * manifest's own folder and uploaded first, so the manifest never points at a missing file.
 */
export async function uploadDagFile(
  environment: Environment,
  localFile: string,
  mode: 'create' | 'update',
  progress: Progress,
): Promise<UploadResult> {
  const fileloc = path.basename(localFile);
  if (!MANIFEST_EXTENSIONS.has(path.extname(fileloc).toLowerCase())) {
    throw new UserInputError(`${localFile}: a DAG manifest must be a .yaml or .yml file`);
  }
  let text: string;
  try {
    text = fs.readFileSync(localFile, 'utf8');
  } catch (error) {
    throw new UserInputError(`cannot read ${localFile}: ${readFailure(error)}`, { cause: error });
  }
  progress.step(`validating ${localFile}`);
  let specs: DagSpec[];
  try {
    specs = parseManifest(text, fileloc, manifestDefaultsFrom(environment.config));
  } catch (error) {
    // Name the file as the user gave it, so `path:line` points at their copy.
    if (error instanceof ManifestError) throw new ManifestError(localFile, error.problems, { cause: error });
    throw error;
  }
  const manifestDir = path.dirname(path.resolve(localFile));
  // The tick runs the same checks on the volume's copy (manifest-sync.ts): both refuse the same files.
  const loadProblems = manifestLoadProblems(specs, {
    exists: (file) => fs.existsSync(path.resolve(manifestDir, file)),
    where: (file) => `for ${path.resolve(manifestDir, file)}`,
  });
  if (loadProblems.length > 0) throw new ManifestError(localFile, loadProblems);

  const volume = environment.provider.volume();
  const exists = (await volume.get(dagFilePath(fileloc))) !== undefined;
  if (mode === 'create' && exists) {
    throw new UserInputError(`${fileloc} already exists in environment "${environment.name}"; use \`dags update\` to replace it`);
  }
  if (mode === 'update' && !exists) {
    throw new UserInputError(`${fileloc} does not exist in environment "${environment.name}"; use \`dags create\` to add it`);
  }
  await assertNoDagIdClash(environment, specs, fileloc);

  const callables = callableFiles(specs);
  for (const callable of callables) {
    progress.step(`uploading ${callable}`);
    await volume.put(dagFilePath(callable), fs.readFileSync(path.resolve(manifestDir, callable)));
  }
  progress.step(`uploading ${fileloc}`);
  await volume.put(dagFilePath(fileloc), Buffer.from(text, 'utf8'));
  await volume.commit();
  await environment.provider.spawner().requestTick();
  return { fileloc, dags: specs.map((spec) => ({ dag_id: spec.dag_id, tasks: spec.tasks.length })), callables };
}

/** An fs error in words: "ENOENT" alone tells a user less than "no such file". */
function readFailure(error: unknown): string {
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

/** dag_id -> manifest (relative to dags/), from the manifests on the volume: the source of truth for uploads. */
async function knownDags(environment: Environment): Promise<Map<string, string>> {
  const volume = environment.provider.volume();
  const known = new Map<string, string>();
  for (const relative of await manifestFiles(environment)) {
    const bytes = await volume.get(dagFilePath(relative));
    if (!bytes) continue;
    try {
      for (const spec of parseManifest(Buffer.from(bytes).toString('utf8'), relative, manifestDefaultsFrom(environment.config))) {
        known.set(spec.dag_id, relative);
      }
    } catch {
      // A broken file on the volume (uploaded by an older version, edited by hand) declares nothing usable.
    }
  }
  return known;
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
  try {
    listing = await withReadDatabase(environment, async (db) => {
      const [rows, tags, errors] = await Promise.all([listDags(db), listDagTags(db), listImportErrors(db)]);
      return {
        dags: rows.map((row) => dagJson(row, tags)),
        import_errors: errors.map((e: ImportErrorRow) => ({ filename: e.filename, stack_trace: e.stacktrace, timestamp: e.timestamp })),
      };
    });
  } catch (error) {
    if (!(error instanceof NoDatabaseYetError)) throw error;
    listing = { dags: [], import_errors: [] };
  }
  const seen = new Set([...listing.dags.map((d) => d.relative_fileloc ?? d.fileloc), ...listing.import_errors.map((e) => e.filename)]);
  const unparsed = (await manifestFiles(environment)).filter((file) => !seen.has(file));
  return { ...listing, unparsed_files: unparsed };
}

/** Manifest paths on the volume, relative to `dags/`. */
async function manifestFiles(environment: Environment): Promise<string[]> {
  const entries = await environment.provider.volume().list(DAGS_DIR);
  return entries
    .filter((entry) => entry.type === 'file')
    .map((entry) => entry.path.slice(DAGS_DIR.length + 1))
    .filter((relative) => MANIFEST_EXTENSIONS.has(path.extname(relative).toLowerCase()))
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

function specDetails(spec: DagSpec): Pick<DagDetailJson, 'schedule' | 'start_date' | 'end_date' | 'catchup' | 'params' | 'tasks'> {
  return {
    schedule: spec.schedule,
    start_date: spec.start_date,
    end_date: spec.end_date,
    catchup: spec.catchup,
    params: spec.params,
    tasks: dagTasksJson(spec),
  };
}

async function findSpecOnVolume(environment: Environment, dagId: string): Promise<DagSpec> {
  const fileloc = (await knownDags(environment)).get(dagId);
  if (fileloc === undefined) throw new UnknownDagError(dagId, environment.name);
  const bytes = await environment.provider.volume().get(dagFilePath(fileloc));
  const spec = parseManifest(Buffer.from(bytes ?? []).toString('utf8'), fileloc, manifestDefaultsFrom(environment.config)).find(
    (s) => s.dag_id === dagId,
  );
  if (!spec) throw new UnknownDagError(dagId, environment.name);
  return spec;
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
  options: { conf?: Record<string, unknown>; logicalDate?: Date; now?: Date } = {},
): Promise<TriggerResult> {
  await assertDagExists(environment, dagId);
  const logicalDate = options.logicalDate ?? options.now ?? new Date();
  const logicalIso = logicalDate.toISOString();
  const runId = generateRunId('manual', logicalDate);
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
        ? `DAG "${dagId}" already has a run with this logical date ("${runId}"); pass another --logical-date, or see it with \`runs list --dag-id ${dagId}\``
        : `run "${runId}" of DAG "${dagId}" is already queued (the next tick creates it); pass another --logical-date`,
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
