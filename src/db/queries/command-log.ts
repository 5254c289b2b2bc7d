/** The `command_log` table (ours): every command the tick applied, with its result. */
import type { Queryable } from '../backend.js';
import { flag, jsonText } from './sql.js';

export interface CommandLogRow {
  id: string;
  kind: string;
  dag_id: string | null;
  /** JSON text of the whole Command. */
  payload: string;
  requested_by: string | null;
  requested_at: string | null;
  applied_at: string;
  ok: boolean;
  message: string | null;
}

function toRow(raw: Record<string, unknown>): CommandLogRow {
  return { ...(raw as unknown as CommandLogRow), ok: flag(raw.ok), payload: jsonText(raw.payload) ?? 'null' };
}

/** Idempotent: a command applied twice (crash before its key was deleted) keeps its first entry. */
export async function insertCommandLog(q: Queryable, row: CommandLogRow): Promise<boolean> {
  const result = await q.run(
    `INSERT INTO command_log (id, kind, dag_id, payload, requested_by, requested_at, applied_at, ok, message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [row.id, row.kind, row.dag_id, row.payload, row.requested_by, row.requested_at, row.applied_at, row.ok, row.message],
  );
  return result.changes > 0;
}

export async function getCommandLog(q: Queryable, id: string): Promise<CommandLogRow | undefined> {
  const raw = await q.get('SELECT * FROM command_log WHERE id = ?', [id]);
  return raw ? toRow(raw) : undefined;
}

export async function listCommandLog(q: Queryable, limit = 100): Promise<CommandLogRow[]> {
  return (await q.all('SELECT * FROM command_log ORDER BY applied_at DESC, id LIMIT ?', [limit])).map(toRow);
}
