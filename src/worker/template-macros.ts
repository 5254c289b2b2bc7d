/**
 * Airflow's `macros` for YAML templates (nunjucks), matching the Python runtime's (airflow.macros):
 * `ds_add`, `ds_format`, `datetime`, `timedelta`, `time`, `random`, `uuid`, `json`. Date arithmetic
 * (`logical_date + macros.timedelta(days=1)`) goes through `pyBinary`, which templating.ts makes nunjucks
 * use for `+` and `-`.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { dsAdd, dsFormat, strptime } from './python-datetime.js';
import { TemplateDate, TemplateDateTime, isKeywordArgs } from './template-datetime.js';
import { isPlainMapping, toTemplateValue } from './template-dict.js';

const US_PER_SECOND = 1_000_000;
const US_PER_DAY = 86_400 * US_PER_SECOND;

/** Python's `datetime.timedelta`, kept as whole microseconds. */
export class TemplateTimedelta {
  constructor(readonly totalMicroseconds: number) {}

  get days(): number {
    return Math.floor(this.totalMicroseconds / US_PER_DAY);
  }
  get seconds(): number {
    return Math.floor((this.totalMicroseconds - this.days * US_PER_DAY) / US_PER_SECOND);
  }
  get microseconds(): number {
    return this.totalMicroseconds - this.days * US_PER_DAY - this.seconds * US_PER_SECOND;
  }
  total_seconds(): number {
    return this.totalMicroseconds / US_PER_SECOND;
  }

  /** Python's str(): `1 day, 2:03:04`, `0:00:01.500000`, `-1 day, 23:59:59`. */
  toString(): string {
    const { days, seconds, microseconds } = this;
    const clock = `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
    const fraction = microseconds ? `.${String(microseconds).padStart(6, '0')}` : '';
    return `${days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ` : ''}${clock}${fraction}`;
  }
  toJSON(): number {
    return this.total_seconds();
  }
  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'number' ? this.totalMicroseconds : this.toString();
  }
}

const truncate = (value: number): number => Math.trunc(value) + 0; // + 0: no -0

/** pendulum's English words for an Interval's signed unit counts (`1 month 2 days`; `-2 hours`). */
function inWords(parts: [string, number][], microseconds: number): string {
  const words = parts.filter(([, n]) => n !== 0).map(([unit, n]) => `${n} ${unit}${Math.abs(n) === 1 ? '' : 's'}`);
  if (words.length > 0) return words.join(' ');
  // Under a second pendulum gives the fraction; an Interval says `second` (`0.25 second`).
  return microseconds ? `${(Math.abs(microseconds) / 1e6).toFixed(2)} second` : '0 microseconds';
}

/**
 * pendulum 3's Interval, what `data_interval_end - data_interval_start` gives: a timedelta that keeps its
 * two ends and prints them (`<Interval [2024-01-01 00:00:00+00:00 -> 2024-01-02 00:00:00+00:00]>`).
 * `days` and the `in_*` helpers truncate towards zero; `in_days` counts calendar dates between the ends,
 * `in_months`/`years`/`months` calendar months, as pendulum does.
 */
export class TemplateInterval extends TemplateTimedelta {
  constructor(readonly start: TemplateDateTime, readonly end: TemplateDateTime) {
    super(Math.round(end.value.diff(start.value).toMillis() * 1000));
  }
  override get days(): number {
    return truncate(this.totalMicroseconds / US_PER_DAY);
  }
  /** Calendar years, months, days, hours, minutes, seconds from start to end (signed), in UTC. */
  private calendar(): { years: number; months: number; days: number; hours: number; minutes: number; seconds: number } {
    const [from, to, sign] = this.totalMicroseconds < 0 ? [this.end, this.start, -1] : [this.start, this.end, 1];
    const d = to.value.toUTC().diff(from.value.toUTC(), ['years', 'months', 'days', 'hours', 'minutes', 'seconds']).toObject();
    const n = (v: number | undefined): number => sign * truncate(v ?? 0) + 0;
    return { years: n(d.years), months: n(d.months), days: n(d.days), hours: n(d.hours), minutes: n(d.minutes), seconds: n(d.seconds) };
  }
  get years(): number { return this.calendar().years; }
  get months(): number { return this.calendar().months; }
  in_seconds(): number { return truncate(this.total_seconds()); }
  in_minutes(): number { return truncate(this.total_seconds() / 60); }
  in_hours(): number { return truncate(this.total_seconds() / 3600); }
  /** The calendar dates between the ends, each read in its own zone (23:00 to 01:00 the next day is 1). */
  in_days(): number {
    const date = (dt: TemplateDateTime): number => Date.UTC(dt.year, dt.month - 1, dt.day);
    return Math.round((date(this.end) - date(this.start)) / 86_400_000);
  }
  in_weeks(): number { return truncate(this.in_days() / 7); }
  in_months(): number { const c = this.calendar(); return c.years * 12 + c.months; }
  in_years(): number { return this.calendar().years; }
  total_minutes(): number { return this.total_seconds() / 60; }
  total_hours(): number { return this.total_seconds() / 3600; }
  total_days(): number { return this.total_seconds() / 86400; }
  in_words(): string {
    const c = this.calendar();
    const weeks = truncate(c.days / 7);
    const sub = this.totalMicroseconds % US_PER_SECOND;
    return inWords([['year', c.years], ['month', c.months], ['week', weeks], ['day', c.days - weeks * 7], ['hour', c.hours], ['minute', c.minutes], ['second', c.seconds]], sub);
  }
  repr(): string {
    return `<Interval [${this.start.toString()} -> ${this.end.toString()}]>`;
  }
  override toString(): string {
    return this.repr();
  }
}

