/**
 * A trigger's conf against the DAG's params, as Airflow validates it (`ParamsDict.validate`): the conf is
 * merged over the params' defaults and each param that declares a JSON Schema (`Param(5, type="integer",
 * minimum=1)`) is checked with it, formats included (Airflow's jsonschema `FormatChecker`). The first
 * failure is one line naming the param. Applied where a trigger is accepted (CLI, API) and again where the
 * tick applies it.
 */
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type { DagSpec } from './model.js';

let ajvInstance: Ajv2020 | undefined;

/**
 * Ajv is loaded on the first schema to check, with a synchronous require (ajv is CommonJS): the tick, the
 * CLI's trigger and the API import this module, and most DAGs declare no schema, so start-up never pays
 * for ajv and its formats (about 30 ms).
 */
function ajv(): Ajv2020 {
  if (ajvInstance === undefined) {
    // CommonJS builds of this module (tests bundle it so) have a require of their own and no import.meta.url.
    const load = typeof require === 'function' ? require : createRequire(import.meta.url);
    const { Ajv2020: AjvClass } = load('ajv/dist/2020.js') as typeof AjvModule;
    const addFormats = load('ajv-formats') as { default?: (instance: Ajv2020) => void } & ((instance: Ajv2020) => void);
    ajvInstance = new AjvClass({ strict: false, allErrors: false });
    (addFormats.default ?? addFormats)(ajvInstance);
  }
  return ajvInstance;
}

/** Compiled schemas by their JSON text: a DAG's params are checked on every trigger. Bounded. */
const compiled = new Map<string, ValidateFunction | string>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction | string {
  const key = JSON.stringify(schema);
  let validator = compiled.get(key);
  if (validator === undefined) {
    try {
      validator = ajv().compile(schema);
    } catch (error) {
      validator = `its schema is invalid: ${(error as Error).message}`;
    }
    if (compiled.size >= 1024) compiled.clear();
    compiled.set(key, validator);
  }
  return validator;
}

/** The merged params a run gets: defaults, then the trigger's conf over them (Airflow's deep_merge, one level). */
export function mergedParams(spec: Pick<DagSpec, 'params'>, conf: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return { ...spec.params, ...(conf ?? {}) };
}

/** Null when the conf is valid, else one line: `Invalid input for param n: must be integer (got "x")`. */
export function paramsProblem(spec: Pick<DagSpec, 'params' | 'params_schema'>, conf: Record<string, unknown> | null | undefined): string | null {
  const schemas = spec.params_schema;
  if (!schemas) return null;
  const merged = mergedParams(spec, conf);
  for (const [name, schema] of Object.entries(schemas)) {
    const validator = validatorFor(schema);
    const value = merged[name] ?? null;
    if (typeof validator === 'string') return `Invalid param ${name}: ${validator}`;
    if (validator(value)) continue;
    const error = validator.errors?.[0];
    const where = error?.instancePath ? ` at ${error.instancePath}` : '';
    const detail = error?.keyword === 'enum' ? `must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}` : (error?.message ?? 'invalid');
    return `Invalid input for param ${name}: ${detail}${where} (got ${JSON.stringify(value)})`;
  }
  return null;
}
