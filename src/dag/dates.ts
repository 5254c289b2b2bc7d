/** DAG `start_date` / `end_date` → ISO-8601 UTC, reading naive dates in the DAG's timezone. */
import { DateTime, IANAZone } from 'luxon';
import { describeType } from './duration.js';

export type DateResult = { ok: true; iso: string } | { ok: false; problem: string };

const RELATIVE = /^\d+\s*(second|minute|hour|day|week|month|year)s?$/i;

export function isValidTimezone(zone: string): boolean {
  return zone === 'UTC' || IANAZone.isValidZone(zone);
}

/** `2025-01-01`, `2025-01-01T06:00`, `2025-01-01 06:00:00`, with or without an offset or `Z`. */
export function parseDagDate(value: unknown, zone: string): DateResult {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? fail('invalid date') : { ok: true, iso: toIso(DateTime.fromJSDate(value)) };
  }
  if (typeof value !== 'string') return fail(`expected a date like 2025-01-01 or 2025-01-01T06:00:00, got ${describeType(value)}`);
  const text = value.trim();
  if (RELATIVE.test(text)) {
    // dag-factory reads "2 days" as now minus two days; that moves every time the file is parsed (and
    // changes the DAG's hash), so we ask for a fixed date instead.
    return fail(`relative dates like '${text}' are not supported; use a fixed date like 2025-01-01`);
  }
  const parsed = DateTime.fromISO(text.replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, '$1T'), { zone, setZone: false });
  if (!parsed.isValid) return fail(`'${text}' is not a date; expected a date like 2025-01-01 or 2025-01-01T06:00:00+00:00`);
  return { ok: true, iso: toIso(parsed) };
}

function toIso(value: DateTime): string {
  return value.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}

function fail(problem: string): DateResult {
  return { ok: false, problem };
}
