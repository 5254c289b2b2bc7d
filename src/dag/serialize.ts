/** The stored form of a DAG: JSON with sorted keys, so equal DAGs give equal bytes and hashes. */
import { createHash } from 'node:crypto';
import type { DagSpec } from './model.js';

/** Stable JSON of a DagSpec: object keys sorted at every depth, array order kept, no whitespace. */
export function serializeDag(spec: DagSpec): string {
  return stableStringify(spec);
}

/** First 32 hex characters of the SHA-256 of `serializeDag(spec)`: changes iff the DAG changed. */
export function dagHash(spec: DagSpec): string {
  return createHash('sha256').update(serializeDag(spec)).digest('hex').slice(0, 32);
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : stableStringify(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
}
