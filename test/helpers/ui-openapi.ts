/**
 * Validates responses against Airflow's OpenAPI 3.2 spec (`shared/reference/airflow-openapi-v2.yaml`, which
 * sits beside this repository's checkout in development and in CI; AIRFLOW_OPENAPI_SPEC overrides the path). The spec marks nullability OpenAPI-3.0 style
 * (`nullable: true`) next to 3.1's `anyOf [.., {type: null}]`; both become JSON Schema 2020-12 here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const OPENAPI_SPEC_PATH =
  process.env.AIRFLOW_OPENAPI_SPEC ?? path.join(repoRoot, '../shared/reference/airflow-openapi-v2.yaml');

type Json = Record<string, unknown>;

function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'nullable' || key === 'example') continue;
    out[key] = convert(value);
  }
  if (source.nullable === true) {
    if (typeof out.$ref === 'string') {
      const { $ref, ...rest } = out;
      return { ...rest, anyOf: [{ $ref }, { type: 'null' }] };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    if (out.type === undefined && out.anyOf === undefined) return out;
  }
  return out;
}

export interface OpenApiValidator {
  /** Throws with ajv's errors when `value` does not match `components.schemas[name]`. */
  assertValid(name: string, value: unknown): void;
}

export function loadOpenApiValidator(): OpenApiValidator {
  const spec = YAML.parse(fs.readFileSync(OPENAPI_SPEC_PATH, 'utf8')) as { components: { schemas: Json } };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema({ $id: 'airflow', components: { schemas: convert(spec.components.schemas) } });
  return {
    assertValid(name, value) {
      if (!(name in spec.components.schemas)) throw new Error(`no schema ${name} in the spec`);
      const validate = ajv.getSchema(`airflow#/components/schemas/${name}`);
      if (!validate) throw new Error(`cannot compile schema ${name}`);
      if (!validate(value)) {
        throw new Error(`response does not match ${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(value).slice(0, 800)}`);
      }
    },
  };
}

/** Every datetime-looking string in a response, so tests can insist they end in `Z`. */
export function datetimeStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) out.push(value);
  else if (Array.isArray(value)) for (const item of value) datetimeStrings(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) datetimeStrings(item, out);
  return out;
}
