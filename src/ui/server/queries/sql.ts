/** Small SQL-building helpers for the UI's read queries: placeholders only, portable to Postgres. */
import type { Queryable, SqlParam } from '../../../db/backend.js';
import { RANGE_BOUNDS, type OrderTerm, type Page, type Range } from '../params.js';

const RANGE_OPERATORS: Record<(typeof RANGE_BOUNDS)[number], string> = { gte: '>=', gt: '>', lte: '<=', lt: '<' };

/** Collects WHERE clauses and their parameters; every value goes through a `?` placeholder. */
export class Where {
  readonly clauses: string[] = [];
  readonly params: SqlParam[] = [];

  add(clause: string, ...params: SqlParam[]): this {
    this.clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  in(column: string, values: readonly SqlParam[]): this {
    if (values.length === 0) return this;
    return this.add(`${column} IN (${values.map(() => '?').join(', ')})`, ...values);
  }

  /**
   * Airflow's `*_pattern` search: a case-insensitive substring LIKE (`%` and `_` are the user's wildcards),
   * with `|` separating alternatives.
   */
  pattern(column: string, value: string | null): this {
    if (value === null || value === '') return this;
    const terms = value.split('|').map((t) => t.trim()).filter(Boolean);
    if (terms.length === 0) return this;
    return this.add(`(${terms.map(() => `LOWER(${column}) LIKE ?`).join(' OR ')})`, ...terms.map((t) => `%${t.toLowerCase()}%`));
  }

  range(column: string, range: Range<string | number> | undefined): this {
    if (!range) return this;
    for (const bound of RANGE_BOUNDS) {
      const value = range[bound];
      if (value !== undefined) this.add(`${column} ${RANGE_OPERATORS[bound]} ?`, value);
    }
    return this;
  }

  sql(): string {
    return this.clauses.length === 0 ? '' : `WHERE ${this.clauses.join(' AND ')}`;
  }
}

/**
 * ORDER BY from validated terms and the endpoint's attribute -> SQL expression map (never user text), then
 * a tiebreak for stable pages. NULLs sort last in both directions and on both dialects (SQLite and
 * Postgres disagree by default).
 */
export function orderSql(
  terms: readonly OrderTerm[],
  expressions: Readonly<Record<string, string>>,
  tiebreak: readonly string[],
): string {
  const parts = terms.map((t) => {
    const expression = expressions[t.attribute];
    if (expression === undefined) throw new Error(`no SQL expression for order attribute ${t.attribute}`);
    return `CASE WHEN ${expression} IS NULL THEN 1 ELSE 0 END, ${expression} ${t.descending ? 'DESC' : 'ASC'}`;
  });
  return `ORDER BY ${[...parts, ...tiebreak].join(', ')}`;
}

/** A list endpoint's query: `SELECT <columns> FROM <from> <where> <orderBy>`, one page of it. */
export interface PagedQuery {
  columns: string;
  from: string;
  where: Where;
  orderBy: string;
  page: Page;
}

/** One page of rows plus how many rows the filter matches in all (the API's `total_entries`). */
export async function listPage<T>(
  db: Queryable,
  query: PagedQuery,
  toRow: (raw: Record<string, unknown>) => T,
): Promise<{ rows: T[]; total: number }> {
  const { columns, from, where, orderBy, page } = query;
  const total = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${from} ${where.sql()}`, where.params);
  const rows = await db.all(`SELECT ${columns} FROM ${from} ${where.sql()} ${orderBy} LIMIT ? OFFSET ?`, [
    ...where.params,
    page.limit,
    page.offset,
  ]);
  return { rows: rows.map((raw) => toRow(raw)), total: Number(total?.n ?? 0) };
}
