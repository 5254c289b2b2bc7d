/**
 * The datetime object templates see as `logical_date`, `data_interval_start`, `dag_run.logical_date`...
 * It prints like a pendulum 3 DateTime, as Airflow 3 prints it (`2024-01-01 00:00:00+00:00`; `isoformat()`
 * and JSON keep the `T`), and offers the handful of methods DAG authors call on it in Jinja (`strftime`,
 * `isoformat`, `add`, `subtract`, `in_timezone`, fields).
 */
import { DateTime, type DurationLikeObject } from 'luxon';
import { pythonIsoformat, strftime } from './python-datetime.js';

/** nunjucks passes `f(a, b=1)` as `f(a, {b: 1, __keywords: true})`. */
export type KeywordArgs = Record<string, unknown> & { __keywords: true };

export function isKeywordArgs(value: unknown): value is KeywordArgs {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['__keywords'] === true;
}

const PENDULUM_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'microseconds'] as const;

function durationFrom(args: unknown[]): DurationLikeObject {
  const keywords = args.find(isKeywordArgs) ?? {};
  const duration: DurationLikeObject = {};
  for (const unit of PENDULUM_UNITS) {
    const value = (keywords as Record<string, unknown>)[unit];
    if (typeof value !== 'number') continue;
    if (unit === 'microseconds') duration.milliseconds = value / 1000;
    else duration[unit] = value;
  }
  return duration;
}

/** A keyword argument of a nunjucks call (`f(a, b=1)`), when it is a number. */
function keyword(args: unknown[], name: string): number | undefined {
  const value = (args.find(isKeywordArgs) as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'number' ? value : undefined;
}

/** Python's ValueError, as the template error names it. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** pendulum's `dt.date()`: prints `2024-01-01`. */
export class TemplateDate {
  constructor(readonly value: DateTime) {}
  get year(): number { return this.value.year; }
  get month(): number { return this.value.month; }
  get day(): number { return this.value.day; }
  isoformat(): string {
    return strftime(this.value, '%Y-%m-%d');
  }
  strftime(format: string): string {
    return strftime(this.value, format);
  }
  repr(): string {
    return `Date(${this.year}, ${this.month}, ${this.day})`;
  }
  toString(): string {
    return this.isoformat();
  }
  toJSON(): string {
    return this.isoformat();
  }
  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'number' ? this.value.startOf('day').toMillis() : this.toString();
  }
}

/**
 * `naive` is a Python datetime without a zone, as `macros.datetime(2024, 1, 1)` and
 * `macros.datetime.strptime(...)` make them: it prints without an offset (`2024-01-01 00:00:00`). The
 * clock fields are kept in a UTC luxon DateTime.
 */
export class TemplateDateTime {
  constructor(readonly value: DateTime, readonly naive = false) {}

  static fromISO(iso: string): TemplateDateTime {
    return new TemplateDateTime(DateTime.fromISO(iso, { setZone: true }).toUTC());
  }

  /** The same kind of datetime (naive or aware) at another instant. */
  private derive(value: DateTime): TemplateDateTime {
    return new TemplateDateTime(value, this.naive);
  }

  get year(): number { return this.value.year; }
  get month(): number { return this.value.month; }
  get day(): number { return this.value.day; }
  get hour(): number { return this.value.hour; }
  get minute(): number { return this.value.minute; }
  get second(): number { return this.value.second; }
  get microsecond(): number { return this.value.millisecond * 1000; }
  get int_timestamp(): number { return Math.floor(this.value.toMillis() / 1000); }

