import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import { manifestDefaultsFrom, parseManifest } from '../src/dag/index.js';
import type { DagSpec, ManifestDefaults, TaskSpec } from '../src/dag/index.js';

const DEFAULTS: ManifestDefaults = { catchup: false, max_active_runs: 16, max_active_tasks: 16, retries: 0, is_paused_upon_creation: false };

function fixture(path: string): string {
  return readFileSync(fileURLToPath(new URL(`fixtures/${path}`, import.meta.url)), 'utf8');
}

function parse(text: string, defaults: ManifestDefaults = DEFAULTS): DagSpec[] {
  return parseManifest(text, 'test.yml', defaults);
}

function only(text: string): DagSpec {
  const specs = parse(text);
  expect(specs).toHaveLength(1);
  return specs[0]!;
}

function task(dag: DagSpec, id: string): TaskSpec {
  const found = dag.tasks.find((t) => t.task_id === id);
  if (!found) throw new Error(`no task ${id} in ${dag.tasks.map((t) => t.task_id).join(', ')}`);
  return found;
}

describe('real dag-factory manifests (astronomer/dag-factory dev/dags/airflow3)', () => {
  it('example_dag_factory.yml: start_date and catchup from default_args, owner per DAG', () => {
    const [dag, ...rest] = parseManifest(fixture('dag-factory/example_dag_factory.yml'), 'example_dag_factory.yml', { ...DEFAULTS, catchup: true });
    expect(rest).toEqual([]);
    expect(dag!.dag_id).toBe('basic');
    expect(dag!.fileloc).toBe('example_dag_factory.yml');
    expect(dag!.description).toBe('this is an example dag');
    expect(dag!.schedule).toEqual({ kind: 'cron', expression: '0 3 * * *', preset: null });
    expect(dag!.start_date).toBe('2025-01-01T00:00:00Z');
    // default_args.catchup: false beats the environment default (true here).
    expect(dag!.catchup).toBe(false);
    expect(dag!.render_template_as_native_obj).toBe(true);
    expect(dag!.owners).toEqual(['custom_owner']);
    expect(dag!.tasks.map((t) => [t.task_id, t.upstream])).toEqual([
      ['task_1', []],
      ['task_2', ['task_1']],
      ['task_3', ['task_1']],
    ]);
    const first = task(dag!, 'task_1');
    expect(first.operator).toBe('bash');
    expect(first.operator_class).toBe('airflow.providers.standard.operators.bash.BashOperator');
    expect(first.args).toEqual({ bash_command: 'echo 1', env: null, append_env: false, cwd: null, skip_on_exit_code: [99], do_xcom_push: true });
  });

  it('example_task_group.yml: nested groups, a dependency on a whole group, retry_delay_sec', () => {
    const [dag] = parseManifest(fixture('dag-factory/example_task_group.yml'), 'example_task_group.yml', DEFAULTS);
    expect(dag!.dag_id).toBe('task_group');
    expect(dag!.start_date).toBe('2024-01-01T00:00:00Z');
    expect(dag!.schedule).toEqual({ kind: 'cron', expression: '0 1 * * *', preset: null });
    expect(dag!.max_active_runs).toBe(1);
    expect(dag!.catchup).toBe(false);
    expect(dag!.task_groups).toEqual([
      { group_id: 'task_group_1', parent_group_id: null, tooltip: 'this is a task group' },
      { group_id: 'task_group_1.task_group_2', parent_group_id: 'task_group_1', tooltip: 'this is a task group' },
    ]);
    // task_group_1 depends on task_1: every root of the group, including the nested group's task.
    expect(dag!.tasks.map((t) => [t.task_id, t.upstream, t.task_group_id])).toEqual([
      ['task_1', [], null],
      ['task_group_1.task_2', ['task_1'], 'task_group_1'],
      ['task_group_1.task_group_2.task_4', ['task_1'], 'task_group_1.task_group_2'],
    ]);
    for (const t of dag!.tasks) {
      expect(t.retry_delay).toBe(300);
      expect(t.retries).toBe(1);
      expect(t.owner).toBe('default_owner');
    }
  });
});

