/** The stored form of a DAG: JSON with sorted keys, so equal DAGs give equal bytes and hashes. */
import { createHash } from 'node:crypto';
import type { DagSpec } from './model.js';

/** Stable JSON of a DagSpec: object keys sorted at every depth, array order kept, no whitespace. */
export function serializeDag(spec: DagSpec): string {
  return stableStringify(spec);
}

/** First 32 hex characters of the SHA-256 of `serializeDag(spec)`: changes iff the DAG changed. */
export function dagHash(spec: DagSpec): string {
  return hashSerializedDag(serializeDag(spec));
}

/** `dagHash` of a DAG already serialized with `serializeDag`, so a caller storing both serializes once. */
export function hashSerializedDag(serialized: string): string {
  return createHash('sha256').update(serialized).digest('hex').slice(0, 32);
}

// Plain loops and one string built as it goes: this runs for every DAG a tick parses, and the
// entries/filter/sort/map/join version allocated several arrays per object (0.4 ms per 10-task DAG).
function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : stableStringify(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, the same order as the `<` comparison it replaces.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${stableStringify(item)}`;
  }
  return `${out}}`;
}
