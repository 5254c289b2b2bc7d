/**
 * The fields a manifest may set, as zod schemas: DAG level, `default_args`, task groups and tasks.
 * Everything is strict: an unknown key is a problem (with a did-you-mean), except the Airflow arguments
 * listed in IGNORED_OPERATOR_ARGS / IGNORED_DAG_ARGS, which real manifests carry but which change nothing
 * here (no e-mail, pools, queues or callbacks in a serverless environment).
 */
import { posix } from 'node:path';
import * as z from 'zod';
import { TRIGGER_RULE_ALIASES, TRIGGER_RULES } from '../model.js';
import type { TriggerRule } from '../model.js';
import { tryParseDuration } from './duration.js';
import type { OperatorKind } from './model.js';
import { didYouMean } from './suggest.js';

/**
 * BaseOperator arguments accepted in `default_args` and on tasks, and ignored, with the reason each
 * warning gives (the authoring package's IGNORED_TASK_ARGS says the same for Python DAG files). Keep this
 * the only list.
 */
export const IGNORED_OPERATOR_ARG_REASONS: Readonly<Record<string, string>> = {
  email: 'no email is sent',
  email_on_failure: 'no email is sent',
  email_on_retry: 'no email is sent',
  pool: 'no pools in airflow-serverless',
  pool_slots: 'no pools in airflow-serverless',
  queue: 'no queues in airflow-serverless',
  priority_weight: 'tasks are not ordered by priority',
  weight_rule: 'tasks are not ordered by priority',
  sla: 'SLAs are not checked',
  on_failure_callback: 'callbacks are not run yet',
  on_success_callback: 'callbacks are not run yet',
  on_retry_callback: 'callbacks are not run yet',
  on_execute_callback: 'callbacks are not run yet',
  on_skipped_callback: 'callbacks are not run yet',
  executor: "tasks run on the environment's provider",
  executor_config: "tasks run on the environment's provider",
  run_as_user: "tasks run as the worker's user",
  resources: "tasks run on the environment's provider",
  inlets: 'lineage is not recorded',
  outlets: 'lineage is not recorded',
  task_display_name: 'the UI shows task ids',
  max_active_tis_per_dag: 'per-task concurrency limits are not enforced yet',
  max_active_tis_per_dagrun: 'per-task concurrency limits are not enforced yet',
  task_concurrency: 'per-task concurrency limits are not enforced yet',
  wait_for_downstream: 'not enforced yet',
  show_return_value_in_logs: 'return values are not printed to the log',
};
export const IGNORED_OPERATOR_ARGS = Object.keys(IGNORED_OPERATOR_ARG_REASONS);

/** DAG(...) arguments accepted at DAG level and ignored (UI decoration, callbacks, access control), with their reasons. */
export const IGNORED_DAG_ARG_REASONS: Readonly<Record<string, string>> = {
  dag_display_name: 'the UI shows DAG ids',
  default_view: 'the UI has one DAG view',
  orientation: 'the UI has one graph orientation',
  owner_links: 'the UI does not show owner links',
  access_control: 'no per-DAG access control in airflow-serverless',
  on_success_callback: 'callbacks are not run yet',
  on_failure_callback: 'callbacks are not run yet',
  sla_miss_callback: 'SLAs are not checked',
  max_consecutive_failed_dag_runs: 'DAGs are not paused automatically',
};
export const IGNORED_DAG_ARGS = Object.keys(IGNORED_DAG_ARG_REASONS);

