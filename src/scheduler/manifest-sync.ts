/**
 * Step 3 of the tick: bring the database in line with the DAG files under `dags/` (YAML manifests, and
 * Python files as `src/parse/dag-discovery.ts` picks them). Only files whose content hash changed are
 * parsed; a Python file also when a local module it imported changed. Changed Python files share one parse
 * worker per tick, started only when there is one. A file that fails leaves its DAGs at their last good version (flagged
 * `has_import_errors`) and gets one `import_error` row; a DAG whose file (or whose id in the file) is gone
 * becomes stale. One bad file never stops the tick: every file is parsed before anything is written, a bad
 * one is only an import error, and the good parses are written a batch of files per transaction.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DagSpec } from '../dag/model.js';
import { hashSerializedDag, manifestDefaultsFrom, ManifestError, parseManifest, serializeDag, specsFromRawDags } from '../dag/index.js';
import type { ManifestDefaults } from '../dag/index.js';
import type { Queryable } from '../db/backend.js';
import { deleteDagFile, listDagFiles, upsertDagFile, upsertDagFiles } from '../db/queries/dag-files.js';
import type { DagFileRow } from '../db/queries/dag-files.js';
import { getDags, replaceTagsOfDags, setDagsImportErrors, setDagsStale, upsertDags } from '../db/queries/dags.js';
import type { DagUpsert, NextDagrunFields } from '../db/queries/dags.js';
import { deleteImportError, deleteImportErrors, replaceImportError } from '../db/queries/import-errors.js';
import { getSerializedDags, upsertSerializedDags } from '../db/queries/serialized-dags.js';
import { chunks } from '../db/queries/sql.js';
import { listDagFileCandidates } from '../parse/dag-discovery.js';
import { contentOf, scanDagFiles } from '../parse/file-scan.js';
import { ParseWorker } from '../parse/parse-worker.js';
import { PythonFolderState } from '../parse/python-hashes.js';
import { CALLABLES_DIR, DAGS_DIR } from '../volume-layout.js';
import type { TickContext } from './context.js';
import { lastAutomatedDataInterval, nextRunInfo, scheduleSignature, timetableOf, toNextDagrunFields } from './next-dagrun.js';
import { dagUpsertOf } from './register-dag.js';

export interface ManifestSyncResult {
  /** Files parsed this pass (content changed). */
  parsed: number;
  /** Files skipped because their hash was unchanged. */
  unchanged: number;
  /** Files that failed this pass. */
  failed: number;
  /** Files gone since the last pass. */
  removed: number;
}

/** Writes the file's failure as its import error; its DAGs keep their last good version. */
async function writeImportError(
  tx: Queryable,
  ctx: TickContext,
  args: { fileloc: string; contentHash: string; previous: DagFileRow | undefined; error: unknown },
): Promise<void> {
  const { fileloc, error } = args;
  const stacktrace =
    error instanceof PythonImportError || error instanceof ManifestError
      ? error.message
      : `${fileloc}: ${error instanceof Error ? error.message : String(error)}`;
  ctx.logger.warn('DAG file failed to import', { fileloc, error: stacktrace.split('\n')[0] });
  await replaceImportError(tx, { filename: fileloc, stacktrace, timestamp: ctx.nowIso });
  const dagIds = args.previous?.dag_ids ?? [];
  if (dagIds.length > 0) await setDagsImportErrors(tx, dagIds, true);
  await upsertDagFile(tx, { fileloc, content_hash: args.contentHash, last_parsed_time: ctx.nowIso, dag_ids: dagIds });
}

/** A Python DAG file that failed to import: its one-line error first, then the worker's traceback. */
class PythonImportError extends Error {
  constructor(error: string, traceback: string) {
    super(traceback.includes(error) ? `${error}\n${traceback.replace(/\n+$/, '')}` : `${error}\n${traceback}\n${error}`);
    this.name = 'PythonImportError';
  }
}

/**
 * Parses the changed Python DAG files with one parse worker (started here, ended here). Good parses join
 * `good`, stored with the hashes of the local modules they imported; failures are written as import
 * errors at once. Returns how many failed.
 */
