/** The `serialized_dag` table: the last good DagSpec of each DAG, as JSON, with its hash. */
import type { DagSpec } from '../../dag/model.js';
import type { Queryable } from '../backend.js';
import { chunks, jsonText, placeholders, rowChunks, valuesRows } from './sql.js';

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

/** The rows of those of `dagIds` that were ever parsed, by id. */
export async function getSerializedDags(q: Queryable, dagIds: readonly string[]): Promise<Map<string, SerializedDagRow>> {
  const out = new Map<string, SerializedDagRow>();
  for (const part of chunks([...new Set(dagIds)])) {
    for (const raw of await q.all(`SELECT * FROM serialized_dag WHERE dag_id IN (${placeholders(part.length)})`, part)) {
      const row = toRow(raw);
      out.set(row.dag_id, row);
    }
  }
  return out;
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
  return (await upsertSerializedDags(q, [row])) > 0;
}

/**
 * `upsertSerializedDag` for many DAGs (distinct ids) in few statements; unchanged hashes are not rewritten.
 * Returns how many rows were written.
 */
export async function upsertSerializedDags(
  q: Queryable,
  rows: ReadonlyArray<{ dag_id: string; fileloc: string; data: string; dag_hash: string; now: string }>,
): Promise<number> {
  let written = 0;
  for (const part of rowChunks(rows, 6)) {
    const result = await q.run(
      `INSERT INTO serialized_dag (dag_id, fileloc, data, dag_hash, created_at, last_updated)
       VALUES ${valuesRows(part.length, 6)}
       ON CONFLICT (dag_id) DO UPDATE SET fileloc = excluded.fileloc, data = excluded.data,
         dag_hash = excluded.dag_hash, last_updated = excluded.last_updated
       WHERE serialized_dag.dag_hash <> excluded.dag_hash`,
      part.flatMap((row) => [row.dag_id, row.fileloc, row.data, row.dag_hash, row.now, row.now]),
    );
    written += result.changes;
  }
  return written;
}
