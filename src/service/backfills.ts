/**
 * Backfills, as Airflow 3 has them (scheduler/backfill.ts holds the rules; the tick applies them). The CLI
 * (`backfill create|list|cancel`) and the REST API/UI (`/api/v2/backfills...`) call these same functions.
 * A dry run answers the logical dates that would get a run (created or reprocessed) and writes nothing;
 * everything else queues a `backfill_*` command for the tick.
 *
 * Signatures:
 *   createBackfill(environment, request: BackfillRequest): Promise<BackfillCreateResult>
 *   dryRunBackfill(environment, request: BackfillRequest): Promise<BackfillDryRunResult>
 *   listBackfills(environment, { dagId?, activeOnly? }): Promise<BackfillJson[]>
 *   getBackfill(environment, backfillId): Promise<BackfillJson & { dag_runs: BackfillDagRunJson[] }>
 *   changeBackfill(environment, backfillId, 'cancel' | 'pause' | 'unpause', by?): Promise<{ command_id: string; result?: CommandResult }>
 */
import type { DatabaseBackend } from '../db/backend.js';
import { getBackfill as getBackfillRow, listBackfillDagRuns, listBackfills as listBackfillRows, REPROCESS_BEHAVIORS } from '../db/queries/backfills.js';
import type { BackfillRow, ReprocessBehavior } from '../db/queries/backfills.js';
import { listDagRuns } from '../db/queries/dag-runs.js';
import type { Command, CommandResult } from '../executor/protocol.js';
import { queueCommands, resultIfTicking } from './commands.js';
import { assertDagExists } from './dags.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';
import { DagNotParsedError, planBackfill as planBackfillOn } from './plans.js';

export interface BackfillRequest {
  dagId: string;
  fromDate: Date;
  toDate: Date;
  /** Default `none`, as Airflow's. */
  reprocessBehavior?: ReprocessBehavior;
  /** Default 10, as Airflow's. */
  maxActiveRuns?: number;
  runBackwards?: boolean;
  dagRunConf?: Record<string, unknown>;
  by?: Command['by'];
  triggeringUserName?: string | null;
  /** How long to wait for a ticking scheduler to create it (ms, default 0: do not wait; no wait when none ticks). */
  waitMs?: number;
}

/** Airflow's BackfillResponse. */
export interface BackfillJson {
  id: number;
  dag_id: string;
  from_date: string;
  to_date: string;
  dag_run_conf: Record<string, unknown>;
  is_paused: boolean;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
  created_at: string;
  completed_at: string | null;
  updated_at: string;
  dag_display_name: string;
}

export interface BackfillDagRunJson {
  logical_date: string | null;
  sort_ordinal: number;
  dag_run_id: string | null;
  state: string | null;
  exception_reason: string | null;
}

export interface BackfillDryRunResult {
  /** Airflow's DryRunBackfillCollectionResponse: the logical dates that would get a run, in run order. */
  backfills: Array<{ logical_date: string }>;
  total_entries: number;
}

export interface BackfillCreateResult {
  command_id: string;
  /** The backfill, when the tick created it within `waitMs`. */
  backfill: BackfillJson | null;
  /** The tick's answer (also for a refusal), when it came within `waitMs`. */
  result: CommandResult | null;
}

export function parseReprocessBehavior(text: string): ReprocessBehavior {
  if (!(REPROCESS_BEHAVIORS as readonly string[]).includes(text)) {
    throw new UserInputError(`unknown reprocess behavior "${text}"; use one of ${REPROCESS_BEHAVIORS.join(', ')}`);
  }
  return text as ReprocessBehavior;
}

export function backfillJson(row: BackfillRow): BackfillJson {
  return {
    id: row.id,
    dag_id: row.dag_id,
    from_date: row.from_date,
    to_date: row.to_date,
    dag_run_conf: JSON.parse(row.dag_run_conf) as Record<string, unknown>,
    is_paused: row.is_paused,
    reprocess_behavior: row.reprocess_behavior,
    max_active_runs: row.max_active_runs,
    created_at: row.created_at,
    completed_at: row.completed_at,
    updated_at: row.updated_at,
    dag_display_name: row.dag_id,
  };
}

function normalized(request: BackfillRequest) {
  const behavior = parseReprocessBehavior(request.reprocessBehavior ?? 'none');
  const maxActiveRuns = request.maxActiveRuns ?? 10;
  if (!Number.isInteger(maxActiveRuns) || maxActiveRuns < 1) throw new UserInputError('--max-active-runs must be a positive integer');
  return { behavior, maxActiveRuns, range: { from: request.fromDate, to: request.toDate, reverse: request.runBackwards === true } };
}

/** Reads with a database that may predate backfills (no tick has migrated it yet): no table means none. */
async function readBackfills<T>(environment: Environment, empty: T, fn: (db: DatabaseBackend) => Promise<T>): Promise<T> {
  try {
    return await withReadDatabase(environment, fn);
  } catch (error) {
    if (error instanceof NoDatabaseYetError) return empty;
    if (/no such table: backfill|relation "backfill(_dag_run)?" does not exist/.test((error as Error).message)) return empty;
    throw error;
  }
}

/** Airflow's `_do_dry_run`: the dates a backfill would create or reprocess a run for, checked now. */
export async function dryRunBackfill(environment: Environment, request: BackfillRequest): Promise<BackfillDryRunResult> {
  const dates = (await planBackfill(environment, request)).dates;
  return { backfills: dates.map((logical_date) => ({ logical_date })), total_entries: dates.length };
}

