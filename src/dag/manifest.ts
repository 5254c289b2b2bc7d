/**
 * A DAG manifest (dag-factory YAML) → validated DagSpecs.
 *
 * The parser collects every problem it can find in a file (each with its line) before giving up, so a
 * user fixes a manifest in one round trip. A DAG with any problem yields no spec, and a file with any
 * problem yields no DAGs at all: a half-applied file would be harder to reason about than a rejected one.
 */
import type { z } from 'zod';
import { isValidTimezone, parseDagDate } from './dates.js';
import { TASK_DEFAULTS } from './defaults.js';
import type { ManifestDefaults } from './defaults.js';
import { describeType } from './duration.js';
import { ManifestError } from './errors.js';
import type { ManifestProblem } from './errors.js';
import {
  dagSchema,
  defaultArgsSchema,
  groupSchema,
  idProblem,
  IGNORED_DAG_ARG_REASONS,
  IGNORED_OPERATOR_ARG_REASONS,
  ignoredArgWarnings,
  OPERATOR_FIELDS,
  taskSchema,
  UNSUPPORTED_DAG_KEYS,
  UNSUPPORTED_TASK_KEYS,
} from './fields.js';
import type { DefaultArgs } from './fields.js';
import { buildGraph } from './graph.js';
import type { GraphGroup, GraphTask } from './graph.js';
import { describeIssues } from './issues.js';
import type { DagSpec, OperatorKind, ScheduleSpec, TaskGroupSpec, TaskSpec } from './model.js';
import { resolveOperator, supportedOperatorNames } from './operators.js';
import { normaliseSchedule } from './schedule.js';
import { didYouMean } from './suggest.js';
import { isPlainObject, readYaml } from './yaml-source.js';
import type { LineIndex } from './yaml-source.js';

/** Larger files are rejected before parsing: a manifest is configuration, not data. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Per DAG. Every tick evaluates every task of every running DAG run. */
export const MAX_TASKS = 10_000;

/** dag-factory's reserved top-level key, deep-merged into every DAG. */
const DEFAULT_BLOCK = 'default';

export function parseManifest(text: string, fileloc: string, defaults: ManifestDefaults): DagSpec[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) {
    throw new ManifestError(fileloc, [
      { line: null, message: `manifest is ${bytes} bytes; the limit is MAX_MANIFEST_BYTES = ${MAX_MANIFEST_BYTES} bytes (1 MiB)` },
    ]);
  }
  const source = readYaml(text, { version: '1.1' });
  if (source.problems.length > 0) throw new ManifestError(fileloc, source.problems);
  if (source.value === null) return [];
  const parser = new ManifestParser(source.index, fileloc, defaults);
  const specs = parser.parseTopLevel(source.value);
  if (parser.problems.length > 0) throw new ManifestError(fileloc, sortByLine(parser.problems));
  return specs;
}

/** Where a validated object came from, to turn problem paths into lines. */
interface Origin {
  container: unknown;
  /** Line to use when the path's own key is not in the file (a missing field). */
  fallbackLine: number | null;
}

interface GroupInfo {
  name: string;
  id: string;
  parentId: string | null;
  tooltip: string | null;
  defaultArgs: DefaultArgs;
  graph: GraphGroup;
}

interface TaskInput {
  name: string;
  raw: unknown;
  line: number | null;
}

class ManifestParser {
  readonly problems: ManifestProblem[] = [];
  /** Warnings of the DAG being parsed (arguments accepted but not acted on, deprecated spellings). */
  private warnings: string[] = [];

  constructor(
    private readonly index: LineIndex,
    private readonly fileloc: string,
    private readonly defaults: ManifestDefaults,
  ) {}