/** `pool='etl'`: how a warning shows the value it ignores (Python-like, as the authoring package's warnings). */
function showValue(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/**
 * One warning line per ignored argument set in `fields` (a DAG's, a task's or a default_args block), as
 * `<where>: [default_args ]<name>=<value> is accepted and ignored (<reason>)`. Unset or empty values (null, false, [], {})
 * warn of nothing, as in the authoring package.
 */
export function ignoredArgWarnings(
  where: string,
  fields: Readonly<Record<string, unknown>>,
  reasons: Readonly<Record<string, string>>,
  /** 'default_args ' when `fields` is a default_args block. */
  block = '',
): string[] {
  const warnings: string[] = [];
  for (const [name, reason] of Object.entries(reasons)) {
    const value = fields[name];
    if (value === undefined || value === null || value === false) continue;
    if (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.keys(value).length === 0) continue;
    warnings.push(`${where}: ${block}${name}=${showValue(value)} is accepted and ignored (${reason})`);
  }
  return warnings;
}

const ignored = (keys: readonly string[]) => Object.fromEntries(keys.map((key) => [key, z.unknown().optional()]));

/** Airflow's KEY_REGEX `^[\w.-]+$`, where Python's `\w` is Unicode: letters and digits of any script. */
const ID_PATTERN = /^[\p{L}\p{N}_.-]+$/u;
export const MAX_ID_LENGTH = 250;

/** Airflow's id rule for dag_id, task_id and group names; null when valid. */
export function idProblem(kind: string, id: string): string | null {
  if (id.length === 0) return `${kind} must not be empty`;
  if (id.length > MAX_ID_LENGTH) return `${kind} '${id.slice(0, 40)}...' is ${id.length} characters; the limit is ${MAX_ID_LENGTH}`;
  if (!ID_PATTERN.test(id)) return `${kind} '${id}' may contain only letters, digits, '_', '.' and '-'`;
  // Airflow's pattern lets them through, but they name a folder and its parent in every path and URL.
  if (id === '.' || id === '..') return `${kind} '${id}' is not usable: '.' and '..' name folders; add a letter or digit`;
  return null;
}

export const durationField = z.unknown().transform((value, ctx) => {
  const result = tryParseDuration(value);
  if (result.ok) return result.seconds;
  ctx.addIssue({ code: 'custom', message: result.problem });
  return z.NEVER;
});

const nullableDuration = z.unknown().transform((value, ctx): number | null => {
  if (value === null || value === 'None') return null;
  const result = tryParseDuration(value);
  if (result.ok) return result.seconds;
  ctx.addIssue({ code: 'custom', message: result.problem });
  return z.NEVER;
});

const triggerRule = z.unknown().transform((value, ctx): TriggerRule => {
  if (typeof value === 'string') {
    if ((TRIGGER_RULES as readonly string[]).includes(value)) return value as TriggerRule;
    const alias = TRIGGER_RULE_ALIASES[value];
    if (alias) return alias;
  }
  const known = [...TRIGGER_RULES, ...Object.keys(TRIGGER_RULE_ALIASES)];
  const hint = typeof value === 'string' ? didYouMean(value, known) : '';
  ctx.addIssue({ code: 'custom', message: `unknown trigger rule '${String(value)}'${hint}; allowed: ${TRIGGER_RULES.join(', ')}` });
  return z.NEVER;
});

/** `true` means Airflow's doubling; a number is the multiplier; false/0 is off. */
const backoff = z.unknown().transform((value, ctx): number => {
  if (value === true) return 2;
  if (value === false || value === 0) return 0;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 1) return value;
  ctx.addIssue({ code: 'custom', message: `expected true/false or a multiplier >= 1, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

const stringMap = z.record(z.string(), z.unknown());
const nonNegativeInt = z.int().min(0);
const positiveInt = z.int().min(1);

/** Task arguments that `default_args`, task groups' `default_args` and tasks may all set. */
export const TASK_ARG_FIELDS = {
  owner: z.string().min(1),
  retries: nonNegativeInt,
  retry_delay: durationField,
  /** dag-factory's pre-1.0 spelling of retry_delay, in seconds. */
  retry_delay_sec: durationField,
  retry_exponential_backoff: backoff,
  max_retry_delay: nullableDuration,
  execution_timeout: nullableDuration,
  depends_on_past: z.boolean(),
  trigger_rule: triggerRule,
  params: stringMap,
};

/**
 * Linux refuses to start a program whose argument or environment string holds a NUL byte, or whose single
 * argument exceeds MAX_ARG_STRLEN (32 pages: 128 KiB, the practical ARG_MAX of `bash -c <command>`). Such
 * a task could never run a try, so it is refused where the manifest is read.
 */
export const MAX_ARG_STRLEN = 131_072;

const startableString = z.string().superRefine((value, ctx) => {
  if (value.includes('\0')) ctx.addIssue({ code: 'custom', message: 'contains a NUL byte; no program can be started with it' });
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_ARG_STRLEN) {
    ctx.addIssue({ code: 'custom', message: `is ${bytes} bytes; a command line argument is limited to ${MAX_ARG_STRLEN} bytes (Linux MAX_ARG_STRLEN): put the script in a .sh file next to the manifest` });
  }
});

const envMap = z
  .record(z.string(), z.union([startableString, z.number().transform(String)], { error: 'env values must be strings' }))
  .superRefine((env, ctx) => {
    for (const name of Object.keys(env)) {
      if (!/^[^=\0]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: "env names must be non-empty and hold no '=' or NUL byte" });
    }
  });

const skipOnExitCode = z.unknown().transform((value, ctx): number[] => {
  if (value === null) return [];
  if (Number.isInteger(value)) return [value as number];
  if (Array.isArray(value) && value.every((code) => Number.isInteger(code))) return value as number[];
  ctx.addIssue({ code: 'custom', message: `expected an integer, a list of integers or null, got ${JSON.stringify(value)}` });
  return z.NEVER;
});

const callableFile = z.string().transform((value, ctx) => {
  const normalised = posix.normalize(value.replace(/\\/g, '/'));
  const absolute = posix.isAbsolute(normalised) || /^[a-zA-Z]:\//.test(normalised) || normalised.startsWith('$');
  if (absolute || normalised === '..' || normalised.startsWith('../')) {
    ctx.addIssue({
      code: 'custom',
      message: `'${value}' must be a path relative to the dags folder, inside it (e.g. scripts/etl.py): upload the file next to the manifest and name it relative to dags/`,
    });
    return z.NEVER;
  }
  return normalised.replace(/^\.\//, '');
});

const dottedCallable = z.string().regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$/, {
  error: 'expected a dotted path like module.function (importable from the dags folder)',
});

/** Operator-specific fields; `OPERATOR_FIELDS` says which operator takes which. */
export const OPERATOR_ARG_FIELDS = {
  bash_command: startableString.pipe(z.string().min(1)),
  env: envMap.nullable(),
  append_env: z.boolean(),
  cwd: startableString.nullable(),
  skip_on_exit_code: skipOnExitCode,
  do_xcom_push: z.boolean(),
  python_callable: dottedCallable,
  python_callable_file: callableFile,
  python_callable_name: z.string().regex(/^[\p{L}_][\p{L}\p{N}_]*$/u, { error: 'expected a Python identifier (the name of a function defined in python_callable_file)' }),
  op_args: z.array(z.unknown()),
  op_kwargs: stringMap,
  templates_dict: stringMap.nullable(),
  ignore_downstream_trigger_rules: z.boolean(),
};
export type OperatorArgName = keyof typeof OPERATOR_ARG_FIELDS;

const PYTHON_FIELDS: readonly OperatorArgName[] = [
  'python_callable',
  'python_callable_file',
  'python_callable_name',
  'op_args',
  'op_kwargs',
  'templates_dict',
  'do_xcom_push',
];

export const OPERATOR_FIELDS: Readonly<Record<OperatorKind, readonly OperatorArgName[]>> = {
  bash: ['bash_command', 'env', 'append_env', 'cwd', 'skip_on_exit_code', 'do_xcom_push'],
  python: PYTHON_FIELDS,
  branch_python: PYTHON_FIELDS,
  short_circuit: [...PYTHON_FIELDS, 'ignore_downstream_trigger_rules'],
  empty: [],
};

const optionalAll = <T extends Record<string, z.ZodType>>(shape: T) =>
  Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };

/**
 * `default_args`: task arguments, any operator's arguments (applied only to operators that take them,
 * as Airflow does), plus dag-factory's habit of putting DAG-level start_date/end_date/catchup/timezone here.
 */
export const defaultArgsSchema = z.strictObject({
  ...optionalAll(TASK_ARG_FIELDS),
  ...optionalAll(OPERATOR_ARG_FIELDS),
  start_date: z.unknown().optional(),
  end_date: z.unknown().optional(),
  catchup: z.boolean().optional(),
  timezone: z.string().optional(),
  ...ignored(IGNORED_OPERATOR_ARGS),
});
export type DefaultArgs = z.infer<typeof defaultArgsSchema>;

export const dagSchema = z.strictObject({
  dag_id: z.string().optional(),
  description: z.string().nullable().optional(),
  schedule: z.unknown().optional(),
  /** dag-factory's Airflow 2 name for schedule: read as schedule, with a deprecation warning. */
  schedule_interval: z.unknown().optional(),
  start_date: z.unknown().optional(),
  end_date: z.unknown().optional(),
  catchup: z.boolean().optional(),
  timezone: z.string().optional(),
  max_active_runs: positiveInt.optional(),
  max_active_tasks: positiveInt.optional(),
  dagrun_timeout: nullableDuration.optional(),
  params: stringMap.optional(),
  tags: z.array(z.string()).optional(),
  doc_md: z.string().nullable().optional(),
  is_paused_upon_creation: z.boolean().nullable().optional(),
  render_template_as_native_obj: z.boolean().optional(),
  // Checked by their own schemas so that their problems carry their own lines.
  default_args: z.unknown().optional(),
  tasks: z.unknown().optional(),
  task_groups: z.unknown().optional(),
  ...ignored(IGNORED_DAG_ARGS),
});

export const groupSchema = z.strictObject({
  group_name: z.string().optional(),
  tooltip: z.string().nullable().optional(),
  dependencies: z.array(z.string()).optional(),
  parent_group_name: z.string().optional(),
  default_args: z.unknown().optional(),
  ui_color: z.unknown().optional(),
  ui_fgcolor: z.unknown().optional(),
});

/** Fields every task may set, whatever its operator. */
const TASK_COMMON_FIELDS = {
  task_id: z.string().optional(),
  operator: z.string(),
  dependencies: z.array(z.string()).optional(),
  task_group_name: z.string().optional(),
  doc_md: z.string().nullable().optional(),
};

const taskSchemas = new Map<OperatorKind, z.ZodType>();

/** The strict schema of one task with the given operator (cached: 10,000 tasks share five schemas). */
export function taskSchema(kind: OperatorKind): z.ZodType<TaskFields> {
  let schema = taskSchemas.get(kind);
  if (!schema) {
    const operatorFields = Object.fromEntries(OPERATOR_FIELDS[kind].map((key) => [key, OPERATOR_ARG_FIELDS[key].optional()]));
    schema = z.strictObject({
      ...TASK_COMMON_FIELDS,
      ...optionalAll(TASK_ARG_FIELDS),
      ...operatorFields,
      ...ignored(IGNORED_OPERATOR_ARGS),
    });
    taskSchemas.set(kind, schema);
  }
  return schema as z.ZodType<TaskFields>;
}

/** A validated task's fields; operator fields are present only when the operator takes them. */
export type TaskFields = z.infer<z.ZodObject<typeof TASK_COMMON_FIELDS>> &
  Partial<z.infer<z.ZodObject<typeof TASK_ARG_FIELDS>>> &
  Partial<z.infer<z.ZodObject<typeof OPERATOR_ARG_FIELDS>>>;

/** Keys that are real Airflow features we do not support: a clear error beats "unknown field". */
export const UNSUPPORTED_TASK_KEYS: Readonly<Record<string, string>> = {
  decorator: 'TaskFlow decorators are not supported; use operator: PythonOperator with python_callable',
  partial: 'dynamic task mapping (partial/expand) is not supported',
  expand: 'dynamic task mapping (partial/expand) is not supported',
  start_date: 'a task-level start_date is not supported; set start_date on the DAG or in default_args',
  end_date: 'a task-level end_date is not supported; set end_date on the DAG or in default_args',
};

export const UNSUPPORTED_DAG_KEYS: Readonly<Record<string, string>> = {
  timetable: 'custom timetables are not supported; use schedule',
  user_defined_macros: 'user_defined_macros are not supported',
  user_defined_filters: 'user_defined_filters are not supported',
  template_searchpath: 'template_searchpath is not supported',
};
