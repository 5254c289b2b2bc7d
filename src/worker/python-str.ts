/**
 * Python's `str()` and `repr()` for JSON-shaped values. Jinja prints `{{ flag }}` as `True`, `{{ none }}` as
 * `None` and `{{ conf }}` as `{'a': 1}`; DAGs written for Airflow (bash `if [ "{{ params.x }}" = True ]`)
 * depend on it, so our templates print the same way instead of JavaScript's `true` / `[object Object]`.
 */
import { TemplateDate, TemplateDateTime } from './template-datetime.js';
import { isPlainMapping } from './template-dict.js';

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ') out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    else out += ch;
  }
  return quote + out + quote;
}

function strNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(value);
}

export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return reprString(value);
  if (value instanceof TemplateDateTime || value instanceof TemplateDate) return value.repr();
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isPlainMapping(value)) {
    const entries = Object.entries(value).filter(([key]) => key !== '__keywords');
    return `{${entries.map(([key, item]) => `${reprString(key)}: ${pyRepr(item)}`).join(', ')}}`;
  }
  return pyStr(value);
}

export function pyStr(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return strNumber(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return pyRepr(value);
  if (isPlainMapping(value)) return pyRepr(value);
  return String(value);
}
