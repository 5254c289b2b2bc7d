/**
 * The datetime object templates see as `logical_date`, `data_interval_start`, `dag_run.logical_date`...
 * It prints like a pendulum 3 DateTime, as Airflow 3 prints it (`2024-01-01 00:00:00+00:00`; `isoformat()`
 * and JSON keep the `T`), and offers the handful of methods DAG authors call on it in Jinja (`strftime`,
 * `isoformat`, `add`, `subtract`, `in_timezone`, fields).
 */
import { DateTime, type DurationLikeObject } from 'luxon';
import { pythonIsoformat, pythonStr, strftime } from './python-datetime.js';

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

export class TemplateDateTime {
  constructor(readonly value: DateTime) {}

  static fromISO(iso: string): TemplateDateTime {
    return new TemplateDateTime(DateTime.fromISO(iso, { setZone: true }).toUTC());
  }

  get year(): number { return this.value.year; }
  get month(): number { return this.value.month; }
  get day(): number { return this.value.day; }
  get hour(): number { return this.value.hour; }
  get minute(): number { return this.value.minute; }
  get second(): number { return this.value.second; }
  get microsecond(): number { return this.value.millisecond * 1000; }

  isoformat(): string {
    return pythonIsoformat(this.value);
  }
  strftime(format: string): string {
    return strftime(this.value, format);
  }
  timestamp(): number {
    return this.value.toMillis() / 1000;
  }
  to_date_string(): string {
    return strftime(this.value, '%Y-%m-%d');
  }
  to_datetime_string(): string {
    return strftime(this.value, '%Y-%m-%d %H:%M:%S');
  }
  /** pendulum `dt.add(days=1)`. */
  add(...args: unknown[]): TemplateDateTime {
    return new TemplateDateTime(this.value.plus(durationFrom(args)));
  }
  /** pendulum `dt.subtract(hours=2)`. */
  subtract(...args: unknown[]): TemplateDateTime {
    return new TemplateDateTime(this.value.minus(durationFrom(args)));
  }
  in_timezone(zone: string): TemplateDateTime {
    return new TemplateDateTime(this.value.setZone(zone));
  }
  in_tz(zone: string): TemplateDateTime {
    return this.in_timezone(zone);
  }

  /** pendulum's `repr()`: `DateTime(2024, 1, 1, 0, 0, 0, tzinfo=Timezone('UTC'))`, microseconds when set. */
  repr(): string {
    const fields = [this.year, this.month, this.day, this.hour, this.minute, this.second];
    if (this.microsecond !== 0) fields.push(this.microsecond);
    return `DateTime(${fields.join(', ')}, tzinfo=Timezone('${this.value.zoneName ?? 'UTC'}'))`;
  }
  /** Python's `str()`: what `{{ logical_date }}`, `~` and the `string` filter print. */
  toString(): string {
    return pythonStr(this.value);
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
