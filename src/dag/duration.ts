/**
 * Durations as manifests and config files write them, always returned as seconds.
 *
 * Accepted forms: plain numbers (seconds, as Airflow's converters emit `retry_delay: 300.0`), numeric
 * strings, unit strings (`30s`, `5m`, `2h`, `1d`, `1w`, `1h30m`, `2 days`, `90 minutes`), Python's
 * `str(timedelta)` form `H:MM:SS`, and dag-factory's `{__type__: datetime.timedelta, hours: 1, ...}`.
 * A hand parser: the grammar is tiny and the error messages must say exactly what is allowed.
 */

export const DURATION_FORMS = '`30s`, `5m`, `2h`, `1d`, `1h30m`, a number of seconds, or {__type__: datetime.timedelta, ...}';

export class DurationError extends Error {
  constructor(
    readonly where: string,
    /** The problem without the location, for callers that add their own. */
    readonly problem: string,
  ) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'DurationError';
  }
}

export type DurationResult = { ok: true; seconds: number } | { ok: false; problem: string };

const UNIT_SECONDS: ReadonlyArray<[RegExp, number]> = [
  [/^(w|wk|wks|weeks?)$/, 7 * 86_400],
  [/^(d|days?)$/, 86_400],
  [/^(h|hr|hrs|hours?)$/, 3_600],
  [/^(m|min|mins|minutes?)$/, 60],
  [/^(s|sec|secs|seconds?)$/, 1],
  [/^(ms|milliseconds?)$/, 0.001],
];

/** Python `datetime.timedelta(...)` keyword arguments, in seconds. */
const TIMEDELTA_KEYS: Readonly<Record<string, number>> = {
  weeks: 7 * 86_400,
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  seconds: 1,
  milliseconds: 0.001,
  microseconds: 0.000_001,
};

const NUMBER = /^\d+(\.\d+)?$/;
const CLOCK = /^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/;
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*,?\s*/gy;

/** Parse a duration without throwing. */
export function tryParseDuration(value: unknown): DurationResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return fail(`must be a non-negative number of seconds, got ${value}`);
    return { ok: true, seconds: value };
  }
  if (typeof value === 'string') return parseDurationString(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return parseTimedelta(value as Record<string, unknown>);
  return fail(`expected a duration (${DURATION_FORMS}), got ${describeType(value)}`);
}

/** Seconds in `value`; throws `DurationError` naming `where` and the accepted forms. */
export function parseDuration(value: unknown, where: string): number {
  const result = tryParseDuration(value);
  if (!result.ok) throw new DurationError(where, result.problem);
  return result.seconds;
}

function parseDurationString(raw: string): DurationResult {
  const text = raw.trim().toLowerCase();
  if (NUMBER.test(text)) return { ok: true, seconds: Number(text) };
  const clock = CLOCK.exec(text);
  if (clock) return { ok: true, seconds: Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3]) };
  let seconds = 0;
  let position = 0;
  PART.lastIndex = 0;
  while (position < text.length) {
    PART.lastIndex = position;
    const match = PART.exec(text);
    if (!match) break;
    const unit = UNIT_SECONDS.find(([pattern]) => pattern.test(match[2] ?? ''));
    if (!unit) return fail(`unknown unit '${match[2]}' in '${raw}'; allowed: ${DURATION_FORMS}`);
    seconds += Number(match[1]) * unit[1];
    position = PART.lastIndex;
  }
  if (text.length === 0 || position !== text.length) return fail(`'${raw}' is not a duration; allowed: ${DURATION_FORMS}`);
  return { ok: true, seconds };
}

function parseTimedelta(value: Record<string, unknown>): DurationResult {
  const type = value['__type__'];
  if (type !== 'datetime.timedelta') {
    return fail(`unsupported ${type === undefined ? 'mapping without __type__' : `__type__ '${String(type)}'`}; allowed: ${DURATION_FORMS}`);
  }
  let seconds = 0;
  for (const [key, amount] of Object.entries(value)) {
    if (key === '__type__') continue;
    const unit = TIMEDELTA_KEYS[key];
    if (unit === undefined) return fail(`unknown timedelta field '${key}'; allowed: ${Object.keys(TIMEDELTA_KEYS).join(', ')}`);
    if (typeof amount !== 'number' || !Number.isFinite(amount)) return fail(`timedelta field '${key}' must be a number, got ${describeType(amount)}`);
    seconds += amount * unit;
  }
  if (seconds < 0) return fail(`must not be negative, got ${seconds} seconds`);
  // Float sums like 0.1 + 0.2 would otherwise leak into hashes and comparisons.
  return { ok: true, seconds: Math.round(seconds * 1e6) / 1e6 };
}

function fail(problem: string): DurationResult {
  return { ok: false, problem };
}

/** `string`, `number`, `list`, `mapping`, `null`, ... for "expected X, got Y" messages. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}
