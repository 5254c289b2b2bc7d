/** What every route needs, with defaults resolved once by createUiApp. */
import type { DatabaseBackend } from '../../db/backend.js';
import { getDag, type DagRow } from '../../db/queries/dags.js';
import { getDagRun, type DagRunRow } from '../../db/queries/dag-runs.js';
import type { Logger } from '../../logger.js';
import type { Clock, StateDict } from '../../providers/ports.js';
import type { TimetableOptions } from '../../timetable/model.js';
import { notFound } from './errors.js';
import type { VolumeReader } from './volume-reader.js';

export interface UiContext {
  db: DatabaseBackend;
  dict: StateDict;
  files: VolumeReader;
  clock: Clock;
  version: string;
  logger: Logger;
  /** Fast-follow after a command is written; failures only delay it to the next scheduled tick. */
  requestTick(): Promise<void>;
  schedulerHealthThresholdSeconds: number;
  /** How the environment builds timetables (config `scheduler.create_*_data_intervals`). */
  timetableOptions: TimetableOptions;
  /** How long a request that needs the tick's answer (creating a backfill: its id) waits for it. */
  commandResultTimeoutMs: number;
}

export async function requireDag(ctx: UiContext, dagId: string): Promise<DagRow> {
  const dag = await getDag(ctx.db, dagId);
  if (!dag) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
  return dag;
}

export async function requireDagRun(ctx: UiContext, dagId: string, runId: string): Promise<DagRunRow> {
  const run = await getDagRun(ctx.db, dagId, runId);
  if (!run) throw dagRunNotFound(dagId, runId);
  return run;
}

export const dagRunNotFound = (dagId: string, runId: string) => notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);

/** Asks for a tick without letting a failure fail the request: the command is already recorded. */
export async function nudgeTick(ctx: UiContext): Promise<void> {
  try {
    await ctx.requestTick();
  } catch (error) {
    ctx.logger.warn('ui: could not request a tick; the next scheduled tick applies the command', { error: String(error) });
  }
}