describe('all-features fixture', () => {
  const [etl, branching] = parseManifest(fixture('manifests/all-features.yml'), 'all-features.yml', DEFAULTS);

  it('reads DAG-level fields, merging the default block', () => {
    expect(etl!.schedule).toEqual({ kind: 'cron', expression: '0 0 * * *', preset: '@daily' });
    expect(etl!.timezone).toBe('Europe/Amsterdam');
    // A naive start date is midnight in the DAG's timezone.
    expect(etl!.start_date).toBe('2024-02-29T23:00:00Z');
    expect(etl!.end_date).toBe('2024-12-31T23:00:00Z');
    expect(etl!.catchup).toBe(true);
    expect(etl!.max_active_runs).toBe(2);
    expect(etl!.max_active_tasks).toBe(4);
    expect(etl!.dagrun_timeout).toBe(7200);
    expect(etl!.params).toEqual({ region: 'eu' });
    expect(etl!.tags).toEqual(['example']);
    expect(etl!.owners).toEqual(['analytics', 'data']);
  });

  it('layers task arguments: DAG default_args < group default_args < task', () => {
    const extract = task(etl!, 'extract');
    expect(extract).toMatchObject({ owner: 'data', retries: 2, retry_delay: 60, execution_timeout: 1800, retry_exponential_backoff: 2, max_retry_delay: 3600, trigger_rule: 'all_success' });
    expect(extract.args).toMatchObject({ env: { TARGET: 'prod', PORT: '5432' }, append_env: true, skip_on_exit_code: [42] });
    const loadA = task(etl!, 'load.load_a');
    expect(loadA).toMatchObject({ retries: 5, trigger_rule: 'none_failed_min_one_success', task_group_id: 'load', upstream: ['extract'] });
    expect(task(etl!, 'load.load_b').upstream).toEqual(['load.load_a']);
    const report = task(etl!, 'report');
    expect(report.owner).toBe('analytics');
    expect(report.upstream).toEqual(['load.load_b']);
    expect(report.operator).toBe('python');
    expect(report.args).toEqual({
      python_callable_file: null,
      python_callable_name: 'mypkg.report.run',
      op_args: [],
      op_kwargs: { day: '{{ ds }}' },
      templates_dict: null,
      do_xcom_push: true,
      ignore_downstream_trigger_rules: true,
    });
  });

  it('reads map-form tasks, python callables from files and a duration schedule', () => {
    expect(branching!.schedule).toEqual({ kind: 'delta', seconds: 1800 });
    expect(branching!.start_date).toBe('2024-01-01T06:00:00Z');
    expect(branching!.tags).toEqual(['example']);
    expect(task(branching!, 'choose')).toMatchObject({ operator: 'branch_python', args: { python_callable_file: 'scripts/choose.py', python_callable_name: 'pick', op_args: [1, 'two'] } });
    const gate = task(branching!, 'gate');
    expect(gate.operator).toBe('short_circuit');
    expect(gate.operator_class).toBe('airflow.providers.standard.operators.python.ShortCircuitOperator');
    expect(gate.args).toMatchObject({ python_callable_file: 'scripts/gate.py', ignore_downstream_trigger_rules: false });
    const done = task(branching!, 'done');
    expect(done).toMatchObject({ operator: 'empty', args: {}, trigger_rule: 'one_success', upstream: ['choose', 'gate'] });
  });
});

