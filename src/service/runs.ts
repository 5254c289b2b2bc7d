/** DAG runs, read from the metadata database. */
import { DAG_RUN_STATES } from '../model.js';
import type { DagRunState } from '../model.js';
import { listDagRuns } from '../db/queries/dag-runs.js';
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

export async function listRuns(
  environment: Environment,
  filter: { dagId?: string; state?: DagRunState; limit?: number } = {},
): Promise<DagRunJson[]> {
  try {
    return await withReadDatabase(environment, async (db) =>
      (
        await listDagRuns(db, {
          ...(filter.dagId !== undefined ? { dagId: filter.dagId } : {}),
          ...(filter.state !== undefined ? { states: [filter.state] } : {}),
          ...(filter.limit !== undefined ? { limit: filter.limit } : {}),
        })
      ).map(dagRunJson),
    );
  } catch (error) {
    if (error instanceof NoDatabaseYetError) return [];
    throw error;
  }
}
