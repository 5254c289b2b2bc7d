/**
 * Request bodies, validated the way pydantic does it for Airflow's models (DAGPatchBody,
 * TriggerDAGRunPostBody): extra fields forbidden, every issue reported in one 422. A body must be sent as
 * JSON: a form post from another site (CSRF) cannot set that content type without a CORS preflight.
 */
import type { Context } from 'hono';
import { HttpError, RequestValidationError, type ValidationIssue } from './errors.js';

type JsonObject = Record<string, unknown>;

/** Larger bodies are refused before parsing: no request of this API needs more (conf included). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deeper nesting is refused before parsing: walking a 100,000-level value overflows the stack. */
export const MAX_BODY_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text (strings skipped), counted without recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

export async function readJsonObject(c: Context): Promise<JsonObject> {
  const contentType = c.req.header('content-type') ?? '';
  const declared = Number(c.req.header('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(400, `Request body too large: ${declared} bytes; the limit is ${MAX_BODY_BYTES}`);
  const text = await c.req.text();
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new HttpError(400, `Request body too large: ${bytes} bytes; the limit is ${MAX_BODY_BYTES}`);
  if (nestingDepth(text) > MAX_BODY_DEPTH) throw new HttpError(400, `Request body nested too deeply; the limit is ${MAX_BODY_DEPTH} levels`);
  if (text.trim() === '') {
    throw new RequestValidationError([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  }
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new RequestValidationError([
      { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: text },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RequestValidationError([
      { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: (error as Error).message } },
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestValidationError([
      { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: parsed },
    ]);
  }
  return parsed as JsonObject;
}

class BodyChecker {
  readonly issues: ValidationIssue[] = [];
  constructor(
    private readonly body: JsonObject,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) {
        this.issues.push({ type: 'extra_forbidden', loc: ['body', key], msg: 'Extra inputs are not permitted', input: body[key] });
      }
    }
  }

  private issue(key: string, type: string, msg: string, ctx?: Record<string, unknown>): void {
    this.issues.push({ type, loc: ['body', key], msg, input: this.body[key], ...(ctx ? { ctx } : {}) });
  }

  has(key: string): boolean {
    return Object.hasOwn(this.body, key);
  }

  requiredBoolean(key: string): boolean | undefined {
    if (!this.has(key)) {
      this.issues.push({ type: 'missing', loc: ['body', key], msg: 'Field required', input: this.body });
      return undefined;
    }
    const value = this.body[key];
    if (typeof value !== 'boolean') {
      this.issue(key, 'bool_type', 'Input should be a valid boolean');
      return undefined;
    }
    return value;
  }

  optionalString(key: string): string | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      this.issue(key, 'string_type', 'Input should be a valid string');
      return null;
    }
    return value;
  }

  optionalObject(key: string): JsonObject | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.issue(key, 'dict_type', 'Input should be a valid dictionary');
      return null;
    }
    return value as JsonObject;
  }

  /** An instant with an explicit zone (pydantic AwareDatetime), as `toISOString()`. */
  optionalAwareDatetime(key: string): string | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      this.issue(key, 'datetime_type', 'Input should be a valid datetime');
      return null;
    }
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())) {
      if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value.trim())) {
        this.issue(key, 'timezone_aware', 'Input should have timezone info');
      } else {
        this.issue(key, 'datetime_from_date_parsing', 'Input should be a valid datetime or date, invalid character in year');
      }
      return null;
    }
    const ms = Date.parse(value.trim().replace(' ', 'T'));
    if (Number.isNaN(ms)) {
      this.issue(key, 'datetime_from_date_parsing', 'Input should be a valid datetime or date');
      return null;
    }
    return new Date(ms).toISOString();
  }

  finish(): void {
    if (this.issues.length > 0) throw new RequestValidationError(this.issues);
  }
}

export function parseDagPatchBody(body: JsonObject): { is_paused: boolean } {
  const check = new BodyChecker(body, ['is_paused']);
  const isPaused = check.requiredBoolean('is_paused');
  check.finish();
  return { is_paused: isPaused as boolean };
}

export interface TriggerBody {
  dag_run_id: string | null;
  logical_date: string | null;
  conf: JsonObject | null;
  note: string | null;
  /** Fields of Airflow's body that the tick cannot honour yet; the route refuses them with a 400. */
  unsupported: string[];
}

export function parseTriggerBody(body: JsonObject): TriggerBody {
  const check = new BodyChecker(body, [
    'dag_run_id',
    'logical_date',
    'run_after',
    'data_interval_start',
    'data_interval_end',
    'conf',
    'note',
    'partition_key',
  ]);
  const parsed: TriggerBody = {
    dag_run_id: check.optionalString('dag_run_id'),
    logical_date: check.optionalAwareDatetime('logical_date'),
    conf: check.optionalObject('conf'),
    note: check.optionalString('note'),
    unsupported: [],
  };
  const runAfter = check.optionalAwareDatetime('run_after');
  const intervalStart = check.optionalAwareDatetime('data_interval_start');
  const intervalEnd = check.optionalAwareDatetime('data_interval_end');
  const partitionKey = check.optionalString('partition_key');
  if ((intervalStart === null) !== (intervalEnd === null)) {
    check.issues.push({
      type: 'value_error',
      loc: ['body'],
      msg: 'Value error, Either both data_interval_start and data_interval_end must be provided or both must be None',
      input: body,
    });
  }
  check.finish();
  if (runAfter !== null) parsed.unsupported.push('run_after');
  if (intervalStart !== null) parsed.unsupported.push('data_interval_start', 'data_interval_end');
  if (partitionKey !== null) parsed.unsupported.push('partition_key');
  return parsed;
}
