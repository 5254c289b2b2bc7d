/**
 * Raw DAGs from the parse worker (python/PROTOCOL.md, "RawDag") → validated DagSpecs.
 *
 * The Python side only reads the DAG objects; defaults and checks live here, once, for both front ends:
 * the same config defaults as YAML (`manifestDefaultsFrom`), the same id rule (`idProblem`), the same
 * graph builder (`buildGraph`: unknown upstream ids, cycles, topological order), the same schedule and
 * timezone checks and MAX_TASKS. Every problem in a file is collected and the file fails as a whole, as a
 * YAML manifest does.
 */
import { z } from 'zod';
import { isValidTimezone, parseDagDate } from './dates.js';
import { TASK_DEFAULTS } from './defaults.js';
import type { ManifestDefaults } from './defaults.js';
import { describeType } from './duration.js';
import { ManifestError } from './errors.js';
import type { ManifestProblem } from './errors.js';
import { durationField, idProblem, TASK_ARG_FIELDS } from './fields.js';
import { buildGraph } from './graph.js';
import type { GraphGroup, GraphTask } from './graph.js';
import { describeIssues } from './issues.js';
import { MAX_TASKS } from './manifest.js';
import type { DagSpec, ScheduleSpec, TaskGroupSpec, TaskSpec, TimetableFamily } from './model.js';
import { normaliseSchedule } from './schedule.js';

const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const stringMap = z.record(z.string(), z.unknown());

const rawTaskSchema = z.object({
  task_id: z.string(),
  operator: z.enum(['empty', 'python_file']),
  operator_class: z.string().min(1),
  args: stringMap,
  upstream: z.array(z.string()),
  trigger_rule: optional(TASK_ARG_FIELDS.trigger_rule),
  owner: optional(TASK_ARG_FIELDS.owner),
  retries: optional(TASK_ARG_FIELDS.retries),
  retry_delay: optional(durationField),
  retry_exponential_backoff: optional(TASK_ARG_FIELDS.retry_exponential_backoff),
  max_retry_delay: optional(durationField),
  execution_timeout: optional(durationField),
  depends_on_past: optional(z.boolean()),
  task_group_id: optional(z.string()),
  params: optional(stringMap),
  doc_md: optional(z.string()),
  is_setup: optional(z.boolean()),
  is_teardown: optional(z.boolean()),
  on_failure_fail_dagrun: optional(z.boolean()),
});

const rawGroupSchema = z.object({
  group_id: z.string(),
  parent_group_id: optional(z.string()),
  tooltip: optional(z.string()),
});

const rawDagSchema = z.object({
  dag_id: z.string(),
  description: optional(z.string()),
  schedule: z.unknown(),
  timezone: optional(z.string()),
  start_date: optional(z.string()),
  end_date: optional(z.string()),
  catchup: optional(z.boolean()),
  max_active_runs: optional(z.int().min(1)),
  max_active_tasks: optional(z.int().min(1)),
  dagrun_timeout: optional(durationField),
  params: optional(stringMap),
  params_schema: optional(z.record(z.string(), stringMap)),
  tags: optional(z.array(z.string())),
  is_paused_upon_creation: optional(z.boolean()),
  render_template_as_native_obj: optional(z.boolean()),
  doc_md: optional(z.string()),
  warnings: optional(z.array(z.string())),
  task_groups: optional(z.array(rawGroupSchema)),
  tasks: z.array(z.unknown()),
});

type RawTask = z.infer<typeof rawTaskSchema>;

/**
 * The worker's DAGs of one file → DagSpecs (in the worker's order). Throws ManifestError naming `fileloc`
 * with every problem found; problems carry no line (the DAG objects do not say where they were built).
 */
export function specsFromRawDags(raws: readonly unknown[], fileloc: string, defaults: ManifestDefaults, fileWarnings: readonly string[] = []): DagSpec[] {
  const problems: ManifestProblem[] = [];
  const specs: DagSpec[] = [];
  const seen = new Set<string>();
  for (const raw of raws) {
    const spec = rawDagToSpec(raw, fileloc, defaults, problems);
    if (!spec) continue;
    // Warnings about the file as a whole (not one DAG) belong to each DAG it defines, so `dags show` has them.
    if (fileWarnings.length > 0) spec.warnings = [...(spec.warnings ?? []), ...fileWarnings];
    if (seen.has(spec.dag_id)) {
      problems.push({ line: null, message: `dag '${spec.dag_id}' is defined twice in this file` });
      continue;
    }
    seen.add(spec.dag_id);
    specs.push(spec);
  }
  if (problems.length > 0) throw new ManifestError(fileloc, problems);
  return specs;
}