  parseTopLevel(value: unknown): DagSpec[] {
    if (!isPlainObject(value)) {
      // A scalar document has no container to take a line from; it starts on line 1 anyway.
      this.problem(this.index.startLine(value) ?? 1, `expected a mapping of DAG ids to DAG settings, got ${describeType(value)}`);
      return [];
    }
    const defaultBlock = value[DEFAULT_BLOCK];
    if (defaultBlock !== undefined && defaultBlock !== null && !isPlainObject(defaultBlock)) {
      this.problem(this.index.lineOf(value, [DEFAULT_BLOCK]), `default: expected a mapping, got ${describeType(defaultBlock)}`);
    }
    const specs: DagSpec[] = [];
    for (const [dagId, raw] of Object.entries(value)) {
      if (dagId === DEFAULT_BLOCK) continue;
      const spec = this.parseDag(dagId, raw, isPlainObject(defaultBlock) ? defaultBlock : null, this.index.lineOf(value, [dagId]));
      if (spec) specs.push(spec);
    }
    return specs;
  }

  private parseDag(dagId: string, raw: unknown, defaultBlock: Record<string, unknown> | null, dagLine: number | null): DagSpec | null {
    const where = `dag '${dagId}'`;
    const problemsBefore = this.problems.length;
    this.warnings = [];
    const idIssue = idProblem('dag_id', dagId);
    if (idIssue) this.problem(dagLine, idIssue);
    if (!isPlainObject(raw)) {
      this.problem(dagLine, `${where}: expected a mapping of DAG settings, got ${describeType(raw)}`);
      return null;
    }
    const merged = (defaultBlock ? this.index.mergeDeep(defaultBlock, raw) : raw) as Record<string, unknown>;
    const origin: Origin = { container: merged, fallbackLine: dagLine };
    const at = (path: PropertyKey[]) => this.index.lineOf(merged, path) ?? dagLine;

    const dag =
      this.check(dagSchema, merged, origin, where, (key) => UNSUPPORTED_DAG_KEYS[key]) ??
      ({ default_args: merged['default_args'], tasks: merged['tasks'], task_groups: merged['task_groups'] } as z.infer<typeof dagSchema>);
    if (dag.dag_id !== undefined && dag.dag_id !== dagId) {
      this.problem(at(['dag_id']), `${where}: dag_id '${dag.dag_id}' must equal its key '${dagId}'`);
    }
    const defaultArgs = this.parseDefaultArgs(dag.default_args, { container: merged, fallbackLine: dagLine }, ['default_args'], where) ?? {};

    // dag-factory lets start_date, end_date, catchup and timezone sit in default_args (Airflow's DAG reads
    // start_date from there too); the DAG level wins when both are set.
    const fromDagOrArgs = (key: 'start_date' | 'end_date' | 'timezone') =>
      dag[key] !== undefined ? { value: dag[key], line: at([key]) } : { value: defaultArgs[key], line: at(['default_args', key]) };

    const zone = fromDagOrArgs('timezone');
    let timezone = 'UTC';
    if (zone.value !== undefined) {
      if (typeof zone.value === 'string' && isValidTimezone(zone.value)) timezone = zone.value;
      else this.problem(zone.line, `${where}: timezone: unknown timezone '${String(zone.value)}'; allowed: an IANA zone name such as UTC or Europe/Amsterdam`);
    }
    const startDate = this.parseDate(fromDagOrArgs('start_date'), timezone, `${where}: start_date`);
    const endDate = this.parseDate(fromDagOrArgs('end_date'), timezone, `${where}: end_date`);
    if (startDate && endDate && Date.parse(endDate) < Date.parse(startDate)) {
      this.problem(fromDagOrArgs('end_date').line, `${where}: end_date ${endDate} is before start_date ${startDate}`);
    }

    const schedule = this.parseSchedule(dagId, merged, dag, at, where);
    this.warnings.push(...ignoredArgWarnings(`DAG '${dagId}'`, merged, IGNORED_DAG_ARG_REASONS));
    if (isPlainObject(dag.default_args)) {
      this.warnings.push(...ignoredArgWarnings(`DAG '${dagId}'`, dag.default_args, IGNORED_OPERATOR_ARG_REASONS, 'default_args '));
    }
    const groups = this.parseGroups(dag.task_groups, merged, at, where);
    const tasks = this.parseTasks(dag.tasks, merged, at, where, defaultArgs, groups);
    if (this.problems.length > problemsBefore || !schedule || !tasks) return null;

    const graph = buildGraph(
      tasks.map((task) => task.graph),
      [...groups.values()].map((group) => group.graph),
    );
    for (const problem of graph.problems) this.problem(problem.line, `${where}: ${problem.message}`);
    if (graph.problems.length > 0) return null;
    const byId = new Map(tasks.map((task) => [task.spec.task_id, task.spec]));
    const ordered = graph.order.map((id) => ({ ...byId.get(id)!, upstream: graph.upstream.get(id) ?? [] }) as TaskSpec);

    return {
      dag_id: dagId,
      fileloc: this.fileloc,
      description: dag.description ?? null,
      schedule,
      timezone,
      start_date: startDate,
      end_date: endDate,
      catchup: dag.catchup ?? defaultArgs.catchup ?? this.defaults.catchup,
      max_active_runs: dag.max_active_runs ?? this.defaults.max_active_runs,
      max_active_tasks: dag.max_active_tasks ?? this.defaults.max_active_tasks,
      dagrun_timeout: dag.dagrun_timeout ?? null,
      params: dag.params ?? {},
      tags: [...new Set(dag.tags ?? [])],
      owners: [...new Set(ordered.map((task) => task.owner))].sort(),
      is_paused_upon_creation: dag.is_paused_upon_creation ?? this.defaults.is_paused_upon_creation,
      render_template_as_native_obj: dag.render_template_as_native_obj ?? false,
      doc_md: dag.doc_md ?? null,
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      task_groups: [...groups.values()]
        .map((group): TaskGroupSpec => ({ group_id: group.id, parent_group_id: group.parentId, tooltip: group.tooltip }))
        .sort((a, b) => (a.group_id < b.group_id ? -1 : a.group_id > b.group_id ? 1 : 0)),
      tasks: ordered,
    };
  }

