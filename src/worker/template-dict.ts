/**
 * Jinja templates treat mappings as Python dicts: `{{ dag_run.conf.get('name', 'world') }}`,
 * `{% for k, v in params.items() %}`. JSON objects handed to templates become TemplateDicts, which keep
 * their keys as own properties (so `conf.name` and JSON.stringify still work) and add the dict methods on
 * the prototype (not enumerable, so they never show up as keys).
 */
import { isKeywordArgs } from './template-datetime.js';

export class TemplateDict {
  [key: string]: unknown;

  get(key: unknown, fallback: unknown = null): unknown {
    const name = String(key);
    return Object.prototype.hasOwnProperty.call(this, name) ? this[name] : isKeywordArgs(fallback) ? null : fallback;
  }
  keys(): string[] {
    return Object.keys(this);
  }
  values(): unknown[] {
    return Object.values(this);
  }
  items(): Array<[string, unknown]> {
    return Object.entries(this);
  }
}

export function isPlainMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || proto === TemplateDict.prototype;
}

/** Deep copy of a JSON value with every mapping turned into a TemplateDict. */
export function toTemplateValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toTemplateValue);
  if (isPlainMapping(value)) {
    const dict = new TemplateDict();
    for (const [key, item] of Object.entries(value)) dict[key] = toTemplateValue(item);
    return dict;
  }
  return value;
}
