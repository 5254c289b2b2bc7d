/**
 * The DAG model: what a parsed, validated manifest becomes. It is also the serialized form stored in
 * `serialized_dag.data` (JSON.stringify of a DagSpec) and handed to task functions, so every field is
 * plain JSON: times are ISO-8601 UTC strings and durations are seconds.
 */
import type { TriggerRule } from '../model.js';

export type OperatorKind = 'bash' | 'python' | 'branch_python' | 'short_circuit' | 'empty';

/**
 * Which family of timetable a schedule asks for. Absent: the environment's config decides
 * (`scheduler.create_cron_data_intervals` / `scheduler.create_delta_data_intervals`), as for a plain
 * `schedule="0 0 * * *"` or `schedule=timedelta(...)` in Airflow 3. A timetable object in a Python DAG
 * file (`CronTriggerTimetable(...)`, `CronDataIntervalTimetable(...)`, ...) names its family explicitly.
 */
export type TimetableFamily = 'trigger' | 'data_interval';

/** `schedule:` after normalisation. Presets become their cron expression (kept in `preset`). */
export type ScheduleSpec =
  | {
      kind: 'cron';
      expression: string;
      preset: string | null;
      timetable?: TimetableFamily;
      /** The timetable's own zone (`CronTriggerTimetable(..., timezone=...)`); absent: the DAG's `timezone`. */
      timezone?: string;
      /** CronTriggerTimetable/MultipleCronTriggerTimetable `interval`: data interval length in seconds (default 0). */
      interval_seconds?: number;
      /**
       * CronTriggerTimetable `run_immediately` (Airflow 3, catchup=False only): true, false, or a number of
       * seconds (a timedelta: run the previous fire time only if it is at most that old).
       */
      run_immediately?: boolean | number;
    }
  | {
      /** MultipleCronTriggerTimetable: fires at the union of several cron expressions. */
      kind: 'multi_cron';
      expressions: string[];
      timezone?: string;
      interval_seconds?: number;
      run_immediately?: boolean | number;
    }
  | { kind: 'delta'; seconds: number; timetable?: TimetableFamily; interval_seconds?: number }
  | { kind: 'once' }
  | { kind: 'none' };

export interface BashOperatorArgs {
  bash_command: string;
  /** `null` inherits the task function's environment (Airflow's env=None). */
  env: Record<string, string> | null;
  append_env: boolean;
  cwd: string | null;
  /** Exit codes that mean "skipped" (Airflow default [99]). */
  skip_on_exit_code: number[];
  do_xcom_push: boolean;
}

export interface PythonOperatorArgs {
  /** Path of the .py file, relative to the volume's `dags/` folder. Null when `python_callable` names a module. */
  python_callable_file: string | null;
  /** Function name inside the file, or a dotted `module.func` importable from `dags/`. */
  python_callable_name: string;
  op_args: unknown[];
  op_kwargs: Record<string, unknown>;
  templates_dict: Record<string, unknown> | null;
  do_xcom_push: boolean;
  /** ShortCircuitOperator only: a falsy result skips every downstream task (true) or only direct ones (false). */
  ignore_downstream_trigger_rules: boolean;
}

/**
 * A task defined in a Python DAG file. The Python task runner imports the DAG file through the
 * authoring package, finds the task object by id, renders its `template_fields` in Python (Jinja, with
 * the DAG's `user_defined_macros`/`user_defined_filters` and `template_searchpath`) and runs it. The
 * scheduler treats it like any other task; only the worker looks at `args`.
 */
export interface PythonFileTaskArgs {
  /**
   * What the task object is, for display and for the worker's outcome mapping: 'bash', 'python',
   * 'branch', 'short_circuit', 'task' (@task), 'task_bash' (@task.bash), 'task_branch',
   * 'task_short_circuit', 'custom' (a BaseOperator subclass with its own execute).
   */
  kind: string;
}

interface TaskCommon {
  /** Full id, with the task group prefix (`group.task`). */
  task_id: string;
  /** Airflow class path as written in the manifest, or the canonical one for short names. */
  operator_class: string;
  /** Direct upstream task ids after task-group expansion, sorted. */
  upstream: string[];
  trigger_rule: TriggerRule;
  owner: string;
  retries: number;
  /** Seconds. */
  retry_delay: number;
  /** 0 = off; otherwise the backoff multiplier (true in a manifest means 2). */
  retry_exponential_backoff: number;
  /** Seconds, or null for Airflow's default cap (24 h). */
  max_retry_delay: number | null;
  /** Seconds, or null for none (the environment's `executor.task_timeout` still applies). */
  execution_timeout: number | null;
  depends_on_past: boolean;
  task_group_id: string | null;
  params: Record<string, unknown>;
  doc_md: string | null;
  /** Setup/teardown (Airflow 2.7+). Absent in DAGs serialised before these existed: false. */
  is_setup?: boolean;
  is_teardown?: boolean;
  /** Teardown only: its failure fails the DAG run (default false: a teardown never decides the run's state). */
  on_failure_fail_dagrun?: boolean;
}

export type TaskSpec = TaskCommon &
  (
    | { operator: 'bash'; args: BashOperatorArgs }
    | { operator: 'python' | 'branch_python' | 'short_circuit'; args: PythonOperatorArgs }
    | { operator: 'empty'; args: Record<string, never> }
    | { operator: 'python_file'; args: PythonFileTaskArgs }
  );

export interface TaskGroupSpec {
  group_id: string;
  parent_group_id: string | null;
  tooltip: string | null;
}

export interface DagSpec {
  dag_id: string;
  /** Manifest path relative to the volume's `dags/` folder. */
  fileloc: string;
  description: string | null;
  schedule: ScheduleSpec;
  /** IANA zone for cron evaluation (DAG-level `timezone`, default UTC). */
  timezone: string;
  start_date: string | null;
  end_date: string | null;
  catchup: boolean;
  max_active_runs: number;
  max_active_tasks: number;
  /** Seconds, or null. */
  dagrun_timeout: number | null;
  params: Record<string, unknown>;
  tags: string[];
  owners: string[];
  is_paused_upon_creation: boolean | null;
  render_template_as_native_obj: boolean;
  doc_md: string | null;
  /**
   * JSON Schema of each param that declares one (`Param(default, type=..., ...)`), by name. A trigger's
   * conf merged over the defaults is validated against these, as Airflow does. Absent: no schemas.
   */
  params_schema?: Record<string, Record<string, unknown>>;
  /**
   * Arguments accepted but not acted on (`pool`, `sla`, `email_on_failure`, ...), one readable line each
   * ("task 'load': pool is accepted and ignored"). Printed at upload and by `dags show`. Absent: none.
   */
  warnings?: string[];
  task_groups: TaskGroupSpec[];
  /** Topologically ordered (upstream before downstream), ties by task_id. */
  tasks: TaskSpec[];
}