function check<T>(schema: z.ZodType<T>, input: unknown, where: string, problems: ManifestProblem[]): T | null {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of describeIssues(result.error, input, { allowedKeys: () => [] })) {
    const path = issue.path.map(String).join('.');
    problems.push({ line: null, message: path === '' ? `${where}: ${issue.problem}` : `${where}: ${path}: ${issue.problem}` });
  }
  return null;
}

function rawDagToSpec(raw: unknown, fileloc: string, defaults: ManifestDefaults, problems: ManifestProblem[]): DagSpec | null {
  const dagId = typeof raw === 'object' && raw !== null && typeof (raw as { dag_id?: unknown }).dag_id === 'string' ? (raw as { dag_id: string }).dag_id : '?';
  const where = `dag '${dagId}'`;
  const before = problems.length;
  const problem = (message: string) => problems.push({ line: null, message });
  const dag = check(rawDagSchema, raw, where, problems);
  if (!dag) return null;
  const idIssue = idProblem('dag_id', dag.dag_id);
  if (idIssue) problem(idIssue);

  const timezone = dag.timezone ?? 'UTC';
  if (!isValidTimezone(timezone)) problem(`${where}: timezone: unknown timezone '${timezone}'; allowed: an IANA zone name such as UTC or Europe/Amsterdam`);
  const date = (key: 'start_date' | 'end_date'): string | null => {
    const value = dag[key];
    if (value === null || value === undefined) return null;
    const parsed = parseDagDate(value, 'UTC');
    if (parsed.ok) return parsed.iso;
    problem(`${where}: ${key}: ${parsed.problem}`);
    return null;
  };
  const startDate = date('start_date');
  const endDate = date('end_date');
  if (startDate && endDate && Date.parse(endDate) < Date.parse(startDate)) problem(`${where}: end_date ${endDate} is before start_date ${startDate}`);

  const schedule = checkSchedule(dag.schedule);
  if (!schedule.ok) problem(`${where}: schedule: ${schedule.problem}`);

  if (dag.tasks.length > MAX_TASKS) {
    problem(`${where}: ${dag.tasks.length} tasks; the limit is MAX_TASKS = ${MAX_TASKS} per DAG`);
    return null;
  }
  const groups = checkGroups(dag.task_groups ?? [], where, problem);
  const tasks: RawTask[] = [];
  const taskIds = new Set<string>();
  dag.tasks.forEach((input, position) => {
    const label = typeof (input as { task_id?: unknown })?.task_id === 'string' ? `${where}: task '${(input as { task_id: string }).task_id}'` : `${where}: tasks[${position}]`;
    const task = check(rawTaskSchema, input, label, problems);
    if (!task) return;
    const taskIssue = idProblem('task_id', task.task_id);
    if (taskIssue) problem(`${where}: ${taskIssue}`);
    if (taskIds.has(task.task_id)) problem(`${where}: duplicate task id '${task.task_id}'`);
    if (task.task_group_id && !groups.has(task.task_group_id)) problem(`${label}: unknown task group '${task.task_group_id}'`);
    if (task.operator === 'python_file' && typeof task.args['kind'] !== 'string') problem(`${label}: args.kind: expected string, got ${describeType(task.args['kind'])}`);
    taskIds.add(task.task_id);
    tasks.push(task);
  });
  for (const task of tasks) {
    for (const up of task.upstream) if (!taskIds.has(up)) problem(`${where}: task '${task.task_id}': unknown upstream task '${up}'`);
  }
  if (problems.length > before || !schedule.ok) return null;

  const graph = buildGraph(
    tasks.map((task): GraphTask => ({
      name: task.task_id,
      id: task.task_id,
      groupId: task.task_group_id ?? null,
      dependencies: task.upstream.map((ref) => ({ ref, line: null })),
      line: null,
    })),
    [...groups.values()].map((group): GraphGroup => ({
      name: group.group_id.split('.').at(-1) ?? group.group_id,
      id: group.group_id,
      parentId: group.parent_group_id,
      dependencies: [],
      line: null,
    })),
  );
  for (const graphProblem of graph.problems) problem(`${where}: ${graphProblem.message}`);
  if (graph.problems.length > 0) return null;

  const byId = new Map(tasks.map((task) => [task.task_id, task]));
  const ordered = graph.order.map((id) => taskSpec(byId.get(id)!, graph.upstream.get(id) ?? [], defaults));
  const spec: DagSpec = {
    dag_id: dag.dag_id,
    fileloc,
    description: dag.description ?? null,
    schedule: schedule.schedule,
    timezone,
    start_date: startDate,
    end_date: endDate,
    catchup: dag.catchup ?? defaults.catchup,
    max_active_runs: dag.max_active_runs ?? defaults.max_active_runs,
    max_active_tasks: dag.max_active_tasks ?? defaults.max_active_tasks,
    dagrun_timeout: dag.dagrun_timeout ?? null,
    params: dag.params ?? {},
    tags: [...new Set(dag.tags ?? [])],
    owners: [...new Set(ordered.map((task) => task.owner))].sort(),
    is_paused_upon_creation: dag.is_paused_upon_creation ?? defaults.is_paused_upon_creation,
    render_template_as_native_obj: dag.render_template_as_native_obj ?? false,
    doc_md: dag.doc_md ?? null,
    task_groups: [...groups.values()],
    tasks: ordered,
  };
  // Absent rather than empty, so a DAG without them serialises (and hashes) as before these existed.
  if (dag.params_schema && Object.keys(dag.params_schema).length > 0) spec.params_schema = dag.params_schema;
  if (dag.warnings && dag.warnings.length > 0) spec.warnings = dag.warnings;
  return spec;
}

