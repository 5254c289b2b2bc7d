/**
 * Read-only questions an operator asks (Airflow's `dags list-import-errors`, `dags next-execution`,
 * `dags state`), answered from the metadata database.
 *
 * Signatures:
 *   listImportErrorsOf(environment): Promise<ImportErrorJson[]>
 *   nextExecutions(environment, dagId, count): Promise<NextExecutions>
 *   dagRunState(environment, dagId, runId): Promise<{ dag_id, dag_run_id, state, conf }>
 */
import { getDagRun } from '../db/queries/dag-runs.js';
import { getDag } from '../db/queries/dags.js';
import { listImportErrors } from '../db/queries/import-errors.js';
import { loadDagSpec } from '../db/queries/serialized-dags.js';
import { nextRunInfo, timetableOf } from '../scheduler/next-dagrun.js';
import type { DagRunInfo } from '../timetable/index.js';
import { assertDagExists } from './dags.js';
import { NoDatabaseYetError, withReadDatabase } from './database.js';
import type { Environment } from './environments.js';
import { UnknownRunError, UserInputError } from './errors.js';

/** Airflow's ImportErrorResponse. */
export interface ImportErrorJson {
  import_error_id: number;
  timestamp: string;
  filename: string;
  bundle_name: string;
  stack_trace: string;
}

export async function listImportErrorsOf(environment: Environment): Promise<ImportErrorJson[]> {
  const rows = await withReadDatabase(environment, (db) => listImportErrors(db)).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return [];
    throw error;
  });
  return rows.map((r) => ({ import_error_id: r.id, timestamp: r.timestamp, filename: r.filename, bundle_name: r.bundle_name, stack_trace: r.stacktrace }));
}

export interface NextExecution {
  logical_date: string;
  data_interval_start: string;
  data_interval_end: string;
  run_after: string;
}

export interface NextExecutions {
  dag_id: string;
  is_paused: boolean;
  /** In order, from the DAG's `next_dagrun`; fewer than asked when the timetable ends (end_date, @once). */
  next_executions: NextExecution[];
}

const executionJson = (info: DagRunInfo): NextExecution => ({
  logical_date: info.logical_date.toISOString(),
  data_interval_start: info.data_interval.start.toISOString(),
  data_interval_end: info.data_interval.end.toISOString(),
  run_after: info.run_after.toISOString(),
});

/** Airflow's `dags next-execution`: the DAG's next run, then the timetable onwards, `count` in all. */
export async function nextExecutions(environment: Environment, dagId: string, count: number): Promise<NextExecutions> {
  if (!Number.isInteger(count) || count < 1) throw new UserInputError('--num-executions must be a positive integer');
  const found = await withReadDatabase(environment, async (db) => ({ row: await getDag(db, dagId), spec: await loadDagSpec(db, dagId) })).catch(
    (error: unknown) => {
      if (error instanceof NoDatabaseYetError) return { row: undefined, spec: undefined };
      throw error;
    },
  );
  if (!found.row || !found.spec) {
    await assertDagExists(environment, dagId);
    throw new UserInputError(`DAG "${dagId}" has not been parsed by a tick yet, so it has no next run`);
  }
  const { row, spec } = found;
  const out: NextExecution[] = [];
  if (row.next_dagrun && row.next_dagrun_data_interval_start && row.next_dagrun_data_interval_end) {
    let info: DagRunInfo | null = {
      logical_date: new Date(row.next_dagrun),
      data_interval: { start: new Date(row.next_dagrun_data_interval_start), end: new Date(row.next_dagrun_data_interval_end) },
      run_after: new Date(row.next_dagrun_create_after ?? row.next_dagrun),
    };
    const timetable = timetableOf(spec, environment.config);
    while (info && out.length < count) {
      out.push(executionJson(info));
      // As Airflow's next-execution: the timetable onwards from this run, catchup or not.
      info = nextRunInfo(timetable, { ...spec, catchup: true }, info.data_interval, info.run_after);
    }
  }
  return { dag_id: dagId, is_paused: row.is_paused, next_executions: out };
}

export interface DagRunStateJson {
  dag_id: string;
  dag_run_id: string;
  state: string;
  conf: Record<string, unknown> | null;
}

/** Airflow's `dags state`: one run's state (and its conf). */
export async function dagRunState(environment: Environment, dagId: string, runId: string): Promise<DagRunStateJson> {
  const run = await withReadDatabase(environment, (db) => getDagRun(db, dagId, runId)).catch((error: unknown) => {
    if (error instanceof NoDatabaseYetError) return undefined;
    throw error;
  });
  if (!run) {
    await assertDagExists(environment, dagId);
    throw new UnknownRunError(dagId, runId);
  }
  const conf = run.conf ? (JSON.parse(run.conf) as Record<string, unknown>) : null;
  return { dag_id: dagId, dag_run_id: runId, state: run.state, conf };
}