  isoformat(): string {
    return pythonIsoformat(this.value, 'T', !this.naive);
  }
  /** A naive datetime's `%z` and `%Z` are empty, as in Python. */
  strftime(format: string): string {
    return strftime(this.value, this.naive ? format.replace(/%([%zZ])/g, (_, code: string) => (code === '%' ? '%%' : '')) : format);
  }
  timestamp(): number {
    return this.value.toMillis() / 1000;
  }
  date(): TemplateDate {
    return new TemplateDate(this.value);
  }
  to_date_string(): string {
    return strftime(this.value, '%Y-%m-%d');
  }
  to_datetime_string(): string {
    return strftime(this.value, '%Y-%m-%d %H:%M:%S');
  }
  /** pendulum: `Z` for UTC, the offset otherwise. */
  to_iso8601_string(): string {
    return this.isoformat().replace(/\+00:00$/, 'Z');
  }
  /** pendulum `dt.add(days=1)`. */
  add(...args: unknown[]): TemplateDateTime {
    return this.derive(this.value.plus(durationFrom(args)));
  }
  /** pendulum `dt.subtract(hours=2)`. */
  subtract(...args: unknown[]): TemplateDateTime {
    return this.derive(this.value.minus(durationFrom(args)));
  }
  /** Python's `dt.replace(day=1, hour=0)`: the named fields set, the zone kept. */
  replace(...args: unknown[]): TemplateDateTime {
    const fields: Record<string, number> = {};
    for (const name of ['year', 'month', 'day', 'hour', 'minute', 'second'] as const) {
      const value = keyword(args, name);
      if (value !== undefined) fields[name] = value;
    }
    const microsecond = keyword(args, 'microsecond');
    if (microsecond !== undefined) fields['millisecond'] = Math.floor(microsecond / 1000);
    const value = this.value.set(fields);
    // luxon rolls an impossible date over (Feb 30 -> Mar 1); Python refuses it.
    const rolled = Object.entries(fields).find(([name, wanted]) => value.get(name as 'year') !== wanted);
    if (!value.isValid || rolled) throw new ValueError(`replace(): ${rolled?.[0] ?? 'a field'} is out of range for the date`);
    return this.derive(value);
  }
  /** pendulum `dt.start_of('month')` (`second` ... `year`; weeks start on Monday, as in pendulum). */
  start_of(unit: string): TemplateDateTime {
    const units = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'] as const;
    const found = units.find((u) => u === String(unit));
    if (found === undefined) throw new ValueError(`start_of(): unit must be one of ${units.join(', ')}, got '${String(unit)}'`);
    return this.derive(this.value.startOf(found));
  }
  in_timezone(zone: string): TemplateDateTime {
    return this.derive(this.value.setZone(zone));
  }
  in_tz(zone: string): TemplateDateTime {
    return this.in_timezone(zone);
  }

  /**
   * pendulum's `repr()`, `DateTime(2024, 1, 1, 0, 0, 0, tzinfo=Timezone('UTC'))` (microseconds when set),
   * or Python's for a naive datetime, `datetime.datetime(2024, 1, 1, 0, 0)`.
   */
  repr(): string {
    const fields = [this.year, this.month, this.day, this.hour, this.minute, this.second, this.microsecond];
    if (this.naive) {
      // Python drops a zero microsecond, then a zero second.
      while (fields.length > 5 && fields[fields.length - 1] === 0) fields.pop();
      return `datetime.datetime(${fields.join(', ')})`;
    }
    if (this.microsecond === 0) fields.pop();
    return `DateTime(${fields.join(', ')}, tzinfo=Timezone('${this.value.zoneName ?? 'UTC'}'))`;
  }
  /** Python's `str()`: what `{{ logical_date }}`, `~` and the `string` filter print. */
  toString(): string {
    return pythonIsoformat(this.value, ' ', !this.naive);
  }
  /** XCom values and native rendering carry dates as ISO text, as the Python runner's JSON does. */
  toJSON(): string {
    return this.isoformat();
  }
  /** Numbers for comparisons in templates (`{% if a < b %}`), Python's `str()` everywhere else. */
  [Symbol.toPrimitive](hint: string): string | number {
    return hint === 'number' ? this.value.toMillis() : this.toString();
  }
}
