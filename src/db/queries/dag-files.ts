/** The `dag_file` table (ours): each manifest's content hash and the DAG ids it declared last time. */
import type { Queryable } from '../backend.js';
import { jsonText, rowChunks, valuesRows } from './sql.js';

export interface DagFileRow {
  fileloc: string;
  content_hash: string;
  last_parsed_time: string;
  dag_ids: string[];
}

function toRow(raw: Record<string, unknown>): DagFileRow {
  return {
    fileloc: String(raw.fileloc),
    content_hash: String(raw.content_hash),
    last_parsed_time: String(raw.last_parsed_time),
    dag_ids: JSON.parse(jsonText(raw.dag_ids) ?? '[]') as string[],
  };
}

export async function listDagFiles(q: Queryable): Promise<DagFileRow[]> {
  return (await q.all('SELECT * FROM dag_file ORDER BY fileloc')).map(toRow);
}

export async function upsertDagFile(q: Queryable, row: DagFileRow): Promise<void> {
  await q.run(
    `INSERT INTO dag_file (fileloc, content_hash, last_parsed_time, dag_ids) VALUES (?, ?, ?, ?)
     ON CONFLICT (fileloc) DO UPDATE SET content_hash = excluded.content_hash,
       last_parsed_time = excluded.last_parsed_time, dag_ids = excluded.dag_ids`,
    [row.fileloc, row.content_hash, row.last_parsed_time, JSON.stringify(row.dag_ids)],
  );
}

/** `upsertDagFile` for many files (distinct filelocs) in few statements. */
export async function upsertDagFiles(q: Queryable, rows: readonly DagFileRow[]): Promise<void> {
  for (const part of rowChunks(rows, 4)) {
    await q.run(
      `INSERT INTO dag_file (fileloc, content_hash, last_parsed_time, dag_ids) VALUES ${valuesRows(part.length, 4)}
       ON CONFLICT (fileloc) DO UPDATE SET content_hash = excluded.content_hash,
         last_parsed_time = excluded.last_parsed_time, dag_ids = excluded.dag_ids`,
      part.flatMap((row) => [row.fileloc, row.content_hash, row.last_parsed_time, JSON.stringify(row.dag_ids)]),
    );
  }
}

export async function deleteDagFile(q: Queryable, fileloc: string): Promise<void> {
  await q.run('DELETE FROM dag_file WHERE fileloc = ?', [fileloc]);
}
