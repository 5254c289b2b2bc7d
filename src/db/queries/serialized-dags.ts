/** The `serialized_dag` table: the last good DagSpec of each DAG, as JSON, with its hash. */
import type { DagSpec } from '../../dag/model.js';
import type { Queryable } from '../backend.js';
import { jsonText } from './sql.js';

export interface SerializedDagRow {
  dag_id: string;
  fileloc: string;
  /** JSON text of a DagSpec. */
  data: string;
  dag_hash: string;
  created_at: string;
  last_updated: string;
}

function toRow(raw: Record<string, unknown>): SerializedDagRow {
  return { ...(raw as unknown as SerializedDagRow), data: jsonText(raw.data) ?? 'null' };
}

export async function getSerializedDag(q: Queryable, dagId: string): Promise<SerializedDagRow | undefined> {
  const raw = await q.get('SELECT * FROM serialized_dag WHERE dag_id = ?', [dagId]);
  return raw ? toRow(raw) : undefined;
}

/** The parsed DagSpec of a DAG, or undefined when it was never parsed successfully. */
export async function loadDagSpec(q: Queryable, dagId: string): Promise<DagSpec | undefined> {
  const row = await getSerializedDag(q, dagId);
  return row ? (JSON.parse(row.data) as DagSpec) : undefined;
}

/** Writes a new version; a no-op (returns false) when the hash is unchanged. */
export async function upsertSerializedDag(
  q: Queryable,
  row: { dag_id: string; fileloc: string; data: string; dag_hash: string; now: string },
): Promise<boolean> {
  const result = await q.run(
    `INSERT INTO serialized_dag (dag_id, fileloc, data, dag_hash, created_at, last_updated)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (dag_id) DO UPDATE SET fileloc = excluded.fileloc, data = excluded.data,
       dag_hash = excluded.dag_hash, last_updated = excluded.last_updated
     WHERE serialized_dag.dag_hash <> excluded.dag_hash`,
    [row.dag_id, row.fileloc, row.data, row.dag_hash, row.now, row.now],
  );
  return result.changes > 0;
}