function checkGroups(raws: ReadonlyArray<z.infer<typeof rawGroupSchema>>, where: string, problem: (message: string) => void): Map<string, TaskGroupSpec> {
  const groups = new Map<string, TaskGroupSpec>();
  for (const raw of raws) {
    const issue = idProblem('task group id', raw.group_id);
    if (issue) problem(`${where}: ${issue}`);
    if (groups.has(raw.group_id)) problem(`${where}: duplicate task group '${raw.group_id}'`);
    groups.set(raw.group_id, { group_id: raw.group_id, parent_group_id: raw.parent_group_id ?? null, tooltip: raw.tooltip ?? null });
  }
  for (const group of groups.values()) {
    if (group.parent_group_id !== null && !groups.has(group.parent_group_id)) {
      problem(`${where}: task group '${group.group_id}': unknown parent group '${group.parent_group_id}'`);
    }
  }
  return groups;
}

function taskSpec(task: RawTask, upstream: string[], defaults: ManifestDefaults): TaskSpec {
  const spec = {
    task_id: task.task_id,
    operator_class: task.operator_class,
    upstream,
    trigger_rule: task.trigger_rule ?? TASK_DEFAULTS.trigger_rule,
    owner: task.owner ?? TASK_DEFAULTS.owner,
    retries: task.retries ?? defaults.retries,
    retry_delay: task.retry_delay ?? TASK_DEFAULTS.retry_delay,
    retry_exponential_backoff: task.retry_exponential_backoff ?? TASK_DEFAULTS.retry_exponential_backoff,
    max_retry_delay: task.max_retry_delay ?? TASK_DEFAULTS.max_retry_delay,
    execution_timeout: task.execution_timeout ?? TASK_DEFAULTS.execution_timeout,
    depends_on_past: task.depends_on_past ?? TASK_DEFAULTS.depends_on_past,
    task_group_id: task.task_group_id ?? null,
    params: task.params ?? {},
    doc_md: task.doc_md ?? null,
    operator: task.operator,
    args: task.operator === 'empty' ? {} : { ...task.args, kind: task.args['kind'] as string },
  } as TaskSpec;
  // Only set when true, so plain tasks serialise as before these flags existed.
  if (task.is_setup) spec.is_setup = true;
  if (task.is_teardown) spec.is_teardown = true;
  if (task.on_failure_fail_dagrun) spec.on_failure_fail_dagrun = true;
  return spec;
}

type ScheduleCheck = { ok: true; schedule: ScheduleSpec } | { ok: false; problem: string };

