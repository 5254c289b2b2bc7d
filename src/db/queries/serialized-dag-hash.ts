/**
 * The version of a DAG's last good parse, without its body: the scheduler keeps parsed DagSpecs across
 * passes and asks only this (a short string) each pass to know whether its copy is still current.
 * Kept apart from serialized-dags.ts, which owns the table's writes and full reads.
 */
import type { Queryable } from '../backend.js';

export async function getSerializedDagHash(q: Queryable, dagId: string): Promise<string | undefined> {
  const row = await q.get<{ dag_hash: string }>('SELECT dag_hash FROM serialized_dag WHERE dag_id = ?', [dagId]);
  return row?.dag_hash;
}
