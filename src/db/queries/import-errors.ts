/** The `import_error` table: at most one row per manifest that failed to parse. */
import type { Queryable } from '../backend.js';
import { chunks, count, placeholders } from './sql.js';

export interface ImportErrorRow {
  id: number;
  timestamp: string;
  filename: string;
  bundle_name: string;
  stacktrace: string;
}

export function toImportErrorRow(raw: Record<string, unknown>): ImportErrorRow {
  return { ...(raw as unknown as ImportErrorRow), id: count(raw.id) };
}

/** Replaces the file's previous error (if any) with this one. */
export async function replaceImportError(
  q: Queryable,
  row: { filename: string; stacktrace: string; timestamp: string },
): Promise<void> {
  await q.run('DELETE FROM import_error WHERE filename = ?', [row.filename]);
  await q.run('INSERT INTO import_error (timestamp, filename, stacktrace) VALUES (?, ?, ?)', [
    row.timestamp,
    row.filename,
    row.stacktrace,
  ]);
}

export async function deleteImportError(q: Queryable, filename: string): Promise<void> {
  await q.run('DELETE FROM import_error WHERE filename = ?', [filename]);
}

export async function deleteImportErrors(q: Queryable, filenames: readonly string[]): Promise<void> {
  for (const part of chunks(filenames)) {
    await q.run(`DELETE FROM import_error WHERE filename IN (${placeholders(part.length)})`, part);
  }
}

export async function listImportErrors(q: Queryable, page: { limit?: number; offset?: number } = {}): Promise<ImportErrorRow[]> {
  const rows = await q.all('SELECT * FROM import_error ORDER BY id LIMIT ? OFFSET ?', [page.limit ?? 1000, page.offset ?? 0]);
  return rows.map(toImportErrorRow);
}

export async function getImportError(q: Queryable, id: number): Promise<ImportErrorRow | undefined> {
  const raw = await q.get('SELECT * FROM import_error WHERE id = ?', [id]);
  return raw ? toImportErrorRow(raw) : undefined;
}

export async function countImportErrors(q: Queryable): Promise<number> {
  const row = await q.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM import_error');
  return count(row?.n);
}
