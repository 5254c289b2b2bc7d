/**
 * Dates the way templates written for Airflow expect them: Python `strftime`/`strptime` codes, pendulum 3's
 * `str()` (`2024-01-01 00:00:00+00:00`) and `isoformat()` (with `T`), and the `ds`/`ts` family of formats.
 * Luxon does the calendar arithmetic; this module only translates Python's vocabulary.
 */
import { DateTime } from 'luxon';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export class DateFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DateFormatError';
  }
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** `+0000` / `-0530`, Python's `%z` (no colon). */
function compactOffset(dt: DateTime): string {
  const minutes = dt.offset;
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** Python's `datetime.strftime` for the common codes; unknown codes pass through unchanged, as glibc does. */
export function strftime(dt: DateTime, format: string): string {
  return format.replace(/%([a-zA-Z%])/g, (whole, code: string) => {
    switch (code) {
      case 'Y': return pad(dt.year, 4);
      case 'y': return pad(dt.year % 100);
      case 'm': return pad(dt.month);
      case 'd': return pad(dt.day);
      case 'e': return String(dt.day).padStart(2, ' ');
      case 'H': return pad(dt.hour);
      case 'I': return pad(dt.hour % 12 === 0 ? 12 : dt.hour % 12);
      case 'p': return dt.hour < 12 ? 'AM' : 'PM';
      case 'M': return pad(dt.minute);
      case 'S': return pad(dt.second);
      case 'f': return pad(dt.millisecond * 1000, 6);
      case 'j': return pad(dt.ordinal, 3);
      case 'b': return (MONTHS[dt.month - 1] ?? '').slice(0, 3);
      case 'B': return MONTHS[dt.month - 1] ?? '';
      case 'a': return (WEEKDAYS[dt.weekday - 1] ?? '').slice(0, 3);
      case 'A': return WEEKDAYS[dt.weekday - 1] ?? '';
      case 'w': return String(dt.weekday % 7);
      case 'u': return String(dt.weekday);
      case 'z': return compactOffset(dt);
      case 'Z': return dt.offset === 0 ? 'UTC' : (dt.offsetNameShort ?? '');
      case '%': return '%';
      default: return whole;
    }
  });
}

interface ParsedFields {
  year?: number;
  month?: number;
  day?: number;
  ordinal?: number;
  hour?: number;
  minute?: number;
  second?: number;
  microsecond?: number;
  offsetMinutes?: number;
  pm?: boolean;
}

type FieldParser = { pattern: string; apply: (text: string, fields: ParsedFields) => void };

const monthIndex = (name: string, short: boolean): number =>
  MONTHS.findIndex((m) => (short ? m.slice(0, 3) : m).toLowerCase() === name.toLowerCase()) + 1;

const STRPTIME_CODES: Record<string, FieldParser> = {
  Y: { pattern: '\\d{4}', apply: (t, f) => void (f.year = Number(t)) },
  y: { pattern: '\\d{2}', apply: (t, f) => void (f.year = (Number(t) < 69 ? 2000 : 1900) + Number(t)) },
  m: { pattern: '\\d{1,2}', apply: (t, f) => void (f.month = Number(t)) },
  d: { pattern: '\\d{1,2}', apply: (t, f) => void (f.day = Number(t)) },
  j: { pattern: '\\d{1,3}', apply: (t, f) => void (f.ordinal = Number(t)) },
  H: { pattern: '\\d{1,2}', apply: (t, f) => void (f.hour = Number(t)) },
  I: { pattern: '\\d{1,2}', apply: (t, f) => void (f.hour = Number(t) % 12) },
  p: { pattern: '[AaPp][Mm]', apply: (t, f) => void (f.pm = t.toLowerCase() === 'pm') },
  M: { pattern: '\\d{1,2}', apply: (t, f) => void (f.minute = Number(t)) },
  S: { pattern: '\\d{1,2}', apply: (t, f) => void (f.second = Number(t)) },
  f: { pattern: '\\d{1,6}', apply: (t, f) => void (f.microsecond = Number(t.padEnd(6, '0'))) },
  b: { pattern: '[A-Za-z]{3}', apply: (t, f) => void (f.month = monthIndex(t, true)) },
  B: { pattern: '[A-Za-z]+', apply: (t, f) => void (f.month = monthIndex(t, false)) },
  a: { pattern: '[A-Za-z]{3}', apply: () => {} },
  A: { pattern: '[A-Za-z]+', apply: () => {} },
  z: {
    pattern: '(?:Z|[+-]\\d{2}:?\\d{2})',
    apply: (t, f) => {
      if (t === 'Z') return void (f.offsetMinutes = 0);
      const digits = t.replace(':', '');
      const sign = digits.startsWith('-') ? -1 : 1;
      f.offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    },
  },
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Python's `datetime.strptime` for the codes `strftime` knows; a naive result is taken as UTC. */
export function strptime(text: string, format: string): DateTime {
  const appliers: FieldParser['apply'][] = [];
  let pattern = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] ?? '';
    if (ch === '%' && i + 1 < format.length) {
      const code = format[++i] ?? '';
      if (code === '%') {
        pattern += '%';
        continue;
      }
      const parser = STRPTIME_CODES[code];
      if (!parser) throw new DateFormatError(`Unsupported format code %${code} in '${format}'`);
      pattern += `(${parser.pattern})`;
      appliers.push(parser.apply);
    } else {
      pattern += /\s/.test(ch) ? '\\s+' : escapeRegExp(ch);
    }
  }
  const match = new RegExp(`^${pattern}$`).exec(text);
  if (!match) throw new DateFormatError(`time data '${text}' does not match format '${format}'`);
  const fields: ParsedFields = {};
  appliers.forEach((apply, index) => apply(match[index + 1] ?? '', fields));
  if (fields.pm !== undefined && fields.hour !== undefined) fields.hour = (fields.hour % 12) + (fields.pm ? 12 : 0);
  const zone = fields.offsetMinutes === undefined ? 'utc' : `UTC${fields.offsetMinutes < 0 ? '-' : '+'}${Math.floor(Math.abs(fields.offsetMinutes) / 60)}:${pad(Math.abs(fields.offsetMinutes) % 60)}`;
  const year = fields.year ?? 1900;
  let result = DateTime.fromObject(
    {
      year,
      month: fields.ordinal !== undefined ? 1 : (fields.month ?? 1),
      day: fields.ordinal !== undefined ? 1 : (fields.day ?? 1),
      hour: fields.hour ?? 0,
      minute: fields.minute ?? 0,
      second: fields.second ?? 0,
      millisecond: Math.floor((fields.microsecond ?? 0) / 1000),
    },
    { zone },
  );
  if (fields.ordinal !== undefined) result = result.plus({ days: fields.ordinal - 1 });
  if (!result.isValid) throw new DateFormatError(`time data '${text}' is not a valid date for format '${format}'`);
  return result;
}

