import { describe, expect, it } from 'vitest';
import { MAX_MANIFEST_BYTES, MAX_TASKS, ManifestError, parseManifest } from '../src/dag/index.js';
import type { ManifestDefaults, ManifestProblem } from '../src/dag/index.js';

const DEFAULTS: ManifestDefaults = { catchup: false, max_active_runs: 16, max_active_tasks: 16, retries: 0, is_paused_upon_creation: false };

/** Lines joined with \n, so each test can see which line is which. */
const yaml = (...lines: string[]) => lines.join('\n');

function problemsOf(text: string): ManifestProblem[] {
  try {
    parseManifest(text, 'dags/bad.yml', DEFAULTS);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as ManifestError).file).toBe('dags/bad.yml');
    return (error as ManifestError).problems;
  }
  throw new Error('expected a ManifestError');
}

/** The single problem of a manifest: its line and message. */
function problemOf(text: string): ManifestProblem {
  const problems = problemsOf(text);
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  return problems[0]!;
}

const BASH = 'operator: BashOperator, bash_command: "true"';

describe('manifest validation: each problem names its line', () => {
  it('YAML syntax error', () => {
    const problem = problemOf(yaml('d:', '  tasks:', '    a: {operator: EmptyOperator', 'e: 1'));
    expect(problem.line).toBe(4);
    expect(problem.message).toMatch(/^YAML syntax error: /);
  });

  it('duplicate YAML keys', () => {
    expect(problemOf(yaml('d:', '  tasks: {}', '  tasks: {}')).line).toBe(3);
  });

  it('top level must be a mapping of DAGs', () => {
    expect(problemOf('- a\n- b\n').message).toMatch(/expected a mapping of DAG ids/);
    expect(problemOf(yaml('d: 5')).message).toBe("dag 'd': expected a mapping of DAG settings, got integer");
  });

  it('bad dag_id charset, and dag_id different from its key', () => {
    expect(problemOf(yaml('ok: {}', 'bad id!:', '  tasks: {}'))).toEqual({ line: 2, message: "dag_id 'bad id!' may contain only letters, digits, '_', '.' and '-'" });
    expect(problemOf(yaml('d:', '  dag_id: e'))).toEqual({ line: 2, message: "dag 'd': dag_id 'e' must equal its key 'd'" });
  });

  it('a task that could never start: a NUL byte in its command, env or cwd, or a bash_command over MAX_ARG_STRLEN', () => {
    const bashTask = (field: string) => problemOf(yaml('d:', '  tasks:', '    t:', '      operator: BashOperator', '      bash_command: "true"', `      ${field}`));
    expect(problemOf(yaml('d:', '  tasks:', '    t:', '      operator: BashOperator', '      bash_command: "echo \\0"'))).toEqual({
      line: 5,
      message: "dag 'd': task 't': bash_command: contains a NUL byte; no program can be started with it",
    });
    expect(bashTask('env: {A: "x\\0y"}').message).toBe("dag 'd': task 't': env.A: contains a NUL byte; no program can be started with it");
    expect(bashTask('cwd: "a\\0"').message).toBe("dag 'd': task 't': cwd: contains a NUL byte; no program can be started with it");
    expect(bashTask('env: {"A=B": "x"}').message).toMatch(/env names must be non-empty and hold no '=' or NUL byte/);
    const huge = problemOf(yaml('d:', '  tasks:', '    t:', '      operator: BashOperator', `      bash_command: "${'x'.repeat(131_073)}"`));
    expect(huge.message).toBe(
      "dag 'd': task 't': bash_command: is 131073 bytes; a command line argument is limited to 131072 bytes (Linux MAX_ARG_STRLEN): put the script in a .sh file next to the manifest",
    );
    // Exactly at the limit is fine.
    expect(parseManifest(yaml('d:', '  tasks:', '    t:', '      operator: BashOperator', `      bash_command: "${'x'.repeat(131_072)}"`), 'ok.yml', DEFAULTS)).toHaveLength(1);
  });

  it('python_callable_name must be a Python identifier', () => {
    const named = (name: string) => yaml('d:', '  tasks:', '    t:', '      operator: PythonOperator', '      python_callable_file: f.py', `      python_callable_name: "${name}"`);
    expect(problemOf(named('not a name')).message).toBe(
      "dag 'd': task 't': python_callable_name: expected a Python identifier (the name of a function defined in python_callable_file)",
    );
    expect(problemOf(named('1st')).line).toBe(6);
    expect(parseManifest(named('données_1'), 'ok.yml', DEFAULTS)).toHaveLength(1);
  });

  it('an unknown YAML tag, as PyYAML refuses it', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    t: !include other.yaml'))).toEqual({ line: 3, message: 'YAML: Unresolved tag: !include' });
    expect(problemOf(yaml('d: !!python/object:os.system', '  tasks: {}')).message).toMatch(/^YAML: Unresolved tag: /);
  });

  it('tasks: null (or task_groups: null) is not an empty section', () => {
    expect(problemOf(yaml('d:', '  schedule: null', '  tasks:'))).toEqual({
      line: 3,
      message: "dag 'd': tasks: expected a mapping or a list, got null (write tasks: {} for none)",
    });
    expect(problemOf(yaml('d:', '  task_groups: null', '  tasks: {}')).message).toMatch(/task_groups: expected a mapping or a list, got null/);
  });

  it('an alias bomb is one problem', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    const problems = problemsOf(levels.join('\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe('too many alias expansions (limit 10000): an alias bomb?');
  });

  it('ids longer than 250 characters', () => {
    expect(problemOf(yaml(`${'x'.repeat(251)}: {}`)).message).toMatch(/is 251 characters; the limit is 250/);
  });

  it('bad task_id charset', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    "a b": {operator: EmptyOperator}'))).toEqual({
      line: 3,
      message: "dag 'd': task_id 'a b' may contain only letters, digits, '_', '.' and '-'",
    });
  });

  it('unknown DAG field with a did-you-mean', () => {
    expect(problemOf(yaml('d:', '  schedule: "@daily"', '  max_active_run: 3'))).toEqual({
      line: 3,
      message: "dag 'd': unknown field 'max_active_run' (did you mean 'max_active_runs'?)",
    });
  });

  it('schedule_interval together with schedule is ambiguous', () => {
    expect(problemOf(yaml('d:', '  schedule: "@daily"', '  schedule_interval: "@hourly"'))).toEqual({
      line: 3,
      message: "dag 'd': give either schedule or schedule_interval (its Airflow 2 name), not both",
    });
    expect(problemOf(yaml('d:', '  schedule_interval: "@fortnightly"')).message).toMatch(/^dag 'd': schedule_interval: unknown preset '@fortnightly'/);
  });

  it('unknown default_args field with a did-you-mean', () => {
    expect(problemOf(yaml('d:', '  default_args:', '    owner: me', '    retires: 2'))).toEqual({
      line: 4,
      message: "dag 'd': default_args: unknown field 'retires' (did you mean 'retries'?)",
    });
  });

  it('unknown task field with a did-you-mean, and another operator’s field', () => {
    const problems = problemsOf(yaml('d:', '  tasks:', '    a:', `      ${BASH.replace(', ', '\n      ')}`, '      bash_comand: x', '      python_callable: m.f'));
    expect(problems).toEqual([
      { line: 6, message: "dag 'd': task 'a': unknown field 'bash_comand' (did you mean 'bash_command'?)" },
      { line: 7, message: "dag 'd': task 'a': field 'python_callable' is not accepted by BashOperator" },
    ]);
  });

  it('wrong types say expected vs got', () => {
    const problems = problemsOf(
      yaml('d:', '  max_active_runs: "two"', '  tags: [a, 3]', '  tasks:', '    a:', '      operator: BashOperator', '      bash_command: 5', '      retries: -1', '      depends_on_past: "yes"'),
    );
    expect(problems).toEqual([
      { line: 2, message: "dag 'd': max_active_runs: expected number, got string 'two'" },
      { line: 3, message: "dag 'd': tags.1: expected string, got integer 3" },
      { line: 7, message: "dag 'd': task 'a': bash_command: expected string, got integer 5" },
      { line: 8, message: "dag 'd': task 'a': retries: must be >= 0, got -1" },
      { line: 9, message: "dag 'd': task 'a': depends_on_past: expected boolean, got string 'yes'" },
    ]);
  });

  it('missing bash_command and missing python callable', () => {
    const problems = problemsOf(yaml('d:', '  tasks:', '    a: {operator: BashOperator}', '    b: {operator: PythonOperator}', '    c: {operator: PythonOperator, python_callable_file: x.py}'));
    expect(problems).toEqual([
      { line: 3, message: "dag 'd': task 'a': bash_command: missing required field for BashOperator" },
      { line: 4, message: "dag 'd': task 'b': missing python_callable (module.function) or python_callable_file + python_callable_name" },
      { line: 5, message: "dag 'd': task 'c': python_callable_name: missing; python_callable_file needs the function's name" },
    ]);
  });

  it('python_callable_file must stay inside the dags folder', () => {
    for (const path of ['../etc/x.py', '/abs/x.py', 'a/../../x.py']) {
      const problem = problemOf(yaml('d:', '  tasks:', '    a:', '      operator: PythonOperator', `      python_callable_file: "${path}"`, '      python_callable_name: f'));
      expect(problem.line, path).toBe(5);
      expect(problem.message).toContain('must be a path relative to the dags folder');
      expect(problem.message).toContain('e.g. scripts/etl.py');
    }
  });

  it('python_callable must be a dotted module.function', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a: {operator: PythonOperator, python_callable: run}')).message).toMatch(/python_callable: expected a dotted path like module.function/);
  });

  it('ignore_downstream_trigger_rules is for ShortCircuitOperator only', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a: {operator: PythonOperator, python_callable: m.f, ignore_downstream_trigger_rules: false}')).message).toBe(
      "dag 'd': task 'a': field 'ignore_downstream_trigger_rules' is not accepted by PythonOperator",
    );
  });

  it('unknown operator lists the supported ones', () => {
    const problem = problemOf(yaml('d:', '  tasks:', '    a:', '      operator: airflow.providers.http.operators.http.HttpOperator'));
    expect(problem.line).toBe(4);
    expect(problem.message).toMatch(/unsupported operator 'airflow.providers.http.operators.http.HttpOperator'; supported: BashOperator, PythonOperator, BranchPythonOperator, ShortCircuitOperator, EmptyOperator/);
    expect(problemOf(yaml('d:', '  tasks:', '    a: {operator: BashOperater}')).message).toContain("(did you mean 'BashOperator'?)");
    expect(problemOf(yaml('d:', '  tasks:', '    a: {bash_command: x}'))).toMatchObject({ line: 3, message: expect.stringContaining('operator: missing required field') });
  });

  it('TaskFlow decorators and dynamic mapping are clearly unsupported', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a: {decorator: airflow.sdk.task}')).message).toContain('TaskFlow decorators are not supported');
    expect(problemOf(yaml('d:', '  tasks:', '    a:', '      operator: BashOperator', '      bash_command: x', '      expand: {x: [1]}'))).toEqual({
      line: 6,
      message: "dag 'd': task 'a': dynamic task mapping (partial/expand) is not supported",
    });
  });

  it('trigger_rule must be an Airflow 3 rule or a known alias', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a:', '      operator: EmptyOperator', '      trigger_rule: all_sucess'))).toMatchObject({
      line: 5,
      message: expect.stringMatching(/unknown trigger rule 'all_sucess' \(did you mean 'all_success'\?\); allowed: all_success, all_failed/),
    });
  });

  it('duplicate task ids in list form; list items need a task_id', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    - {task_id: a, operator: EmptyOperator}', '    - {task_id: a, operator: EmptyOperator}'))).toEqual({
      line: 4,
      message: "dag 'd': duplicate task id 'a' (first on line 3)",
    });
    expect(problemOf(yaml('d:', '  tasks:', '    - {task_id: a, operator: EmptyOperator}', '    - {operator: EmptyOperator}'))).toEqual({
      line: 4,
      message: "dag 'd': tasks[1]: task_id: missing required field",
    });
  });

  it('task_id in map form must equal its key', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a:', '      task_id: b', '      operator: EmptyOperator'))).toEqual({ line: 4, message: "dag 'd': task 'a': task_id 'b' must equal its key 'a'" });
  });

  it('unknown dependency with a did-you-mean, on the line of the dependency', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    extract: {operator: EmptyOperator}', '    load:', '      operator: EmptyOperator', '      dependencies:', '        - extract', '        - extrct'))).toEqual({
      line: 8,
      message: "dag 'd': task 'load': unknown dependency 'extrct' (did you mean 'extract'?)",
    });
  });

  it('self-dependency', () => {
    expect(problemOf(yaml('d:', '  tasks:', '    a:', '      operator: EmptyOperator', '      dependencies: [a]'))).toEqual({ line: 5, message: "dag 'd': task 'a' depends on itself" });
  });

  it('cycles name the cycle', () => {
    const problem = problemOf(
      yaml('d:', '  tasks:', '    a: {operator: EmptyOperator, dependencies: [c]}', '    b: {operator: EmptyOperator, dependencies: [a]}', '    c: {operator: EmptyOperator, dependencies: [b]}', '    z: {operator: EmptyOperator}'),
    );
    expect(problem).toEqual({ line: 3, message: "dag 'd': cycle: a -> b -> c -> a" });
  });

  it('cycles through a task group name the tasks', () => {
    const problem = problemOf(
      yaml('d:', '  task_groups:', '    g: {dependencies: [b]}', '  tasks:', '    a: {operator: EmptyOperator, task_group_name: g}', '    b: {operator: EmptyOperator, dependencies: [g]}'),
    );
    expect(problem.message).toBe("dag 'd': cycle: b -> g.a -> b");
  });

  it('unknown task group and unknown parent group', () => {
    expect(problemOf(yaml('d:', '  task_groups:', '    load: {}', '  tasks:', '    a: {operator: EmptyOperator, task_group_name: lod}'))).toEqual({
      line: 5,
      message: "dag 'd': task 'a': unknown task_group_name 'lod' (did you mean 'load'?)",
    });
    expect(problemOf(yaml('d:', '  task_groups:', '    g: {}', '    h: {parent_group_name: x}'))).toEqual({ line: 4, message: "dag 'd': task group 'h': unknown parent_group_name 'x'" });
  });

  it('a group depending on a task inside it, and a task depending on its own group', () => {
    expect(problemOf(yaml('d:', '  task_groups:', '    g: {dependencies: [a]}', '  tasks:', '    a: {operator: EmptyOperator, task_group_name: g}'))).toEqual({
      line: 3,
      message: "dag 'd': task group 'g' depends on 'g.a', which is inside it",
    });
    expect(problemOf(yaml('d:', '  task_groups:', '    g: {}', '  tasks:', '    a: {operator: EmptyOperator, task_group_name: g, dependencies: [g]}'))).toEqual({
      line: 5,
      message: "dag 'd': task 'g.a' depends on task group 'g', which contains it",
    });
  });

  it('bad cron expression, wrong field count, unknown preset, @continuous', () => {
    expect(problemOf(yaml('d:', '  tasks: {}', '  schedule: "61 * * * *"'))).toMatchObject({ line: 3, message: expect.stringMatching(/^dag 'd': schedule: invalid cron expression '61 \* \* \* \*'/) });
    expect(problemOf(yaml('d:', '  schedule: "0 0 * * ? *"')).message).toMatch(/has 6 fields; a cron expression has 5/);
    expect(problemOf(yaml('d:', '  schedule: "@fortnightly"')).message).toMatch(/unknown preset '@fortnightly'; allowed: a 5-field cron expression, @once/);
    expect(problemOf(yaml('d:', '  schedule: "@continuous"')).message).toMatch(/@continuous is not supported/);
  });

  it('bad timezone', () => {
    expect(problemOf(yaml('d:', '  start_date: 2024-01-01', '  timezone: Mars/Olympus'))).toEqual({
      line: 3,
      message: "dag 'd': timezone: unknown timezone 'Mars/Olympus'; allowed: an IANA zone name such as UTC or Europe/Amsterdam",
    });
  });

  it('bad dates, relative dates, and end_date before start_date', () => {
    expect(problemOf(yaml('d:', '  start_date: 2024-13-01')).message).toMatch(/start_date: '2024-13-01' is not a date/);
    expect(problemOf(yaml('d:', '  default_args:', '    start_date: 2 days')).line).toBe(3);
    expect(problemOf(yaml('d:', '  default_args:', '    start_date: 2 days')).message).toMatch(/relative dates like '2 days' are not supported/);
    expect(problemOf(yaml('d:', '  start_date: 2024-02-01', '  end_date: 2024-01-01'))).toEqual({
      line: 3,
      message: "dag 'd': end_date 2024-01-01T00:00:00Z is before start_date 2024-02-01T00:00:00Z",
    });
  });

  it('bad durations name the accepted forms', () => {
    const problem = problemOf(yaml('d:', '  tasks:', '    a:', '      operator: EmptyOperator', '      retry_delay: soon'));
    expect(problem.line).toBe(5);
    expect(problem.message).toMatch(/^dag 'd': task 'a': retry_delay: 'soon' is not a duration; allowed: `30s`/);
  });

  it('a problem inherited from the default block points at the default block', () => {
    expect(problemOf(yaml('default:', '  default_args:', '    retries: many', 'd:', '  tasks: {}')).line).toBe(3);
  });

  it('collects problems from every DAG in the file, sorted by line', () => {
    const problems = problemsOf(yaml('a:', '  schedule: "@sometimes"', 'b:', '  catchup: maybe', 'c:', '  tasks: {x: {operator: Nope}}'));
    expect(problems.map((p) => p.line)).toEqual([2, 4, 6]);
  });

  it('the error message is "<file>:<line>: <problem>" for the first few problems', () => {
    const lines = ['d:', '  tasks:', ...Array.from({ length: 7 }, (_, i) => `    t${i}: {operator: Nope}`)];
    try {
      parseManifest(yaml(...lines), 'dags/bad.yml', DEFAULTS);
      expect.unreachable();
    } catch (error) {
      const message = (error as ManifestError).message.split('\n');
      expect(message[0]).toMatch(/^dags\/bad\.yml:3: dag 'd': task 't0': unsupported operator 'Nope'/);
      expect(message).toHaveLength(6);
      expect(message[5]).toBe('... and 2 more problems');
      expect((error as ManifestError).problems).toHaveLength(7);
    }
  });

  it('rejects files over MAX_MANIFEST_BYTES before parsing', () => {
    const big = `d:\n  description: "${'x'.repeat(MAX_MANIFEST_BYTES)}"\n`;
    const problem = problemOf(big);
    expect(problem.line).toBeNull();
    expect(problem.message).toMatch(/the limit is MAX_MANIFEST_BYTES = 1048576 bytes \(1 MiB\)/);
  });

  it('rejects DAGs with more than MAX_TASKS tasks', () => {
    const lines = ['d:', '  tasks:', ...Array.from({ length: MAX_TASKS + 1 }, (_, i) => `    - {task_id: t${i}, operator: EmptyOperator}`)];
    expect(problemOf(yaml(...lines))).toEqual({ line: 2, message: `dag 'd': ${MAX_TASKS + 1} tasks; the limit is MAX_TASKS = 10000 per DAG` });
  }, 60_000); // generous: the machine is shared; this asserts behaviour, not speed

  it('parses a DAG of exactly MAX_TASKS tasks', () => {
    const lines = ['d:', '  tasks:', ...Array.from({ length: MAX_TASKS }, (_, i) => `    - {task_id: t${i}, operator: EmptyOperator${i > 0 ? `, dependencies: [t${i - 1}]` : ''}}`)];
    const [dag] = parseManifest(yaml(...lines), 'big.yml', DEFAULTS);
    expect(dag!.tasks).toHaveLength(MAX_TASKS);
    expect(dag!.tasks[MAX_TASKS - 1]!.task_id).toBe(`t${MAX_TASKS - 1}`);
  }, 60_000);
});
