/** RawDags as the parse worker emits them (python/PROTOCOL.md), for tests of the TypeScript side. */
export type RawTaskInput = Record<string, unknown> & { task_id: string };

export function rawTask(task: RawTaskInput): Record<string, unknown> {
  return {
    operator: 'python_file',
    operator_class: 'airflow.sdk.bases.decorator._PythonDecoratedOperator',
    args: { kind: 'task' },
    upstream: [],
    trigger_rule: null,
    owner: null,
    retries: null,
    retry_delay: null,
    retry_exponential_backoff: null,
    max_retry_delay: null,
    execution_timeout: null,
    depends_on_past: null,
    task_group_id: null,
    params: {},
    doc_md: null,
    is_setup: false,
    is_teardown: false,
    on_failure_fail_dagrun: false,
    ...task,
  };
}

export function rawDag(dagId: string, overrides: Record<string, unknown> = {}, tasks: RawTaskInput[] = [{ task_id: 'a' }]): Record<string, unknown> {
  return {
    dag_id: dagId,
    description: null,
    schedule: { kind: 'none' },
    timezone: 'UTC',
    start_date: null,
    end_date: null,
    catchup: null,
    max_active_runs: null,
    max_active_tasks: null,
    dagrun_timeout: null,
    params: {},
    params_schema: {},
    tags: [],
    is_paused_upon_creation: null,
    render_template_as_native_obj: null,
    doc_md: null,
    warnings: [],
    task_groups: [],
    tasks: tasks.map(rawTask),
    ...overrides,
  };
}

/** A Python DAG file for the fake parse worker (test/fixtures/python/fake_parse_worker.py). */
export function fakeDagFile(answer: Record<string, unknown>, extra = ''): string {
  return `# airflow DAG file for the fake worker\n${extra}# FAKE-ANSWER ${JSON.stringify(answer)}\n`;
}

export function okAnswer(dags: unknown[], modules: string[] = [], warnings: string[] = []): Record<string, unknown> {
  return { ok: true, dags, modules, warnings };
}