/** Validates the request as the tick will, and lists the timetable's dates and those that would get a run. */
async function planBackfill(environment: Environment, request: BackfillRequest): Promise<{ infos: number; dates: string[] }> {
  const { behavior, range } = normalized(request);
  const options = {
    create_cron_data_intervals: environment.config.scheduler.create_cron_data_intervals,
    create_delta_data_intervals: environment.config.scheduler.create_delta_data_intervals,
  };
  return withReadDatabase(environment, (db) =>
    planBackfillOn(db, options, { dagId: request.dagId, fromDate: range.from, toDate: range.to, runBackwards: range.reverse, reprocessBehavior: behavior }, new Date()),
  ).catch(async (error: unknown) => {
    if (error instanceof DagNotParsedError) {
      await assertDagExists(environment, request.dagId);
      throw new UserInputError(`DAG "${request.dagId}" has not been parsed by a tick yet; run a tick first`);
    }
    throw error;
  });
}

/** Airflow's `_create_backfill`, checked here first (a clear one-line refusal) and applied by the tick. */
export async function createBackfill(environment: Environment, request: BackfillRequest): Promise<BackfillCreateResult> {
  const { behavior, maxActiveRuns, range } = normalized(request);
  const active = await readBackfills(environment, [], (db) => listBackfillRows(db, { dagId: request.dagId, activeOnly: true }));
  if (active.length > 0) {
    throw new UserInputError(
      `DAG "${request.dagId}" already has a running backfill (id ${active[0]!.id}); there can be only one per DAG (cancel it with \`backfill cancel --id ${active[0]!.id}\`)`,
    );
  }
  // Airflow refuses a range the timetable has no (finished) date in; dates that all have runs still make a
  // backfill, whose entries say why each got none.
  if ((await planBackfill(environment, request)).infos === 0) throw new UserInputError(`No runs to create for DAG ${request.dagId} between those dates`);
  const [id] = await queueCommands(
    environment,
    [
      {
        kind: 'backfill_create',
        dag_id: request.dagId,
        from_date: range.from.toISOString(),
        to_date: range.to.toISOString(),
        reprocess_behavior: behavior,
        max_active_runs: maxActiveRuns,
        run_backwards: range.reverse,
        dag_run_conf: request.dagRunConf ?? {},
        triggering_user_name: request.triggeringUserName ?? null,
      },
    ],
    request.by,
  );
  const commandId = id!;
  const result = (await resultIfTicking(environment, commandId, request.waitMs ?? 0)) ?? null;
  const backfillId = typeof result?.detail?.backfill_id === 'number' ? result.detail.backfill_id : null;
  const backfill = backfillId === null ? null : await getBackfill(environment, backfillId).catch(() => null);
  return { command_id: commandId, backfill, result };
}

export async function listBackfills(environment: Environment, filter: { dagId?: string; activeOnly?: boolean } = {}): Promise<BackfillJson[]> {
  if (filter.dagId !== undefined) await assertDagExists(environment, filter.dagId).catch(async (error: unknown) => {
    // A deleted DAG keeps its backfills; only a name nothing knows is an error.
    const rows = await readBackfills(environment, [], (db) => listBackfillRows(db, { dagId: filter.dagId }));
    if (rows.length === 0) throw error;
  });
  const rows = await readBackfills(environment, [], (db) => listBackfillRows(db, filter));
  return rows.map(backfillJson);
}

export async function getBackfill(environment: Environment, backfillId: number): Promise<BackfillJson & { dag_runs: BackfillDagRunJson[] }> {
  const found = await readBackfills(environment, undefined, async (db) => {
    const row = await getBackfillRow(db, backfillId);
    if (!row) return undefined;
    const entries = await listBackfillDagRuns(db, backfillId);
    const runs = new Map((await listDagRuns(db, { dagId: row.dag_id })).map((r) => [r.id, r]));
    return {
      ...backfillJson(row),
      dag_runs: entries.map((e) => {
        const run = e.dag_run_id === null ? undefined : runs.get(e.dag_run_id);
        return {
          logical_date: e.logical_date,
          sort_ordinal: e.sort_ordinal,
          dag_run_id: run?.run_id ?? null,
          state: run?.state ?? null,
          exception_reason: e.exception_reason,
        };
      }),
    };
  });
  if (!found) throw new UserInputError(`no backfill with id ${backfillId} (see \`backfill list --env ${environment.name}\`)`);
  return found;
}

/** Cancel (Airflow's `_cancel_backfill`: pause, complete, fail its queued runs), pause or unpause. */
export async function changeBackfill(
  environment: Environment,
  backfillId: number,
  change: 'cancel' | 'pause' | 'unpause',
  options: { by?: Command['by']; waitMs?: number } = {},
): Promise<{ command_id: string; backfill: BackfillJson; result: CommandResult | null }> {
  const backfill = await getBackfill(environment, backfillId);
  if (backfill.completed_at !== null) throw new UserInputError(`backfill ${backfillId} is already completed (${backfill.completed_at})`);
  const [id] = await queueCommands(environment, [{ kind: `backfill_${change}`, dag_id: backfill.dag_id, backfill_id: backfillId }], options.by);
  const result = (await resultIfTicking(environment, id!, options.waitMs ?? 0)) ?? null;
  const { dag_runs: _runs, ...json } = backfill;
  return { command_id: id!, backfill: json, result };
}