async function parsePythonFiles(
  ctx: TickContext,
  args: { dagsDir: string; files: readonly ChangedFile[]; state: PythonFolderState; defaults: ManifestDefaults; good: GoodParse[] },
): Promise<number> {
  let failed = 0;
  const worker = new ParseWorker({
    dagsDir: args.dagsDir,
    timeoutSeconds: ctx.config.core.dagbag_import_timeout,
    onOutput: (text) => ctx.logger.info('DAG file output', { text: text.trimEnd() }),
  });
  try {
    for (const file of args.files) {
      const started = performance.now();
      const answer = await worker.parse(file.fileloc);
      let error: unknown;
      if (answer.ok) {
        try {
          const specs = specsFromRawDags(answer.dags, file.fileloc, args.defaults, answer.warnings);
          for (const spec of specs) timetableOf(spec, ctx.config);
          const contentHash = args.state.hashWithModules(file.contentHash, answer.modules);
          args.good.push({ ...file, contentHash, specs, seconds: (performance.now() - started) / 1000 });
          continue;
        } catch (caught) {
          error = caught;
        }
      } else {
        error = new PythonImportError(answer.error, answer.traceback);
      }
      const contentHash = args.state.hashAfterFailure(file.contentHash);
      await ctx.ensureLease();
      await ctx.db.transaction((tx) => writeImportError(tx, ctx, { ...file, contentHash, error }));
      failed++;
    }
  } finally {
    await worker.close();
  }
  return failed;
}

/** A manifest whose content changed since the last pass. */
interface ChangedFile {
  fileloc: string;
  contentHash: string;
  previous: DagFileRow | undefined;
}

/** A changed manifest that parsed, with the time its parse took. */
interface GoodParse extends ChangedFile {
  specs: DagSpec[];
  seconds: number;
}

/**
 * Good parses are written this many files per transaction. One transaction per file cost Postgres a
 * dozen round trips per file; one for all would hold the write lock for the whole first sync of a large
 * folder and lose all of it to one late error.
 */
const FILES_PER_TRANSACTION = 100;