  /**
   * `schedule:`, or dag-factory's Airflow 2 `schedule_interval:` read the same way with a deprecation
   * warning (dag-factory still accepts it); both at once is ambiguous and refused.
   */
  private parseSchedule(
    dagId: string,
    merged: Record<string, unknown>,
    dag: { schedule?: unknown; schedule_interval?: unknown },
    at: (path: PropertyKey[]) => number | null,
    where: string,
  ): ScheduleSpec | null {
    let key = 'schedule';
    if ('schedule_interval' in merged) {
      if ('schedule' in merged) {
        this.problem(at(['schedule_interval']), `${where}: give either schedule or schedule_interval (its Airflow 2 name), not both`);
        return null;
      }
      key = 'schedule_interval';
      this.warnings.push(`DAG '${dagId}': schedule_interval is Airflow 2's name (removed in Airflow 3); read as schedule`);
    }
    const result = normaliseSchedule(key in merged ? (key === 'schedule' ? dag.schedule : dag.schedule_interval) : null);
    if (result.ok) return result.schedule;
    this.problem(at([key]), `${where}: ${key}: ${result.problem}`);
    return null;
  }

  private parseDate(source: { value: unknown; line: number | null }, timezone: string, label: string): string | null {
    if (source.value === undefined || source.value === null) return null;
    const result = parseDagDate(source.value, timezone);
    if (result.ok) return result.iso;
    this.problem(source.line, `${label}: ${result.problem}`);
    return null;
  }

  /** Validate a `default_args` block; `retry_delay_sec` becomes `retry_delay` unless that is set too. */
  private parseDefaultArgs(value: unknown, parent: Origin, path: PropertyKey[], where: string): DefaultArgs | null {
    if (value === undefined || value === null) return null;
    const line = this.index.lineOf(parent.container, path) ?? parent.fallbackLine;
    if (!isPlainObject(value)) {
      this.problem(line, `${where}: ${path.join('.')}: expected a mapping, got ${describeType(value)}`);
      return null;
    }
    const args = this.check(defaultArgsSchema, value, { container: value, fallbackLine: line }, `${where}: ${String(path.at(-1))}`);
    if (!args) return null;
    if (args.retry_delay === undefined && args.retry_delay_sec !== undefined) args.retry_delay = args.retry_delay_sec;
    return args;
  }

