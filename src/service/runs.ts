/** DAG runs, read from the metadata database. */
import { DAG_RUN_STATES } from '../model.js';
import type { DagRunState } from '../model.js';
import { listDagRuns } from '../db/queries/dag-runs.js';
import { getDag } from '../db/queries/dags.js';
import { assertDagExists } from './dags.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UserInputError } from './errors.js';
import type { DagRunJson } from './shapes.js';
import { dagRunJson } from './shapes.js';

export function parseRunState(state: string): DagRunState {
  if (!(DAG_RUN_STATES as readonly string[]).includes(state)) {
    throw new UserInputError(`unknown run state "${state}"; use one of ${DAG_RUN_STATES.join(', ')}`);
  }
  return state as DagRunState;
}

/** Airflow 3's run types, as `runs list --run-type` takes them (we never create asset_triggered runs yet). */
export const RUN_TYPE_FILTERS = ['manual', 'scheduled', 'backfill', 'asset_triggered'] as const;

export async function listRuns(
  environment: Environment,
  filter: { dagId?: string; state?: DagRunState; runType?: string; limit?: number } = {},
): Promise<DagRunJson[]> {
  const { runs, dagKnown } = await withReadDatabase(environment, async (db) => {
    const rows = await listDagRuns(db, {
      ...(filter.dagId !== undefined ? { dagId: filter.dagId } : {}),
      ...(filter.state !== undefined ? { states: [filter.state] } : {}),
      ...(filter.runType !== undefined ? { runType: filter.runType } : {}),
      ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
    });
    // A deleted (stale) DAG keeps its row and its runs; only a name no tick has ever seen is unknown.
    const known = rows.length > 0 || filter.dagId === undefined || (await getDag(db, filter.dagId)) !== undefined;
    return { runs: rows.map(dagRunJson), dagKnown: known };
  }).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return { runs: [], dagKnown: false };
    throw error;
  });
  // A misspelt --dag-id is an error, not "No runs."; a DAG uploaded but not parsed yet simply has none.
  if (!dagKnown && filter.dagId !== undefined) await assertDagExists(environment, filter.dagId);
  return runs;
}