/**
 * pendulum's `isoformat()`: `2024-01-01T00:00:00+00:00`, microseconds only when not zero; without the
 * offset for a naive datetime.
 */
export function pythonIsoformat(dt: DateTime, separator = 'T', withOffset = true): string {
  const base = strftime(dt, `%Y-%m-%d${separator}%H:%M:%S`);
  const fraction = dt.millisecond === 0 ? '' : `.${pad(dt.millisecond * 1000, 6)}`;
  if (!withOffset) return `${base}${fraction}`;
  const offset = compactOffset(dt);
  return `${base}${fraction}${offset.slice(0, 3)}:${offset.slice(3)}`;
}

export const formatDs = (dt: DateTime): string => strftime(dt, '%Y-%m-%d');
export const formatDsNodash = (dt: DateTime): string => strftime(dt, '%Y%m%d');
export const formatTs = (dt: DateTime): string => pythonIsoformat(dt);
export const formatTsNodash = (dt: DateTime): string => strftime(dt, '%Y%m%dT%H%M%S');
export const formatTsNodashWithTz = (dt: DateTime): string => pythonIsoformat(dt).replaceAll('-', '').replaceAll(':', '');

/** Parses an ISO instant from a payload into UTC (Airflow's context dates are UTC pendulum datetimes). */
export function parseInstant(iso: string): DateTime {
  const dt = DateTime.fromISO(iso, { setZone: true }).toUTC();
  if (!dt.isValid) throw new DateFormatError(`Not an ISO-8601 instant: '${iso}'`);
  return dt;
}

/** Airflow's `macros.ds_add`: `ds_add('2015-01-01', 5) == '2015-01-06'`. */
export function dsAdd(ds: string, days: number | string): string {
  const start = strptime(String(ds), '%Y-%m-%d');
  const count = Number(days);
  if (!Number.isFinite(count)) throw new DateFormatError(`ds_add: days must be a number, got '${String(days)}'`);
  return formatDs(start.plus({ days: count }));
}

/** Airflow's `macros.ds_format`: re-format a date string from one strftime format to another. */
export function dsFormat(ds: string, inputFormat: string, outputFormat: string): string {
  return strftime(strptime(String(ds), inputFormat), outputFormat);
}