  private parseGroups(
    value: unknown,
    merged: Record<string, unknown>,
    at: (path: PropertyKey[]) => number | null,
    where: string,
  ): Map<string, GroupInfo> {
    const entries = this.namedEntries(value, merged, 'task_groups', 'group_name', at, where);
    const declared = new Map<string, { fields: z.infer<typeof groupSchema>; raw: object; args: DefaultArgs; line: number | null }>();
    for (const entry of entries) {
      const label = `${where}: task group '${entry.name}'`;
      const idIssue = idProblem('task group name', entry.name);
      if (idIssue) this.problem(entry.line, `${where}: ${idIssue}`);
      const raw = entry.raw ?? {};
      if (!isPlainObject(raw)) {
        this.problem(entry.line, `${label}: expected a mapping, got ${describeType(raw)}`);
        continue;
      }
      const fields = this.check(groupSchema, raw, { container: raw, fallbackLine: entry.line }, label);
      if (!fields) continue;
      if (fields.group_name !== undefined && fields.group_name !== entry.name) {
        this.problem(this.index.lineOf(raw, ['group_name']) ?? entry.line, `${label}: group_name '${fields.group_name}' must equal its key '${entry.name}'`);
      }
      if (declared.has(entry.name)) {
        this.problem(entry.line, `${where}: duplicate task group '${entry.name}' (first on line ${declared.get(entry.name)?.line ?? '?'})`);
        continue;
      }
      const args = this.parseDefaultArgs(fields.default_args, { container: raw, fallbackLine: entry.line }, ['default_args'], label) ?? {};
      if (isPlainObject(fields.default_args)) {
        this.warnings.push(...ignoredArgWarnings(`task group '${entry.name}'`, fields.default_args, IGNORED_OPERATOR_ARG_REASONS, 'default_args '));
      }
      declared.set(entry.name, { fields, raw, args, line: entry.line });
    }

    const groups = new Map<string, GroupInfo>();
    const resolving = new Set<string>();
    const resolve = (name: string): GroupInfo | null => {
      const existing = groups.get(name);
      if (existing) return existing;
      const entry = declared.get(name);
      if (!entry) return null;
      if (resolving.has(name)) {
        this.problem(entry.line, `${where}: task group '${name}': parent_group_name forms a loop: ${[...resolving, name].join(' -> ')}`);
        return null;
      }
      resolving.add(name);
      let parent: GroupInfo | null = null;
      const parentName = entry.fields.parent_group_name;
      if (parentName !== undefined) {
        parent = resolve(parentName);
        if (!parent && !declared.has(parentName)) {
          this.problem(entry.line, `${where}: task group '${name}': unknown parent_group_name '${parentName}'${didYouMean(parentName, declared.keys())}`);
        }
      }
      resolving.delete(name);
      if (parentName !== undefined && !parent) return null;
      const id = parent ? `${parent.id}.${name}` : name;
      const info: GroupInfo = {
        name,
        id,
        parentId: parent?.id ?? null,
        tooltip: entry.fields.tooltip ?? null,
        defaultArgs: entry.args,
        graph: {
          name,
          id,
          parentId: parent?.id ?? null,
          line: entry.line,
          dependencies: (entry.fields.dependencies ?? []).map((ref, position) => ({
            ref,
            line: this.index.lineOf(entry.raw, ['dependencies', position]) ?? entry.line,
          })),
        },
      };
      groups.set(name, info);
      return info;
    };
    for (const name of declared.keys()) resolve(name);
    return groups;
  }

