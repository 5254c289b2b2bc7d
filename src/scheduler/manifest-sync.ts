/**
 * Step 3 of the tick: bring the database in line with the manifests under `dags/`. Only files whose content
 * hash changed are parsed. A file that fails leaves its DAGs at their last good version (flagged
 * `has_import_errors`) and gets one `import_error` row; a DAG whose file (or whose id in the file) is gone
 * becomes stale. One bad file never stops the tick: each file is its own transaction.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DagSpec } from '../dag/model.js';
import { hashSerializedDag, manifestDefaultsFrom, ManifestError, parseManifest, serializeDag } from '../dag/index.js';
import type { Queryable } from '../db/backend.js';
import { deleteDagFile, listDagFiles, upsertDagFile } from '../db/queries/dag-files.js';
import type { DagFileRow } from '../db/queries/dag-files.js';
import { getDag, replaceDagTags, setDagsImportErrors, setDagsStale, upsertDag } from '../db/queries/dags.js';
import { deleteImportError, replaceImportError } from '../db/queries/import-errors.js';
import { getSerializedDag, upsertSerializedDag } from '../db/queries/serialized-dags.js';
import { DAGS_DIR } from '../volume-layout.js';
import type { TickContext } from './context.js';
import { refreshNextDagrun, scheduleSignature, timetableOf } from './next-dagrun.js';

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

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Manifest paths relative to `dags/`, `/`-separated, sorted; hidden files and folders are ignored. */
export async function listManifests(dagsDir: string): Promise<string[] | null> {
  const out: string[] = [];
  async function walk(dir: string, prefix: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative);
      else if (entry.isFile() && MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(relative);
    }
  }
  try {
    await walk(dagsDir, '');
  } catch (error) {
    // No dags/ folder at all is "nothing to sync", not "every file was deleted": a volume that failed to
    // mount must not turn every DAG stale.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return out.sort();
}

/** Files the file's failure as its import error; its DAGs keep their last good version. */
async function recordImportError(
  ctx: TickContext,
  args: { fileloc: string; contentHash: string; previous: DagFileRow | undefined; error: unknown },
): Promise<void> {
  const { fileloc, error } = args;
  const stacktrace =
    error instanceof ManifestError ? error.message : `${fileloc}: ${error instanceof Error ? error.message : String(error)}`;
  ctx.logger.warn('manifest failed to import', { fileloc, error: stacktrace });
  await ctx.ensureLease();
  await ctx.db.transaction(async (tx) => {
    await replaceImportError(tx, { filename: fileloc, stacktrace, timestamp: ctx.nowIso });
    const dagIds = args.previous?.dag_ids ?? [];
    if (dagIds.length > 0) await setDagsImportErrors(tx, dagIds, true);
    await upsertDagFile(tx, { fileloc, content_hash: args.contentHash, last_parsed_time: ctx.nowIso, dag_ids: dagIds });
  });
}

export async function syncManifests(ctx: TickContext, volumeRoot: string): Promise<ManifestSyncResult> {
  const result: ManifestSyncResult = { parsed: 0, unchanged: 0, failed: 0, removed: 0 };
  const files = await listManifests(path.join(volumeRoot, DAGS_DIR));
  if (files === null) {
    ctx.logger.warn('no dags/ folder on the volume; skipping the manifest sync', { root: volumeRoot });
    return result;
  }
  const defaults = manifestDefaultsFrom(ctx.config);
  // The defaults shape every parse, so they are part of the hash: changing them re-parses every file.
  const defaultsKey = JSON.stringify(defaults);
  const known = new Map((await listDagFiles(ctx.db)).map((row) => [row.fileloc, row]));
  const present = new Set(files);

  for (const fileloc of files) {
    let content: string;
    try {
      // Synchronous on purpose: a thousand small awaited reads cost 50-100 ms of event-loop round trips per
      // idle tick, sync reads about a tenth of that, and the tick has nothing else to do meanwhile.
      content = readFileSync(path.join(volumeRoot, DAGS_DIR, fileloc), 'utf8');
    } catch (error) {
      ctx.logger.warn('cannot read manifest; will retry next tick', { fileloc, error: (error as Error).message });
      continue;
    }
    const contentHash = createHash('sha256').update(defaultsKey).update('\n').update(content).digest('hex');
    const previous = known.get(fileloc);
    if (previous?.content_hash === contentHash) {
      result.unchanged++;
      continue;
    }
    result.parsed++;
    const started = performance.now();
    // Only parsing decides whether a file is bad: it is pure, so any error it throws is the file's fault.
    // Storing is not: a database error there (a dropped connection, a lost lease) must fail the tick and
    // leave the file's hash unrecorded, so the next tick parses it again instead of filing an import error.
    let specs: DagSpec[];
    try {
      specs = parseManifest(content, fileloc, defaults);
      for (const spec of specs) timetableOf(spec, ctx.config); // a schedule the timetable refuses is an import error too
    } catch (error) {
      await recordImportError(ctx, { fileloc, contentHash, previous, error });
      result.failed++;
      continue;
    }
    await ctx.ensureLease();
    const clash = await ctx.db.transaction((tx) =>
      storeGoodParse(tx, ctx, { fileloc, contentHash, previous, specs, present, seconds: (performance.now() - started) / 1000 }),
    );
    if (clash) {
      await recordImportError(ctx, { fileloc, contentHash, previous, error: clash });
      result.failed++;
      continue;
    }
    for (const spec of specs) ctx.forgetDag(spec.dag_id);
  }

  for (const [fileloc, row] of known) {
    if (present.has(fileloc)) continue;
    result.removed++;
    await ctx.ensureLease();
    await ctx.db.transaction(async (tx) => {
      await setDagsStale(tx, await ownedBy(tx, row.dag_ids, fileloc), true);
      await deleteImportError(tx, fileloc);
      await deleteDagFile(tx, fileloc);
    });
  }
  return result;
}

