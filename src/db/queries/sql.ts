/**
 * Small helpers shared by the query modules. Rows come back from both backends with ISO timestamp strings,
 * but flags may be 0/1 (SQLite) or booleans (Postgres) and JSON may be a string or (if a backend ever
 * decodes it) an object: these helpers give every caller one shape.
 */
import type { SqlParam } from '../backend.js';

export function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}

export function count(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

export function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `?, ?, ?` for an IN list; callers never pass an empty list (an empty IN is not portable SQL). */
export function placeholders(n: number): string {
  if (n <= 0) throw new Error('placeholders: an IN list needs at least one value');
  return new Array<string>(n).fill('?').join(', ');
}

/**
 * `(<column> IN (?, …) OR <column> IS NULL)` for a non-empty state list in which `null` stands for "no
 * state yet" (Airflow's `none`): SQL's IN never matches NULL, so that member needs its own test.
 */
export function stateClause(column: string, states: readonly (string | null)[]): { sql: string; params: string[] } {
  const named = states.filter((s): s is string => s !== null);
  const parts: string[] = [];
  if (named.length > 0) parts.push(`${column} IN (${placeholders(named.length)})`);
  if (states.includes(null)) parts.push(`${column} IS NULL`);
  return { sql: `(${parts.join(' OR ')})`, params: named };
}

/** Splits a long id list so no statement exceeds the backends' parameter limits. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Builds `col = ?` pairs from a patch, keeping only columns the caller allows. */
export function setClause(
  patch: Record<string, SqlParam | undefined>,
  allowed: ReadonlySet<string>,
): { sql: string; params: SqlParam[] } {
  const parts: string[] = [];
  const params: SqlParam[] = [];
  for (const [column, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (!allowed.has(column)) throw new Error(`setClause: column ${column} may not be updated here`);
    parts.push(`${column} = ?`);
    params.push(value);
  }
  return { sql: parts.join(', '), params };
}

export const iso = (date: Date): string => date.toISOString();

/**
 * `(?, ?), (?, ?)` for a multi-row VALUES list of `rows` rows of `columns` values each. Writing many rows
 * in one statement instead of one each saves a round trip per row on Postgres.
 */
export function valuesRows(rows: number, columns: number): string {
  const row = `(${placeholders(columns)})`;
  return new Array<string>(rows).fill(row).join(', ');
}

/**
 * Splits rows so one multi-row statement binds at most ~10,000 parameters (SQLite allows 32,766,
 * Postgres 65,535), keeping statements of a size both servers parse quickly.
 */
export function rowChunks<T>(rows: readonly T[], columns: number): T[][] {
  return chunks(rows, Math.max(1, Math.floor(10_000 / columns)));
}
