/**
 * Request bodies, validated the way pydantic does it for Airflow's models (DAGPatchBody,
 * TriggerDAGRunPostBody, the clear / patch / backfill bodies, DAGRunsBatchBody): extra fields forbidden, every issue reported in one 422. A body must be sent as
 * JSON: a form post from another site (CSRF) cannot set that content type without a CORS preflight.
 */
import type { Context } from 'hono';
import { REPROCESS_BEHAVIORS, type ReprocessBehavior } from '../../db/queries/backfills.js';
import { MARKABLE_TASK_STATES, type MarkableTaskState } from '../../executor/protocol.js';
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

  /** An optional boolean with its pydantic default (an explicit null is refused: the fields are not nullable). */
  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.body[key];
    if (typeof value !== 'boolean') {
      this.issue(key, 'bool_type', 'Input should be a valid boolean');
      return fallback;
    }
    return value;
  }

  int(key: string, fallback: number, min?: number): number {
    if (!this.has(key)) return fallback;
    const value = this.body[key];
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.issue(key, 'int_type', 'Input should be a valid integer');
      return fallback;
    }
    if (min !== undefined && value < min) {
      this.issue(key, 'greater_than_equal', `Input should be greater than or equal to ${min}`, { ge: min });
      return fallback;
    }
    return value;
  }

  optionalNumber(key: string): number | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.issue(key, 'float_type', 'Input should be a valid number');
      return null;
    }
    return value;
  }

  optionalStrings(key: string): string[] | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.issue(key, 'list_type', 'Input should be a valid list of strings');
      return null;
    }
    return value as string[];
  }

  /** One of `values` (pydantic's enum error lists them); null when absent or null and `nullable`. */
  optionalEnum<T extends string>(key: string, values: readonly T[]): T | null {
    const value = this.body[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      const expected = values.map((v) => `'${v}'`).join(', ').replace(/, ([^,]*)$/, ' or $1');
      this.issue(key, 'enum', `Input should be ${expected}`, { expected });
      return null;
    }
    return value as T;
  }

  requiredAwareDatetime(key: string): string | null {
    if (!this.has(key) || this.body[key] === null) {
      this.issues.push({ type: 'missing', loc: ['body', key], msg: 'Field required', input: this.body });
      return null;
    }
    return this.optionalAwareDatetime(key);
  }

  requiredString(key: string): string | null {
    if (!this.has(key)) {
      this.issues.push({ type: 'missing', loc: ['body', key], msg: 'Field required', input: this.body });
      return null;
    }
    const value = this.body[key];
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

const RANGE_SUFFIXES = ['gte', 'gt', 'lte', 'lt'] as const;
type Bounds<T> = Partial<Record<(typeof RANGE_SUFFIXES)[number], T>>;

function dateBounds(check: BodyChecker, name: string): Bounds<string> {
  const out: Bounds<string> = {};
  for (const bound of RANGE_SUFFIXES) {
    const value = check.optionalAwareDatetime(`${name}_${bound}`);
    if (value !== null) out[bound] = value;
  }
  return out;
}

/** DAGRunsBatchBody (`POST /dags/~/dagRuns/list`): filters in the body instead of the query string. */
export interface DagRunsBatchBody {
  dag_ids: string[] | null;
  states: string[];
  logical_date: Bounds<string>;
  run_after: Bounds<string>;
  start_date: Bounds<string>;
  end_date: Bounds<string>;
  duration: Bounds<number>;
  conf_contains: string | null;
  order_by: string | null;
  page_offset: number;
  page_limit: number;
}

export function parseDagRunsBatchBody(body: JsonObject): DagRunsBatchBody {
  const dateFields = ['logical_date', 'run_after', 'start_date', 'end_date'] as const;
  const check = new BodyChecker(body, [
    'dag_ids',
    'states',
    'conf_contains',
    'order_by',
    'page_offset',
    'page_limit',
    ...[...dateFields, 'duration'].flatMap((f) => RANGE_SUFFIXES.map((b) => `${f}_${b}`)),
  ]);
  const states = body['states'];
  let stateList: string[] = [];
  if (states !== undefined && states !== null) {
    if (!Array.isArray(states) || states.some((s) => s !== null && !['queued', 'running', 'success', 'failed'].includes(String(s)))) {
      check.issues.push({ type: 'enum', loc: ['body', 'states'], msg: "Input should be 'queued', 'running', 'success' or 'failed'", input: states });
    } else {
      stateList = (states as Array<string | null>).filter((s): s is string => s !== null);
    }
  }
  const duration: Bounds<number> = {};
  for (const bound of RANGE_SUFFIXES) {
    const value = check.optionalNumber(`duration_${bound}`);
    if (value !== null) duration[bound] = value;
  }
  const parsed: DagRunsBatchBody = {
    dag_ids: check.optionalStrings('dag_ids'),
    states: stateList,
    logical_date: dateBounds(check, 'logical_date'),
    run_after: dateBounds(check, 'run_after'),
    start_date: dateBounds(check, 'start_date'),
    end_date: dateBounds(check, 'end_date'),
    duration,
    conf_contains: check.optionalString('conf_contains'),
    order_by: check.optionalString('order_by'),
    page_offset: check.int('page_offset', 0, 0),
    page_limit: check.int('page_limit', 100, 0),
  };
  check.finish();
  return parsed;
}

/** `task_ids` of ClearTaskInstancesBody: task ids, or `[task_id, map_index]` pairs. */
export interface TaskIdSelector {
  task_id: string;
  map_index: number | null;
}

export interface ClearTaskInstancesBody {
  dry_run: boolean;
  dag_run_id: string | null;
  start_date: string | null;
  end_date: string | null;
  task_ids: TaskIdSelector[] | null;
  only_failed: boolean;
  only_running: boolean;
  include_upstream: boolean;
  include_downstream: boolean;
  include_future: boolean;
  include_past: boolean;
  reset_dag_runs: boolean;
  /** Fields whose non-default value airflow-serverless cannot honour; the route answers 400. */
  unsupported: string[];
}

export function parseClearTaskInstancesBody(body: JsonObject): ClearTaskInstancesBody {
  const check = new BodyChecker(body, [
    'dry_run',
    'start_date',
    'end_date',
    'only_failed',
    'only_running',
    'reset_dag_runs',
    'task_ids',
    'dag_run_id',
    'include_upstream',
    'include_downstream',
    'include_future',
    'include_past',
    'run_on_latest_version',
    'prevent_running_task',
  ]);
  let taskIds: TaskIdSelector[] | null = null;
  const rawTaskIds = body['task_ids'];
  if (rawTaskIds !== undefined && rawTaskIds !== null) {
    const valid =
      Array.isArray(rawTaskIds) &&
      rawTaskIds.every(
        (item) =>
          typeof item === 'string' ||
          (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && Number.isInteger(item[1])),
      );
    if (!valid) {
      check.issues.push({
        type: 'list_type',
        loc: ['body', 'task_ids'],
        msg: 'Input should be a list of task ids or [task_id, map_index] pairs',
        input: rawTaskIds,
      });
    } else {
      taskIds = (rawTaskIds as Array<string | [string, number]>).map((item) =>
        typeof item === 'string' ? { task_id: item, map_index: null } : { task_id: item[0], map_index: item[1] },
      );
    }
  }
  const parsed: ClearTaskInstancesBody = {
    dry_run: check.boolean('dry_run', true),
    dag_run_id: check.optionalString('dag_run_id'),
    start_date: check.optionalAwareDatetime('start_date'),
    end_date: check.optionalAwareDatetime('end_date'),
    task_ids: taskIds,
    only_failed: check.boolean('only_failed', true),
    only_running: check.boolean('only_running', false),
    include_upstream: check.boolean('include_upstream', false),
    include_downstream: check.boolean('include_downstream', false),
    include_future: check.boolean('include_future', false),
    include_past: check.boolean('include_past', false),
    reset_dag_runs: check.boolean('reset_dag_runs', true),
    unsupported: [],
  };
  if (check.boolean('run_on_latest_version', false)) parsed.unsupported.push('run_on_latest_version');
  if (check.boolean('prevent_running_task', false)) parsed.unsupported.push('prevent_running_task');
  check.finish();
  if (parsed.include_future) parsed.unsupported.push('include_future');
  // The tick's clear always requeues the run (Airflow's default); leaving it as it is cannot be honoured.
  if (!parsed.reset_dag_runs) parsed.unsupported.push('reset_dag_runs');
  if (parsed.include_past) parsed.unsupported.push('include_past');
  return parsed;
}

export interface PatchTaskInstanceBody {
  new_state: MarkableTaskState | null;
  note: string | null;
  has_note: boolean;
  include_upstream: boolean;
  include_downstream: boolean;
  include_future: boolean;
  include_past: boolean;
}

/**
 * PatchTaskInstanceBody. Airflow's validator allows only success, failed and skipped as `new_state`
 * (its error names them); the other TaskInstanceState values are refused the same way.
 */
export function parsePatchTaskInstanceBody(body: JsonObject): PatchTaskInstanceBody {
  const check = new BodyChecker(body, ['new_state', 'note', 'include_upstream', 'include_downstream', 'include_future', 'include_past']);
  const rawState = body['new_state'];
  let newState: PatchTaskInstanceBody['new_state'] = null;
  if (rawState !== undefined && rawState !== null) {
    if (typeof rawState !== 'string' || !(MARKABLE_TASK_STATES as readonly string[]).includes(rawState)) {
      check.issues.push({
        type: 'value_error',
        loc: ['body', 'new_state'],
        msg: `Value error, 'new_state' should be one of ${JSON.stringify(MARKABLE_TASK_STATES)}`,
        input: rawState,
      });
    } else {
      newState = rawState as MarkableTaskState;
    }
  }
  const note = check.optionalString('note');
  if (note !== null && note.length > 1000) {
    check.issues.push({ type: 'string_too_long', loc: ['body', 'note'], msg: 'String should have at most 1000 characters', input: note, ctx: { max_length: 1000 } });
  }
  const parsed: PatchTaskInstanceBody = {
    new_state: newState,
    note,
    has_note: check.has('note'),
    include_upstream: check.boolean('include_upstream', false),
    include_downstream: check.boolean('include_downstream', false),
    include_future: check.boolean('include_future', false),
    include_past: check.boolean('include_past', false),
  };
  check.finish();
  return parsed;
}

export interface DagRunPatchBody {
  state: 'queued' | 'success' | 'failed' | null;
  note: string | null;
  has_note: boolean;
}

export function parseDagRunPatchBody(body: JsonObject): DagRunPatchBody {
  const check = new BodyChecker(body, ['state', 'note']);
  const parsed: DagRunPatchBody = {
    state: check.optionalEnum('state', ['queued', 'success', 'failed'] as const),
    note: check.optionalString('note'),
    has_note: check.has('note'),
  };
  check.finish();
  return parsed;
}

export interface DagRunClearBody {
  dry_run: boolean;
  only_failed: boolean;
  unsupported: string[];
}

export function parseDagRunClearBody(body: JsonObject): DagRunClearBody {
  const check = new BodyChecker(body, ['dry_run', 'only_failed', 'run_on_latest_version']);
  const parsed: DagRunClearBody = { dry_run: check.boolean('dry_run', true), only_failed: check.boolean('only_failed', false), unsupported: [] };
  if (check.boolean('run_on_latest_version', false)) parsed.unsupported.push('run_on_latest_version');
  check.finish();
  return parsed;
}

export interface BackfillPostBody {
  dag_id: string;
  from_date: string;
  to_date: string;
  run_backwards: boolean;
  dag_run_conf: JsonObject;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
}

export function parseBackfillPostBody(body: JsonObject): BackfillPostBody {
  const check = new BodyChecker(body, [
    'dag_id',
    'from_date',
    'to_date',
    'run_backwards',
    'dag_run_conf',
    'reprocess_behavior',
    'max_active_runs',
    'run_on_latest_version',
  ]);
  const parsed = {
    dag_id: check.requiredString('dag_id'),
    from_date: check.requiredAwareDatetime('from_date'),
    to_date: check.requiredAwareDatetime('to_date'),
    run_backwards: check.boolean('run_backwards', false),
    dag_run_conf: check.optionalObject('dag_run_conf') ?? {},
    reprocess_behavior: check.optionalEnum('reprocess_behavior', REPROCESS_BEHAVIORS) ?? 'none',
    max_active_runs: check.int('max_active_runs', 10),
  };
  // Airflow 3 always runs a backfill on the DAG's latest version; ours has one version, so either value is fine.
  check.boolean('run_on_latest_version', true);
  check.finish();
  return parsed as BackfillPostBody;
}