const FAMILIES: readonly TimetableFamily[] = ['trigger', 'data_interval'];

/**
 * The worker's ScheduleSpec, checked field by field. Cron expressions and presets go through the YAML
 * path's `normaliseSchedule`, so both front ends accept and refuse the same expressions.
 */
export function checkSchedule(value: unknown): ScheduleCheck {
  if (value === null || value === undefined) return { ok: true, schedule: { kind: 'none' } };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: `expected a schedule object, got ${describeType(value)}` };
  const raw = value as Record<string, unknown>;
  const problems: string[] = [];
  const cron = (expression: unknown): string | null => {
    if (typeof expression !== 'string') {
      problems.push(`expected a cron expression, got ${describeType(expression)}`);
      return null;
    }
    const result = normaliseSchedule(expression);
    if (!result.ok) problems.push(result.problem);
    else if (result.schedule.kind !== 'cron') problems.push(`'${expression}' is not a cron expression`);
    else return result.schedule.expression;
    return null;
  };
  const extras: { timetable?: TimetableFamily; timezone?: string; interval_seconds?: number; run_immediately?: boolean | number } = {};
  if (raw['timetable'] !== undefined && raw['timetable'] !== null) {
    if (FAMILIES.includes(raw['timetable'] as TimetableFamily)) extras.timetable = raw['timetable'] as TimetableFamily;
    else problems.push(`timetable: expected one of ${FAMILIES.join(', ')}, got ${JSON.stringify(raw['timetable'])}`);
  }
  if (raw['timezone'] !== undefined && raw['timezone'] !== null) {
    if (typeof raw['timezone'] === 'string' && isValidTimezone(raw['timezone'])) extras.timezone = raw['timezone'];
    else problems.push(`timezone: unknown timezone '${String(raw['timezone'])}'`);
  }
  if (raw['interval_seconds'] !== undefined && raw['interval_seconds'] !== null) {
    const seconds = raw['interval_seconds'];
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) extras.interval_seconds = seconds;
    else problems.push(`interval: expected a non-negative number of seconds, got ${JSON.stringify(seconds)}`);
  }
  if (raw['run_immediately'] !== undefined && raw['run_immediately'] !== null) {
    const immediately = raw['run_immediately'];
    if (typeof immediately === 'boolean' || (typeof immediately === 'number' && Number.isFinite(immediately) && immediately >= 0)) extras.run_immediately = immediately;
    else problems.push(`run_immediately: expected true, false or a number of seconds, got ${JSON.stringify(immediately)}`);
  }
  let schedule: ScheduleSpec | null = null;
  switch (raw['kind']) {
    case 'none':
    case 'once':
      schedule = { kind: raw['kind'] };
      break;
    case 'cron': {
      const preset = typeof raw['preset'] === 'string' ? raw['preset'] : null;
      const expression = cron(preset ?? raw['expression']);
      if (expression !== null) {
        const { timetable, timezone, interval_seconds, run_immediately } = extras;
        schedule = { kind: 'cron', expression, preset, ...defined({ timetable, timezone, interval_seconds, run_immediately }) };
      }
      break;
    }
    case 'multi_cron': {
      const list = raw['expressions'];
      if (!Array.isArray(list) || list.length === 0) {
        problems.push('multi_cron: expected a non-empty list of cron expressions');
        break;
      }
      const expressions = list.map(cron);
      if (expressions.every((e): e is string => e !== null)) {
        const { timezone, interval_seconds, run_immediately } = extras;
        schedule = { kind: 'multi_cron', expressions, ...defined({ timezone, interval_seconds, run_immediately }) };
      }
      break;
    }
    case 'delta': {
      const seconds = raw['seconds'];
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
        problems.push(`a duration schedule must be longer than 0 seconds, got ${JSON.stringify(seconds)}`);
        break;
      }
      const { timetable, interval_seconds } = extras;
      schedule = { kind: 'delta', seconds, ...defined({ timetable, interval_seconds }) };
      break;
    }
    default:
      problems.push(`unknown schedule kind ${JSON.stringify(raw['kind'])}; expected cron, multi_cron, delta, once or none`);
  }
  if (problems.length > 0 || !schedule) return { ok: false, problem: problems.join('; ') };
  return { ok: true, schedule };
}

function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