export async function syncManifests(ctx: TickContext, volumeRoot: string): Promise<ManifestSyncResult> {
  const result: ManifestSyncResult = { parsed: 0, unchanged: 0, failed: 0, removed: 0 };
  const dagsDir = path.join(volumeRoot, DAGS_DIR);
  const files = await listDagFileCandidates(dagsDir);
  if (files === null) {
    ctx.logger.warn('no dags/ folder on the volume; skipping the manifest sync', { root: volumeRoot });
    return result;
  }
  const defaults = manifestDefaultsFrom(ctx.config);
  // The defaults shape every parse, so they are part of the hash: changing them re-parses every file.
  const defaultsKey = JSON.stringify(defaults);
  const known = new Map((await listDagFiles(ctx.db)).map((row) => [row.fileloc, row]));
  const present = new Set<string>();
  const pythonState = new PythonFolderState(dagsDir);
  const pythonChanged: ChangedFile[] = [];

  // Parse every changed file first, then write the good parses in a few transactions.
  const good: GoodParse[] = [];
  // Scan every file first: whether a failed Python file must be retried depends on all Python files.
  const scanned = scanDagFiles(dagsDir, files, (fileloc, error) =>
    ctx.logger.warn('cannot read DAG file; will retry next tick', { fileloc, error: error.message }),
  );
  for (const file of scanned) if (file?.python) pythonState.record(file.fileloc, file.hash);
  for (const [position, fileloc] of files.entries()) {
    const file = scanned[position];
    if (!file) {
      present.add(fileloc);
      continue;
    }
    // A helper module, not a DAG file (Airflow's safe-mode heuristic): never imported on its own.
    if (!file.isDag) continue;
    present.add(fileloc);
    const contentHash = file.hashWith(defaultsKey);
    const previous = known.get(fileloc);
    if (file.python ? pythonState.upToDate(previous?.content_hash, contentHash) : previous?.content_hash === contentHash) {
      result.unchanged++;
      continue;
    }
    result.parsed++;
    if (file.python) {
      pythonChanged.push({ fileloc, contentHash, previous });
      continue;
    }
    let content: string;
    try {
      content = contentOf(dagsDir, file);
    } catch (error) {
      ctx.logger.warn('cannot read DAG file; will retry next tick', { fileloc, error: (error as Error).message });
      result.parsed--;
      continue;
    }
    const started = performance.now();
    // Only parsing decides whether a file is bad: it is pure, so any error it throws is the file's fault.
    // Storing is not: a database error there (a dropped connection, a lost lease) must fail the tick and
    // leave the hashes of the files not yet committed unrecorded, so the next tick parses them again
    // instead of filing import errors.
    let specs: DagSpec[];
    try {
      specs = parseManifest(content, fileloc, defaults);
      for (const spec of specs) timetableOf(spec, ctx.config); // a schedule the timetable refuses is an import error too
      // What `dags create` refuses is an import error here too (a file copied straight onto the volume).
      // Imported on the first changed manifest: it loads the template checker (nunjucks), which an idle
      // tick, and the `tick`/`scheduler` commands' start, need not pay for (test/cli-startup.test.ts).
      const { manifestLoadProblems } = await import('./manifest-checks.js');
      // Where the worker looks (operators/python.ts): the manifest's own copy under dags/.callables/<fileloc>/
      // (uploads put it there), else dags/ itself (a file put on the volume by hand).
      const loadProblems = manifestLoadProblems(specs, {
        exists: (file) =>
          existsSync(path.join(volumeRoot, DAGS_DIR, CALLABLES_DIR, fileloc, file)) || existsSync(path.join(volumeRoot, DAGS_DIR, file)),
        where: () => `in dags/${CALLABLES_DIR}/${fileloc}/ and in dags/`,
      });
      if (loadProblems.length > 0) throw new ManifestError(fileloc, loadProblems);
    } catch (error) {
      await ctx.ensureLease();
      await ctx.db.transaction((tx) => writeImportError(tx, ctx, { fileloc, contentHash, previous, error }));
      result.failed++;
      continue;
    }
    good.push({ fileloc, contentHash, previous, specs, seconds: (performance.now() - started) / 1000 });
  }
  if (pythonChanged.length > 0) {
    result.failed += await parsePythonFiles(ctx, { dagsDir, files: pythonChanged, state: pythonState, defaults, good });
  }

  // What each file parsed this pass declares now, so a DAG moved from one file to another in one edit is a
  // move whichever file is written first, not a duplicate.
  const declaredNow = new Map(good.map((file) => [file.fileloc, new Set(file.specs.map((spec) => spec.dag_id))]));
  for (const batch of chunks(good, FILES_PER_TRANSACTION)) {
    await ctx.ensureLease();
    const stored = await ctx.db.transaction((tx) => storeGoodParses(tx, ctx, batch, present, declaredNow));
    result.failed += batch.length - stored.length;
    for (const file of stored) for (const spec of file.specs) ctx.forgetDag(spec.dag_id);
  }

  for (const [fileloc, row] of known) {
    if (present.has(fileloc)) continue;
    result.removed++;
    await ctx.ensureLease();
    await ctx.db.transaction(async (tx) => {
      const owners = await getDags(tx, row.dag_ids);
      await setDagsStale(tx, row.dag_ids.filter((id) => owners.get(id)?.fileloc === fileloc), true);
      await deleteImportError(tx, fileloc);
      await deleteDagFile(tx, fileloc);
    });
  }
  return result;
}

/** Where a DAG id stands while a batch is decided: its row as read, updated by the files decided before. */
interface DagClaim {
  fileloc: string;
  is_stale: boolean;
}

/**
 * Writes a batch of good parses in the caller's transaction, deciding file by file in order as if each
 * were written alone, then writing all rows in a few multi-row statements. A file that declares a DAG id
 * another existing file still declares is an import error instead (Airflow reports such a duplicate so),
 * and nothing of its parse is written. Returns the files whose parse was stored.
 */