  private parseTasks(
    value: unknown,
    merged: Record<string, unknown>,
    at: (path: PropertyKey[]) => number | null,
    where: string,
    dagArgs: DefaultArgs,
    groups: Map<string, GroupInfo>,
  ): Array<{ spec: TaskSpec; graph: GraphTask }> | null {
    const entries = this.namedEntries(value, merged, 'tasks', 'task_id', at, where);
    if (entries.length > MAX_TASKS) {
      this.problem(at(['tasks']), `${where}: ${entries.length} tasks; the limit is MAX_TASKS = ${MAX_TASKS} per DAG`);
      return null;
    }
    const groupsById = new Map([...groups.values()].map((group) => [group.id, group]));
    const seen = new Map<string, number | null>();
    const tasks: Array<{ spec: TaskSpec; graph: GraphTask }> = [];
    let failed = false;
    for (const entry of entries) {
      const task = this.parseTask(entry, where, dagArgs, groups, groupsById);
      if (!task) {
        failed = true;
        continue;
      }
      const id = task.spec.task_id;
      if (seen.has(id)) {
        this.problem(entry.line, `${where}: duplicate task id '${id}' (first on line ${seen.get(id) ?? '?'})`);
        failed = true;
        continue;
      }
      seen.set(id, entry.line);
      tasks.push(task);
    }
    return failed ? null : tasks;
  }

  private parseTask(
    entry: TaskInput,
    where: string,
    dagArgs: DefaultArgs,
    groups: Map<string, GroupInfo>,
    groupsById: Map<string, GroupInfo>,
  ): { spec: TaskSpec; graph: GraphTask } | null {
    const label = `${where}: task '${entry.name}'`;
    const raw = entry.raw;
    const problemsBefore = this.problems.length;
    const idIssue = idProblem('task_id', entry.name);
    if (idIssue) this.problem(entry.line, `${where}: ${idIssue}`);
    if (!isPlainObject(raw)) {
      this.problem(entry.line, `${label}: expected a mapping of task settings, got ${describeType(raw)}`);
      return null;
    }
    const lineOf = (key: string) => this.index.lineOf(raw, [key]) ?? entry.line;
    const operatorName = raw['operator'];
    if (typeof operatorName !== 'string') {
      const hint = 'decorator' in raw ? UNSUPPORTED_TASK_KEYS['decorator'] : `allowed: ${supportedOperatorNames()}`;
      this.problem(operatorName === undefined ? entry.line : lineOf('operator'), `${label}: operator: ${operatorName === undefined ? 'missing required field' : `expected string, got ${describeType(operatorName)}`}; ${hint}`);
      return null;
    }
    const operator = resolveOperator(operatorName);
    if (!operator) {
      const shortName = operatorName.split('.').at(-1) ?? operatorName;
      this.problem(lineOf('operator'), `${label}: unsupported operator '${operatorName}'${didYouMean(shortName, ['BashOperator', 'PythonOperator', 'BranchPythonOperator', 'ShortCircuitOperator', 'EmptyOperator'])}; supported: ${supportedOperatorNames()}`);
      return null;
    }
    const unsupported = (key: string) => {
      if (UNSUPPORTED_TASK_KEYS[key]) return UNSUPPORTED_TASK_KEYS[key];
      const otherOperator = (Object.keys(OPERATOR_FIELDS) as OperatorKind[]).find((kind) => (OPERATOR_FIELDS[kind] as readonly string[]).includes(key));
      return otherOperator ? `field '${key}' is not accepted by ${operatorName.split('.').at(-1)}` : undefined;
    };
    const fields = this.check(taskSchema(operator.kind), raw, { container: raw, fallbackLine: entry.line }, label, unsupported);
    if (!fields) return null;
    if (fields.task_id !== undefined && fields.task_id !== entry.name) {
      this.problem(lineOf('task_id'), `${label}: task_id '${fields.task_id}' must equal its key '${entry.name}'`);
    }

    let group: GroupInfo | null = null;
    if (fields.task_group_name !== undefined) {
      group = groups.get(fields.task_group_name) ?? groupsById.get(fields.task_group_name) ?? null;
      if (!group) {
        this.problem(lineOf('task_group_name'), `${label}: unknown task_group_name '${fields.task_group_name}'${didYouMean(fields.task_group_name, groups.keys())}`);
      }
    }
    const id = group ? `${group.id}.${entry.name}` : entry.name;
    this.warnings.push(...ignoredArgWarnings(`task '${id}'`, raw, IGNORED_OPERATOR_ARG_REASONS));
    const fullIdIssue = group ? idProblem('task_id', id) : null;
    if (fullIdIssue) this.problem(entry.line, `${where}: ${fullIdIssue}`);

    const layers: DefaultArgs[] = [dagArgs, ...this.groupChain(group, groupsById).map((g) => g.defaultArgs)];
    const taskLayer: DefaultArgs = { ...(fields as DefaultArgs) };
    if (taskLayer.retry_delay === undefined && fields.retry_delay_sec !== undefined) taskLayer.retry_delay = fields.retry_delay_sec;
    layers.push(taskLayer);
    const pick = <K extends keyof DefaultArgs>(key: K): DefaultArgs[K] => {
      let value: DefaultArgs[K] = undefined;
      for (const layer of layers) if (layer[key] !== undefined) value = layer[key];
      return value;
    };

    const args = this.operatorArgs(operator.kind, pick, label, lineOf, entry.line);
    if (!args || this.problems.length > problemsBefore) return null;

    const params: Record<string, unknown> = {};
    for (const layer of layers) Object.assign(params, layer.params ?? {});
    const spec = {
      task_id: id,
      operator_class: operator.operatorClass,
      upstream: [],
      trigger_rule: pick('trigger_rule') ?? TASK_DEFAULTS.trigger_rule,
      owner: pick('owner') ?? TASK_DEFAULTS.owner,
      retries: pick('retries') ?? this.defaults.retries,
      retry_delay: pick('retry_delay') ?? TASK_DEFAULTS.retry_delay,
      retry_exponential_backoff: pick('retry_exponential_backoff') ?? TASK_DEFAULTS.retry_exponential_backoff,
      max_retry_delay: pick('max_retry_delay') ?? TASK_DEFAULTS.max_retry_delay,
      execution_timeout: pick('execution_timeout') ?? TASK_DEFAULTS.execution_timeout,
      depends_on_past: pick('depends_on_past') ?? TASK_DEFAULTS.depends_on_past,
      task_group_id: group?.id ?? null,
      params,
      doc_md: fields.doc_md ?? null,
      operator: operator.kind,
      args,
    } as TaskSpec;
    const dependencies = (fields.dependencies ?? []).map((ref, position) => ({
      ref,
      line: this.index.lineOf(raw, ['dependencies', position]) ?? entry.line,
    }));
    return { spec, graph: { name: entry.name, id, groupId: group?.id ?? null, dependencies, line: entry.line } };
  }