/** The ids among `dagIds` whose DAG row still points at `fileloc` (a DAG may have moved to another file). */
async function ownedBy(q: Queryable, dagIds: readonly string[], fileloc: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of dagIds) if ((await getDag(q, id))?.fileloc === fileloc) out.push(id);
  return out;
}

/**
 * Writes a good parse in one transaction. Returns an error (after writing nothing) when a DAG id is already
 * declared by another file that still exists: Airflow reports such a duplicate as an import error.
 */
async function storeGoodParse(
  tx: Queryable,
  ctx: TickContext,
  args: { fileloc: string; contentHash: string; previous: DagFileRow | undefined; specs: DagSpec[]; present: ReadonlySet<string>; seconds: number },
): Promise<Error | null> {
  const { fileloc, specs } = args;
  for (const spec of specs) {
    const existing = await getDag(tx, spec.dag_id);
    if (existing && existing.fileloc !== fileloc && !existing.is_stale && args.present.has(existing.fileloc)) {
      return new Error(`DAG id '${spec.dag_id}' is already defined in ${existing.fileloc}`);
    }
  }
  for (const spec of specs) {
    const existing = await getDag(tx, spec.dag_id);
    const previousSpec = await getSerializedDag(tx, spec.dag_id);
    const timetable = timetableOf(spec, ctx.config);
    await upsertDag(tx, {
      dag_id: spec.dag_id,
      fileloc,
      relative_fileloc: fileloc,
      owners: spec.owners.join(', '),
      description: spec.description,
      timetable_summary: timetable.summary,
      timetable_description: timetable.description,
      timezone: spec.timezone,
      max_active_tasks: spec.max_active_tasks,
      max_active_runs: spec.max_active_runs,
      last_parsed_time: ctx.nowIso,
      last_parse_duration: args.seconds,
      is_paused_at_creation: spec.is_paused_upon_creation ?? ctx.config.core.dags_are_paused_at_creation,
    });
    await replaceDagTags(tx, spec.dag_id, spec.tags);
    const data = serializeDag(spec);
    await upsertSerializedDag(tx, { dag_id: spec.dag_id, fileloc, data, dag_hash: hashSerializedDag(data), now: ctx.nowIso });
    const scheduleChanged =
      !previousSpec || scheduleSignature(JSON.parse(previousSpec.data) as DagSpec) !== scheduleSignature(spec);
    // A DAG that comes back from stale is treated as new: its old next run may be long past.
    if (!existing || existing.is_stale || scheduleChanged) await refreshNextDagrun(tx, spec, ctx.config, ctx.now);
  }
  const ids = specs.map((s) => s.dag_id);
  const dropped = (args.previous?.dag_ids ?? []).filter((id) => !ids.includes(id));
  const droppedHere = await ownedBy(tx, dropped, fileloc);
  if (droppedHere.length > 0) {
    await setDagsStale(tx, droppedHere, true);
    await setDagsImportErrors(tx, droppedHere, false);
  }
  await deleteImportError(tx, fileloc);
  await upsertDagFile(tx, { fileloc, content_hash: args.contentHash, last_parsed_time: ctx.nowIso, dag_ids: ids });
  return null;
}