/** Positional numbers, then nunjucks' keyword object, in the order of the Python signature. */
function pythonArgs(args: unknown[], names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  const last = args[args.length - 1];
  const positional = isKeywordArgs(last) ? args.slice(0, -1) : args;
  positional.forEach((value, index) => {
    const name = names[index];
    if (name !== undefined) out[name] = Number(value);
  });
  if (isKeywordArgs(last)) {
    for (const name of names) if (typeof last[name] === 'number') out[name] = last[name];
  }
  return out;
}

const TIMEDELTA_UNITS: Record<string, number> = {
  days: US_PER_DAY,
  seconds: US_PER_SECOND,
  microseconds: 1,
  milliseconds: 1000,
  minutes: 60 * US_PER_SECOND,
  hours: 3600 * US_PER_SECOND,
  weeks: 7 * US_PER_DAY,
};

export function timedelta(...args: unknown[]): TemplateTimedelta {
  const fields = pythonArgs(args, Object.keys(TIMEDELTA_UNITS));
  let total = 0;
  for (const [name, value] of Object.entries(fields)) total += value * (TIMEDELTA_UNITS[name] ?? 0);
  return new TemplateTimedelta(Math.round(total));
}

/** Python's `datetime` without a zone, as `macros.datetime(...)` makes it (clock read in UTC). */
const naive = (dt: DateTime): TemplateDateTime => new TemplateDateTime(dt, true);

/**
 * `macros.datetime`: Python's class (`macros.datetime(2024, 1, 1)`) and its constructors. As in Python
 * they give naive datetimes (`2024-01-01 00:00:00`), unless a `%z` or an offset says otherwise; `now()`
 * reads the UTC clock.
 */
export const datetime = Object.assign(
  (...args: unknown[]): TemplateDateTime => {
    const f = pythonArgs(args, ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond']);
    return naive(
      DateTime.fromObject(
        { year: f['year'], month: f['month'], day: f['day'], hour: f['hour'] ?? 0, minute: f['minute'] ?? 0, second: f['second'] ?? 0, millisecond: Math.floor((f['microsecond'] ?? 0) / 1000) },
        { zone: 'utc' },
      ),
    );
  },
  {
    now: () => naive(DateTime.utc()),
    utcnow: () => naive(DateTime.utc()),
    today: () => naive(DateTime.utc()),
    strptime: (text: string, format: string) => new TemplateDateTime(strptime(String(text), format), !String(format).includes('%z')),
    fromisoformat: (text: string) =>
      /(?:Z|[+-]\d{2}:?\d{2})$/.test(String(text)) ? TemplateDateTime.fromISO(String(text)) : naive(DateTime.fromISO(String(text), { zone: 'utc' })),
  },
);

/** Python's json.dumps spacing (`{"a": 1, "b": [1, 2]}`). */
function jsonDumps(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof TemplateDateTime)) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${jsonDumps(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function buildMacros(): Record<string, unknown> {
  return {
    ds_add: dsAdd,
    ds_format: dsFormat,
    datetime,
    timedelta,
    time: { time: () => Date.now() / 1000, time_ns: () => Date.now() * 1e6 },
    random: () => Math.random(),
    uuid: { uuid4: () => randomUUID() },
    json: { dumps: jsonDumps, loads: (text: string) => toTemplateValue(JSON.parse(String(text))) },
  };
}

/**
 * `+` and `-` with Python's meaning where JavaScript's differs: datetimes and timedeltas, list
 * concatenation. Everything else keeps JavaScript's operator (which nunjucks always used).
 */
export function pyBinary(op: '+' | '-', left: unknown, right: unknown): unknown {
  if (op === '+') {
    if (left instanceof TemplateDateTime && right instanceof TemplateTimedelta) return left.add({ __keywords: true, microseconds: right.totalMicroseconds });
    if (left instanceof TemplateTimedelta && right instanceof TemplateDateTime) return right.add({ __keywords: true, microseconds: left.totalMicroseconds });
    if (left instanceof TemplateTimedelta && right instanceof TemplateTimedelta) return new TemplateTimedelta(left.totalMicroseconds + right.totalMicroseconds);
    if (Array.isArray(left) && Array.isArray(right)) return [...(left as unknown[]), ...(right as unknown[])];
    return (left as number) + (right as number);
  }
  if (left instanceof TemplateDateTime && right instanceof TemplateTimedelta) return left.subtract({ __keywords: true, microseconds: right.totalMicroseconds });
  if (left instanceof TemplateDateTime && right instanceof TemplateDateTime) {
    if (left.naive !== right.naive) throw new TypeError("can't subtract offset-naive and offset-aware datetimes");
    // pendulum's DateTimes give an Interval; Python's naive datetimes (macros.datetime) a timedelta.
    if (!left.naive) return new TemplateInterval(right, left);
    return new TemplateTimedelta(Math.round(left.value.diff(right.value).toMillis() * 1000));
  }
  if (left instanceof TemplateTimedelta && right instanceof TemplateTimedelta) return new TemplateTimedelta(left.totalMicroseconds - right.totalMicroseconds);
  return (left as number) - (right as number);
}

/** Jinja's name for a value's type in error messages (`'dict object'`). */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return 'list object';
  if (typeof value === 'string') return 'str object';
  if (typeof value === 'boolean') return 'bool object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int object' : 'float object';
  if (value instanceof TemplateDateTime) return 'DateTime object';
  if (value instanceof TemplateDate) return 'Date object';
  if (value instanceof TemplateInterval) return 'Interval object';
  if (value instanceof TemplateTimedelta) return 'timedelta object';
  return isPlainMapping(value) ? 'dict object' : 'object';
}