  /** Operator arguments with Airflow's defaults; null (with problems recorded) when required ones are missing. */
  private operatorArgs(
    kind: OperatorKind,
    pick: <K extends keyof DefaultArgs>(key: K) => DefaultArgs[K],
    label: string,
    lineOf: (key: string) => number | null,
    taskLine: number | null,
  ): TaskSpec['args'] | null {
    if (kind === 'empty') return {};
    if (kind === 'bash') {
      const command = pick('bash_command');
      if (command === undefined) {
        this.problem(taskLine, `${label}: bash_command: missing required field for BashOperator`);
        return null;
      }
      return {
        bash_command: command,
        env: pick('env') ?? null,
        append_env: pick('append_env') ?? false,
        cwd: pick('cwd') ?? null,
        skip_on_exit_code: pick('skip_on_exit_code') ?? [99],
        do_xcom_push: pick('do_xcom_push') ?? true,
      };
    }
    const dotted = pick('python_callable');
    const file = pick('python_callable_file');
    const name = pick('python_callable_name');
    let callable: { python_callable_file: string | null; python_callable_name: string } | null = null;
    if (dotted !== undefined && (file !== undefined || name !== undefined)) {
      this.problem(lineOf('python_callable'), `${label}: give either python_callable (module.function) or python_callable_file + python_callable_name, not both`);
    } else if (dotted !== undefined) {
      callable = { python_callable_file: null, python_callable_name: dotted };
    } else if (file !== undefined && name !== undefined) {
      callable = { python_callable_file: file, python_callable_name: name };
    } else if (file !== undefined) {
      this.problem(lineOf('python_callable_file'), `${label}: python_callable_name: missing; python_callable_file needs the function's name`);
    } else if (name !== undefined) {
      this.problem(lineOf('python_callable_name'), `${label}: python_callable_file: missing; python_callable_name needs the file it is defined in (or use python_callable: module.function)`);
    } else {
      this.problem(taskLine, `${label}: missing python_callable (module.function) or python_callable_file + python_callable_name`);
    }
    if (!callable) return null;
    return {
      ...callable,
      op_args: pick('op_args') ?? [],
      op_kwargs: pick('op_kwargs') ?? {},
      templates_dict: pick('templates_dict') ?? null,
      do_xcom_push: pick('do_xcom_push') ?? true,
      ignore_downstream_trigger_rules: kind === 'short_circuit' ? (pick('ignore_downstream_trigger_rules') ?? true) : true,
    };
  }

