/**
 * Query-string parsing with FastAPI's rules and error shapes: every problem is collected, then reported
 * at once as a 422 (`finish()`), like pydantic does. Only the parameters we support are read; unknown
 * ones are ignored, as FastAPI ignores them.
 */
import { HttpError, RequestValidationError, type ValidationIssue } from './errors.js';

/** `[api] maximum_page_limit`: Airflow silently caps larger page sizes to this. */
export const MAXIMUM_PAGE_LIMIT = 100;
const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'f', 'no', 'n', 'off']);
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export interface Page {
  limit: number;
  offset: number;
}

export interface OrderTerm {
  /** An attribute name from the endpoint's allow-list. */
  attribute: string;
  descending: boolean;
}

/** Bounds from `{name}_gte/_gt/_lte/_lt`; datetimes are normalised ISO strings. */
export interface Range<T extends string | number = string> {
  gte?: T;
  gt?: T;
  lte?: T;
  lt?: T;
}

export const RANGE_BOUNDS = ['gte', 'gt', 'lte', 'lt'] as const;

export class QueryParams {
  private readonly issues: ValidationIssue[] = [];
  constructor(private readonly search: URLSearchParams) {}

  static of(url: string): QueryParams {
    return new QueryParams(new URL(url).searchParams);
  }

  private raw(name: string): string | undefined {
    return this.search.get(name) ?? undefined;
  }

  private fail(issue: Omit<ValidationIssue, 'loc'> & { name: string }): void {
    const { name, ...rest } = issue;
    this.issues.push({ ...rest, loc: ['query', name] });
  }

  string(name: string): string | null {
    return this.raw(name) ?? null;
  }

  strings(name: string): string[] {
    return this.search.getAll(name);
  }

  int(name: string, options: { default: number; min?: number }): number;
  int(name: string, options: { min?: number }): number | null;
  int(name: string, options: { default?: number; min?: number }): number | null {
    const value = this.raw(name);
    if (value === undefined || value === '') return options.default ?? null;
    if (!/^[+-]?\d+$/.test(value.trim())) {
      this.fail({ name, type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer', input: value });
      return options.default ?? null;
    }
    const parsed = Number.parseInt(value, 10);
    if (options.min !== undefined && parsed < options.min) {
      this.fail({
        name,
        type: 'greater_than_equal',
        msg: `Input should be greater than or equal to ${options.min}`,
        input: value,
        ctx: { ge: options.min },
      });
      return options.default ?? null;
    }
    return parsed;
  }

  ints(name: string): number[] {
    const out: number[] = [];
    for (const value of this.strings(name)) {
      if (!/^[+-]?\d+$/.test(value.trim())) {
        this.fail({ name, type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer', input: value });
      } else {
        out.push(Number.parseInt(value, 10));
      }
    }
    return out;
  }

  number(name: string): number | null {
    const value = this.raw(name);
    if (value === undefined || value === '') return null;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) {
      this.fail({ name, type: 'float_parsing', msg: 'Input should be a valid number, unable to parse string as a number', input: value });
      return null;
    }
    return parsed;
  }

  bool(name: string): boolean | null;
  bool(name: string, fallback: boolean): boolean;
  bool(name: string, fallback: boolean | null = null): boolean | null {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    this.fail({ name, type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input', input: value });
    return fallback;
  }

  /** An ISO-8601 instant, normalised to `toISOString()` form (what the database stores). */
  datetime(name: string): string | null {
    const value = this.raw(name);
    if (value === undefined || value === '') return null;
    const parsed = parseDatetime(value);
    if (parsed === null) {
      this.fail({ name, type: 'datetime_from_date_parsing', msg: 'Input should be a valid datetime or date', input: value });
    }
    return parsed;
  }

  page(): Page {
    const limit = this.int('limit', { default: 50, min: 0 });
    const offset = this.int('offset', { default: 0, min: 0 });
    return { limit: Math.min(limit, MAXIMUM_PAGE_LIMIT), offset };
  }

  /**
   * `order_by=a&order_by=-b` (also `a,-b`) against an allow-list of attributes. An unknown attribute is a
   * 400, as in Airflow.
   */
  orderBy(allowed: readonly string[], fallback: readonly string[]): OrderTerm[] {
    const requested = this.strings('order_by').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    const terms = requested.length > 0 ? requested : fallback;
    return terms.map((term) => {
      const descending = term.startsWith('-');
      const attribute = descending ? term.slice(1) : term;
      if (!allowed.includes(attribute)) {
        throw new HttpError(400, `Ordering with '${attribute}' is disallowed or the attribute does not exist on the model`);
      }
      return { attribute, descending };
    });
  }

  range(name: string): Range {
    const out: Range = {};
    for (const bound of RANGE_BOUNDS) {
      const value = this.datetime(`${name}_${bound}`);
      if (value !== null) out[bound] = value;
    }
    return out;
  }

  numberRange(name: string): Range<number> {
    const out: Range<number> = {};
    for (const bound of RANGE_BOUNDS) {
      const value = this.number(`${name}_${bound}`);
      if (value !== null) out[bound] = value;
    }
    return out;
  }

  /** Throws the collected 422 issues, if any. Call once every parameter has been read. */
  finish(): void {
    if (this.issues.length > 0) throw new RequestValidationError(this.issues);
  }
}

/** Accepts ISO-8601 with `Z`, an offset, or none (UTC, as pydantic assumes for naive query dates). */
export function parseDatetime(value: string): string | null {
  // A `+` offset arrives as a space when the client did not URL-encode it.
  const text = value.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  if (!ISO_DATETIME.test(text)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
  const ms = Date.parse(hasZone || text.length === 10 ? text : `${text}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
