/**
 * Writes one parsed DAG straight into the metadata database, as a good parse of its manifest would, for a
 * DAG that has no manifest on the volume (the tick's manifest sync leaves such DAGs alone): `dags test`'s
 * throwaway environment, and tests.
 */
import type { Config } from '../config/model.js';
import { dagHash, serializeDag } from '../dag/index.js';
import type { DagSpec } from '../dag/model.js';
import type { Queryable } from '../db/backend.js';
import { upsertDag } from '../db/queries/dags.js';
import type { DagUpsert } from '../db/queries/dags.js';
import type { Timetable } from '../timetable/index.js';
import { upsertSerializedDag } from '../db/queries/serialized-dags.js';
import { refreshNextDagrun, timetableOf } from './next-dagrun.js';

/** The `dag` row a good parse of `spec` writes (the manifest sync's and `registerDag`'s). */
export function dagUpsertOf(
  spec: DagSpec,
  timetable: Timetable,
  parse: { fileloc: string; now: string; seconds: number; pausedAtCreation: boolean },
): DagUpsert {
  return {
    dag_id: spec.dag_id,
    fileloc: parse.fileloc,
    relative_fileloc: parse.fileloc,
    owners: spec.owners.join(', '),
    description: spec.description,
    timetable_summary: timetable.summary,
    timetable_description: timetable.description,
    timezone: spec.timezone,
    max_active_tasks: spec.max_active_tasks,
    max_active_runs: spec.max_active_runs,
    last_parsed_time: parse.now,
    last_parse_duration: parse.seconds,
    is_paused_at_creation: parse.pausedAtCreation,
  };
}

export async function registerDag(
  tx: Queryable,
  spec: DagSpec,
  config: Config,
  now: Date,
  options: { paused: boolean; scheduled: boolean },
): Promise<void> {
  const timetable = timetableOf(spec, config);
  await upsertDag(tx, dagUpsertOf(spec, timetable, { fileloc: spec.fileloc, now: now.toISOString(), seconds: 0, pausedAtCreation: options.paused }));
  await upsertSerializedDag(tx, { dag_id: spec.dag_id, fileloc: spec.fileloc, data: serializeDag(spec), dag_hash: dagHash(spec), now: now.toISOString() });
  // Without next_dagrun the timetable creates no run: only the ones asked for happen.
  if (options.scheduled) await refreshNextDagrun(tx, spec, config, now);
}