  /** The task's group and its ancestors, outermost first (outer defaults are overridden by inner ones). */
  private groupChain(group: GroupInfo | null, groupsById: Map<string, GroupInfo>): GroupInfo[] {
    const chain: GroupInfo[] = [];
    for (let current = group; current; current = current.parentId ? (groupsById.get(current.parentId) ?? null) : null) chain.unshift(current);
    return chain;
  }

  /**
   * `tasks:` / `task_groups:` in either dag-factory form: a mapping keyed by name, or a list of mappings
   * naming themselves with `nameKey`.
   */
  private namedEntries(
    value: unknown,
    merged: Record<string, unknown>,
    section: string,
    nameKey: string,
    at: (path: PropertyKey[]) => number | null,
    where: string,
  ): TaskInput[] {
    if (value === undefined) return [];
    if (value === null) {
      // `tasks:` with nothing after it: dag-factory fails on it too; an empty section is `{}`.
      this.problem(at([section]), `${where}: ${section}: expected a mapping or a list, got null (write ${section}: {} for none)`);
      return [];
    }
    if (isPlainObject(value)) {
      return Object.entries(value).map(([name, raw]) => ({ name, raw, line: this.index.lineOf(merged, [section, name]) ?? at([section]) }));
    }
    if (!Array.isArray(value)) {
      this.problem(at([section]), `${where}: ${section}: expected a mapping or a list, got ${describeType(value)}`);
      return [];
    }
    const entries: TaskInput[] = [];
    value.forEach((raw, position) => {
      const line = this.index.lineOf(merged, [section, position]) ?? at([section]);
      if (!isPlainObject(raw)) {
        this.problem(line, `${where}: ${section}[${position}]: expected a mapping with ${nameKey}, got ${describeType(raw)}`);
        return;
      }
      const name = raw[nameKey];
      if (typeof name !== 'string') {
        this.problem(line, `${where}: ${section}[${position}]: ${nameKey}: ${name === undefined ? 'missing required field' : `expected string, got ${describeType(name)}`}`);
        return;
      }
      entries.push({ name, raw, line });
    });
    return entries;
  }

  /** Validate with zod; record each issue with its line; the parsed value, or null if there were issues. */
  private check<T>(schema: z.ZodType<T>, input: unknown, origin: Origin, where: string, unsupportedKey?: (key: string) => string | undefined): T | null {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    const allowed = 'shape' in schema ? Object.keys((schema as unknown as { shape: object }).shape) : [];
    for (const issue of describeIssues(result.error, input, { allowedKeys: () => allowed, unsupportedKey })) {
      const line = this.index.lineOf(origin.container, issue.path) ?? origin.fallbackLine;
      const path = issue.path.map(String).join('.');
      this.problem(line, issue.unknownKey !== undefined || path === '' ? `${where}: ${issue.problem}` : `${where}: ${path}: ${issue.problem}`);
    }
    return null;
  }

  private problem(line: number | null, message: string): void {
    this.problems.push({ line, message });
  }
}

function sortByLine(problems: ManifestProblem[]): ManifestProblem[] {
  return problems
    .map((problem, position) => ({ problem, position }))
    .sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0) || a.position - b.position)
    .map(({ problem }) => problem);
}