describe('manifest shapes', () => {
  it('an empty file, a comment-only file and a default-only file have no DAGs', () => {
    expect(parse('')).toEqual([]);
    expect(parse('# nothing here\n')).toEqual([]);
    expect(parse('default:\n  schedule: "@daily"\n')).toEqual([]);
  });

  it('list and map task forms give the same DAG', () => {
    const asMap = only(['d:', '  tasks:', '    a: {operator: EmptyOperator}', '    b: {operator: EmptyOperator, dependencies: [a]}'].join('\n'));
    const asList = only(['d:', '  tasks:', '    - {task_id: b, operator: EmptyOperator, dependencies: [a]}', '    - {task_id: a, operator: EmptyOperator}'].join('\n'));
    expect(asList).toEqual(asMap);
  });

  it('list and map task_groups forms give the same DAG', () => {
    const tasks = ['  tasks:', '    - {task_id: t, operator: EmptyOperator, task_group_name: g}'];
    const asMap = only(['d:', '  task_groups:', '    g: {tooltip: hi}', ...tasks].join('\n'));
    const asList = only(['d:', '  task_groups:', '    - {group_name: g, tooltip: hi}', ...tasks].join('\n'));
    expect(asList).toEqual(asMap);
    expect(asMap.tasks[0]!.task_id).toBe('g.t');
  });

  it('applies ManifestDefaults when neither the DAG nor default_args decide', () => {
    const defaults: ManifestDefaults = { catchup: true, max_active_runs: 3, max_active_tasks: 7, retries: 4, is_paused_upon_creation: true };
    const dag = parse('d:\n  tasks:\n    a: {operator: EmptyOperator}\n', defaults)[0]!;
    expect(dag).toMatchObject({ catchup: true, max_active_runs: 3, max_active_tasks: 7, is_paused_upon_creation: true, schedule: { kind: 'none' }, timezone: 'UTC', start_date: null, end_date: null, dagrun_timeout: null });
    expect(dag.tasks[0]).toMatchObject({ retries: 4, owner: 'airflow', retry_delay: 300, max_retry_delay: null, execution_timeout: null, depends_on_past: false, trigger_rule: 'all_success', retry_exponential_backoff: 0 });
    expect(dag.owners).toEqual(['airflow']);
  });

  it('manifestDefaultsFrom maps the config keys', () => {
    const config = defaultConfig();
    config.scheduler.catchup_by_default = true;
    config.core.max_active_runs_per_dag = 2;
    config.core.max_active_tasks_per_dag = 5;
    config.core.default_task_retries = 3;
    config.core.dags_are_paused_at_creation = true;
    expect(manifestDefaultsFrom(config)).toEqual({ catchup: true, max_active_runs: 2, max_active_tasks: 5, retries: 3, is_paused_upon_creation: true });
  });

  it('per-DAG values win over the default block, which merges default_args key by key', () => {
    const dag = only(
      [
        'default:',
        '  schedule: "@hourly"',
        '  default_args: {owner: a, retries: 1}',
        'd:',
        '  schedule: null',
        '  default_args: {retries: 2}',
        '  tasks:',
        '    t: {operator: EmptyOperator}',
      ].join('\n'),
    );
    expect(dag.schedule).toEqual({ kind: 'none' });
    expect(dag.tasks[0]).toMatchObject({ owner: 'a', retries: 2 });
  });

  it('supports YAML anchors and merge keys, as PyYAML does', () => {
    const dag = only(
      ['d:', '  default_args: &args {retries: 3}', '  tasks:', '    a: &bash {operator: BashOperator, bash_command: "echo a", <<: *args}', '    b: {<<: *bash, bash_command: "echo b"}'].join('\n'),
    );
    expect(task(dag, 'a')).toMatchObject({ retries: 3, args: { bash_command: 'echo a' } });
    expect(task(dag, 'b')).toMatchObject({ retries: 3, args: { bash_command: 'echo b' } });
  });

  it('accepts dag_id equal to its key, task_id equal to its key, and PyYAML spellings (True, None)', () => {
    const dag = only(['d:', '  dag_id: d', '  schedule: None', '  catchup: True', '  tasks:', '    a: {task_id: a, operator: EmptyOperator}'].join('\n'));
    expect(dag.schedule).toEqual({ kind: 'none' });
    expect(dag.catchup).toBe(true);
  });

  it('maps every supported operator class path', () => {
    const cases: Array<[string, TaskSpec['operator']]> = [
      ['airflow.operators.bash.BashOperator', 'bash'],
      ['airflow.providers.standard.operators.bash.BashOperator', 'bash'],
      ['BashOperator', 'bash'],
      ['airflow.operators.python.PythonOperator', 'python'],
      ['airflow.providers.standard.operators.python.PythonOperator', 'python'],
      ['PythonOperator', 'python'],
      ['airflow.operators.python.BranchPythonOperator', 'branch_python'],
      ['airflow.providers.standard.operators.python.BranchPythonOperator', 'branch_python'],
      ['BranchPythonOperator', 'branch_python'],
      ['airflow.operators.python.ShortCircuitOperator', 'short_circuit'],
      ['airflow.providers.standard.operators.python.ShortCircuitOperator', 'short_circuit'],
      ['ShortCircuitOperator', 'short_circuit'],
      ['airflow.operators.empty.EmptyOperator', 'empty'],
      ['airflow.providers.standard.operators.empty.EmptyOperator', 'empty'],
      ['EmptyOperator', 'empty'],
      ['airflow.operators.dummy.DummyOperator', 'empty'],
      ['DummyOperator', 'empty'],
    ];
    const fieldsFor = (kind: TaskSpec['operator']) =>
      kind === 'bash' ? ', bash_command: "true"' : kind === 'empty' ? '' : ', python_callable: m.f';
    const yaml = ['d:', '  tasks:', ...cases.map(([path, kind], i) => `    t${String(i).padStart(2, '0')}: {operator: ${path}${fieldsFor(kind)}}`)].join('\n');
    const dag = only(yaml);
    cases.forEach(([path, kind], i) => {
      const t = task(dag, `t${String(i).padStart(2, '0')}`);
      expect(t.operator, path).toBe(kind);
      expect(t.operator_class, path).toEqual(path.includes('.') ? path : expect.stringMatching(/^airflow\.providers\.standard\.operators\./));
    });
    expect(task(dag, 't02').operator_class).toBe('airflow.providers.standard.operators.bash.BashOperator');
    expect(task(dag, 't16').operator_class).toBe('airflow.providers.standard.operators.empty.EmptyOperator');
  });

  it('applies operator fields from default_args only to operators that take them', () => {
    const dag = only(
      ['d:', '  default_args: {cwd: /tmp, do_xcom_push: false}', '  tasks:', '    b: {operator: BashOperator, bash_command: x}', '    p: {operator: PythonOperator, python_callable: m.f}', '    e: {operator: EmptyOperator}'].join('\n'),
    );
    expect(task(dag, 'b').args).toMatchObject({ cwd: '/tmp', do_xcom_push: false });
    expect(task(dag, 'p').args).toMatchObject({ do_xcom_push: false });
    expect(task(dag, 'p').args).not.toHaveProperty('cwd');
    expect(task(dag, 'e').args).toEqual({});
  });

  it('reads skip_on_exit_code as an int, a list or null; retry_exponential_backoff as bool or multiplier', () => {
    const dag = only(
      [
        'd:',
        '  tasks:',
        '    a: {operator: BashOperator, bash_command: x, skip_on_exit_code: [1, 2], retry_exponential_backoff: 3}',
        '    b: {operator: BashOperator, bash_command: x, skip_on_exit_code: null, retry_exponential_backoff: false}',
      ].join('\n'),
    );
    expect(task(dag, 'a')).toMatchObject({ retry_exponential_backoff: 3, args: { skip_on_exit_code: [1, 2] } });
    expect(task(dag, 'b')).toMatchObject({ retry_exponential_backoff: 0, args: { skip_on_exit_code: [] } });
  });

  it('merges params key by key from default_args to the task', () => {
    const dag = only(['d:', '  default_args: {params: {a: 1, b: 1}}', '  tasks:', '    t: {operator: EmptyOperator, params: {b: 2, c: 3}}'].join('\n'));
    expect(dag.tasks[0]!.params).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('accepts and ignores Airflow arguments that mean nothing here', () => {
    const dag = only(
      ['d:', '  on_failure_callback: x.y', '  default_args: {email: a@b.c, email_on_failure: true, pool: p, queue: q, priority_weight: 3}', '  tasks:', '    t: {operator: EmptyOperator, pool_slots: 2, sla: 60}'].join('\n'),
    );
    expect(dag.tasks).toHaveLength(1);
  });

  it('stores Airflow 3 trigger rule names for Airflow 2 aliases', () => {
    const dag = only(['d:', '  tasks:', '    a: {operator: EmptyOperator, trigger_rule: dummy}', '    b: {operator: EmptyOperator, trigger_rule: none_failed_or_skipped}'].join('\n'));
    expect(dag.tasks.map((t) => t.trigger_rule)).toEqual(['always', 'none_failed_min_one_success']);
  });

  it('reads timezone from default_args (dag-factory habit) and is_paused_upon_creation from the DAG', () => {
    const dag = only(['d:', '  is_paused_upon_creation: true', '  default_args:', '    timezone: America/New_York', '    start_date: 2024-06-01 08:00'].join('\n'));
    expect(dag).toMatchObject({ timezone: 'America/New_York', start_date: '2024-06-01T12:00:00Z', is_paused_upon_creation: true });
  });

  it('keeps offsets written in dates, whatever the timezone', () => {
    const dag = only(['d:', '  timezone: Asia/Tokyo', '  start_date: "2024-06-01T08:00:00+02:00"', '  end_date: 2024-07-01T00:00:00Z'].join('\n'));
    expect(dag).toMatchObject({ start_date: '2024-06-01T06:00:00Z', end_date: '2024-07-01T00:00:00Z' });
  });
});

describe('warnings: deprecated spellings and arguments accepted but not acted on', () => {
  it("reads dag-factory's schedule_interval as schedule, with a deprecation warning", () => {
    const spec = only('d:\n  schedule_interval: "@daily"\n  tasks:\n    t:\n      operator: EmptyOperator\n');
    expect(spec.schedule).toEqual({ kind: 'cron', expression: '0 0 * * *', preset: '@daily' });
    expect(spec.warnings).toEqual(["DAG 'd': schedule_interval is Airflow 2's name (removed in Airflow 3); read as schedule"]);
  });

  it('names each ignored argument where it is set, with its value and why', () => {
    const spec = only(
      [
        'd:',
        '  schedule: null',
        '  owner_links: {me: "https://example.com"}',
        '  default_args:',
        '    email: [ops@example.com]',
        '    email_on_failure: false',
        '  task_groups:',
        '    g:',
        '      default_args: {queue: fast}',
        '  tasks:',
        '    t:',
        '      operator: EmptyOperator',
        '      pool: etl',
        '      priority_weight: 5',
        '      task_group_name: g',
      ].join('\n'),
    );
    expect(spec.warnings).toEqual([
      `DAG 'd': owner_links={"me":"https://example.com"} is accepted and ignored (the UI does not show owner links)`,
      `DAG 'd': default_args email=["ops@example.com"] is accepted and ignored (no email is sent)`,
      "task group 'g': default_args queue='fast' is accepted and ignored (no queues in airflow-serverless)",
      "task 'g.t': pool='etl' is accepted and ignored (no pools in airflow-serverless)",
      "task 'g.t': priority_weight=5 is accepted and ignored (tasks are not ordered by priority)",
    ]);
  });

  it('has no warnings field when there is nothing to warn of', () => {
    expect(only('d:\n  tasks:\n    t:\n      operator: EmptyOperator\n')).not.toHaveProperty('warnings');
  });
});
