/**
 * DagSpec literals built in TypeScript, so scheduler tests do not depend on the manifest parser. Defaults
 * match what the parser produces for a minimal manifest (Airflow's defaults: retries 0, retry_delay 300 s,
 * all_success, owner airflow).
 */
import type { DagSpec, TaskSpec } from '../../src/dag/model.js';

/** `operator_class` defaults to the operator kind's Airflow class. */
type TaskOptions = Partial<Omit<TaskSpec, 'task_id' | 'operator' | 'args'>> & {
  operator?: TaskSpec['operator'];
  args?: Record<string, unknown>;
};

const OPERATOR_CLASS: Record<TaskSpec['operator'], string> = {
  bash: 'airflow.providers.standard.operators.bash.BashOperator',
  python: 'airflow.providers.standard.operators.python.PythonOperator',
  branch_python: 'airflow.providers.standard.operators.python.BranchPythonOperator',
  short_circuit: 'airflow.providers.standard.operators.python.ShortCircuitOperator',
  empty: 'airflow.providers.standard.operators.empty.EmptyOperator',
  python_file: 'airflow.providers.standard.operators.python.PythonOperator',
};

function defaultArgs(operator: TaskSpec['operator']): Record<string, unknown> {
  if (operator === 'empty') return {};
  if (operator === 'bash') {
    return { bash_command: 'echo hi', env: null, append_env: false, cwd: null, skip_on_exit_code: [99], do_xcom_push: true };
  }
  return {
    python_callable_file: 'callables.py',
    python_callable_name: 'fn',
    op_args: [],
    op_kwargs: {},
    templates_dict: null,
    do_xcom_push: true,
    ignore_downstream_trigger_rules: true,
  };
}

/** One task; `upstream` lists direct upstream ids. */
export function task(taskId: string, upstream: string[] = [], options: TaskOptions = {}): TaskSpec {
  const operator = options.operator ?? 'bash';
  return {
    task_id: taskId,
    operator_class: OPERATOR_CLASS[operator],
    upstream: [...upstream].sort(),
    trigger_rule: 'all_success',
    owner: 'airflow',
    retries: 0,
    retry_delay: 300,
    retry_exponential_backoff: 0,
    max_retry_delay: null,
    execution_timeout: null,
    depends_on_past: false,
    task_group_id: null,
    params: {},
    doc_md: null,
    ...options,
    operator,
    args: { ...defaultArgs(operator), ...(options.args ?? {}) },
  } as TaskSpec;
}

/** Orders tasks upstream-first (ties by id), as the parser does. */
function topological(tasks: TaskSpec[]): TaskSpec[] {
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const done = new Set<string>();
  const out: TaskSpec[] = [];
  const visit = (t: TaskSpec) => {
    if (done.has(t.task_id)) return;
    done.add(t.task_id);
    for (const up of t.upstream) {
      const u = byId.get(up);
      if (u) visit(u);
    }
    out.push(t);
  };
  for (const t of [...tasks].sort((a, b) => a.task_id.localeCompare(b.task_id))) visit(t);
  return out;
}

export function dag(dagId: string, tasks: TaskSpec[], options: Partial<Omit<DagSpec, 'dag_id' | 'tasks'>> = {}): DagSpec {
  return {
    dag_id: dagId,
    fileloc: `${dagId}.yaml`,
    description: null,
    schedule: { kind: 'none' },
    timezone: 'UTC',
    start_date: '2024-01-01T00:00:00.000Z',
    end_date: null,
    catchup: false,
    max_active_runs: 16,
    max_active_tasks: 16,
    dagrun_timeout: null,
    params: {},
    tags: [],
    owners: ['airflow'],
    is_paused_upon_creation: null,
    render_template_as_native_obj: false,
    doc_md: null,
    task_groups: [],
    ...options,
    tasks: topological(tasks),
  };
}

export const daily = { kind: 'cron', expression: '0 0 * * *', preset: '@daily' } as const;