async function storeGoodParses(
  tx: Queryable,
  ctx: TickContext,
  batch: readonly GoodParse[],
  present: ReadonlySet<string>,
  declaredNow: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<GoodParse[]> {
  const allIds = batch.flatMap((file) => [...file.specs.map((spec) => spec.dag_id), ...(file.previous?.dag_ids ?? [])]);
  const rows = await getDags(tx, allIds);
  const claims = new Map<string, DagClaim>([...rows].map(([id, row]) => [id, { fileloc: row.fileloc, is_stale: row.is_stale }]));
  const serialized = await getSerializedDags(tx, batch.flatMap((file) => file.specs.map((spec) => spec.dag_id)));

  const stored: GoodParse[] = [];
  const clashes: Array<{ file: GoodParse; error: Error }> = [];
  const dags: Array<DagUpsert & { next?: NextDagrunFields }> = [];
  const serializedRows: Array<{ dag_id: string; fileloc: string; data: string; dag_hash: string; now: string }> = [];
  /** DAG ids a file of this batch dropped (and still owned), unless a later file of the batch claims them. */
  const dropped = new Set<string>();

  for (const file of batch) {
    const { fileloc, specs } = file;
    const clash = specs.find((spec) => {
      const claim = claims.get(spec.dag_id);
      if (claim === undefined || claim.fileloc === fileloc || claim.is_stale || !present.has(claim.fileloc)) return false;
      // The other file was parsed in this pass too and no longer declares the id: the DAG moved here.
      return declaredNow.get(claim.fileloc)?.has(spec.dag_id) ?? true;
    });
    if (clash) {
      clashes.push({ file, error: new Error(`DAG id '${clash.dag_id}' is already defined in ${claims.get(clash.dag_id)!.fileloc}`) });
      continue;
    }
    for (const spec of specs) {
      const claim = claims.get(spec.dag_id);
      const previousSpec = serialized.get(spec.dag_id);
      const timetable = timetableOf(spec, ctx.config);
      const scheduleChanged =
        !previousSpec || scheduleSignature(JSON.parse(previousSpec.data) as DagSpec) !== scheduleSignature(spec);
      let next: NextDagrunFields | undefined;
      // A DAG that comes back from stale is treated as new: its old next run may be long past. A DAG with no
      // row has no runs (runs are only ever created for DAGs with a row, and rows are never deleted).
      if (!claim || claim.is_stale || scheduleChanged) {
        const last = rows.has(spec.dag_id) ? await lastAutomatedDataInterval(tx, spec.dag_id) : null;
        next = toNextDagrunFields(nextRunInfo(timetable, spec, last, ctx.now));
      }
      dags.push({
        ...dagUpsertOf(spec, timetable, {
          fileloc,
          now: ctx.nowIso,
          seconds: file.seconds,
          pausedAtCreation: spec.is_paused_upon_creation ?? ctx.config.core.dags_are_paused_at_creation,
        }),
        ...(next ? { next } : {}),
      });
      const data = serializeDag(spec);
      serializedRows.push({ dag_id: spec.dag_id, fileloc, data, dag_hash: hashSerializedDag(data), now: ctx.nowIso });
      claims.set(spec.dag_id, { fileloc, is_stale: false });
      dropped.delete(spec.dag_id);
    }
    const ids = new Set(specs.map((spec) => spec.dag_id));
    for (const id of file.previous?.dag_ids ?? []) {
      const claim = claims.get(id);
      if (ids.has(id) || claim?.fileloc !== fileloc) continue; // a DAG may have moved to another file
      claim.is_stale = true;
      dropped.add(id);
    }
    stored.push(file);
  }

  for (const { file, error } of clashes) await writeImportError(tx, ctx, { ...file, error });
  await upsertDags(tx, dags);
  await replaceTagsOfDags(tx, stored.flatMap((file) => file.specs.map((spec) => ({ dag_id: spec.dag_id, tags: spec.tags }))));
  await upsertSerializedDags(tx, serializedRows);
  if (dropped.size > 0) {
    await setDagsStale(tx, [...dropped], true);
    await setDagsImportErrors(tx, [...dropped], false);
  }
  if (stored.length > 0) {
    await deleteImportErrors(tx, stored.map((file) => file.fileloc));
    await upsertDagFiles(
      tx,
      stored.map((file) => ({
        fileloc: file.fileloc,
        content_hash: file.contentHash,
        last_parsed_time: ctx.nowIso,
        dag_ids: file.specs.map((spec) => spec.dag_id),
      })),
    );
  }
  return stored;
}
