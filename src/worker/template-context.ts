/**
 * Airflow's template context for one try (airflow-semantics.md §3, §4), built from the payload alone: a
 * task function never reads the metadata database. `ti.xcom_pull` reads XComs through the given reader.
 */
import type { DateTime } from 'luxon';
import { taskIdentity, type TaskIdentity, type TaskPayload } from '../executor/protocol.js';
import { formatDs, formatDsNodash, formatTs, formatTsNodash, formatTsNodashWithTz } from './python-datetime.js';
import { TemplateDateTime, isKeywordArgs } from './template-datetime.js';
import { toTemplateValue } from './template-dict.js';
import { buildMacros } from './template-macros.js';
import { XCOM_RETURN_KEY, latestPriorXcom, type XcomReader } from './xcom.js';

/** Airflow's `dag_run_conf_overrides_params` (default on): DAG params, then task params, then the run's conf. */
export function mergeParams(payload: TaskPayload): Record<string, unknown> {
  return { ...payload.dag.params, ...payload.task.params, ...payload.run.conf };
}

/** Which task instance and try this is: the `ti` that templates and Python callables see. */
export type TaskInstanceFields = TaskIdentity & Pick<TaskPayload, 'max_tries'>;

export function taskInstanceFields(payload: TaskPayload): TaskInstanceFields {
  return { ...taskIdentity(payload), max_tries: payload.max_tries };
}

/** The `dag` that templates and Python callables see (Airflow's `owner` is one comma-joined string). */
export function dagFields(payload: TaskPayload): { dag_id: string; owner: string; tags: string[]; fileloc: string } {
  const { dag } = payload;
  return { dag_id: dag.dag_id, owner: dag.owners.join(', '), tags: dag.tags, fileloc: dag.fileloc };
}

const optionalDate = (iso: string | null): TemplateDateTime | null => (iso === null ? null : TemplateDateTime.fromISO(iso));

/** Positional `(task_ids, dag_id, key, include_prior_dates)` or keywords, as in Airflow's `xcom_pull` signature. */
function xcomPullFor(payload: TaskPayload, reader: XcomReader) {
  return function xcom_pull(...args: unknown[]): unknown {
    const keywords: Record<string, unknown> = isKeywordArgs(args[args.length - 1]) ? (args.pop() as Record<string, unknown>) : {};
    const taskIds = 'task_ids' in keywords ? keywords['task_ids'] : args[0];
    const dagId = ('dag_id' in keywords ? keywords['dag_id'] : args[1]) ?? payload.dag_id;
    const key = 'key' in keywords ? keywords['key'] : (args[2] ?? XCOM_RETURN_KEY);
    const fallback = 'default' in keywords ? keywords['default'] : null;
    const runId = (keywords['run_id'] as string | undefined) ?? payload.run_id;
    const includePriorDates = Boolean('include_prior_dates' in keywords ? keywords['include_prior_dates'] : args[3]);
    const pull = (taskId: string, mapIndex: number) => {
      const source = { dag_id: String(dagId), run_id: runId, task_id: taskId, map_index: mapIndex };
      const name = String(key ?? XCOM_RETURN_KEY);
      return includePriorDates ? latestPriorXcom(reader, source, name, payload.run.logical_date) : reader(source, name);
    };

    // Airflow 3: no task_ids means the current task (and its own map index).
    if (taskIds === undefined || taskIds === null) {
      const entry = pull(payload.task_id, payload.map_index);
      return entry === undefined ? fallback : toTemplateValue(entry.value);
    }
    const mapIndex = typeof keywords['map_indexes'] === 'number' ? keywords['map_indexes'] : -1;
    if (Array.isArray(taskIds)) {
      return taskIds.flatMap((taskId) => {
        const entry = pull(String(taskId), mapIndex);
        return entry === undefined ? [] : [toTemplateValue(entry.value)];
      });
    }
    const entry = pull(String(taskIds), mapIndex);
    return entry === undefined ? fallback : toTemplateValue(entry.value);
  };
}

/**
 * The Airflow 2 date names Airflow 3 removed, derived as Airflow 2 documented their replacements, so
 * templates written for Airflow 2 keep working (the Python runtime offers the same names).
 * `prev_ds`/`prev_execution_date` need the previous run and stay undefined.
 */
function airflow2Names(logicalDate: TemplateDateTime, end: DateTime): Record<string, unknown> {
  const dt = logicalDate.value;
  return {
    execution_date: logicalDate,
    next_execution_date: new TemplateDateTime(end),
    next_ds: formatDs(end),
    next_ds_nodash: formatDsNodash(end),
    yesterday_ds: formatDs(dt.minus({ days: 1 })),
    yesterday_ds_nodash: formatDsNodash(dt.minus({ days: 1 })),
    tomorrow_ds: formatDs(dt.plus({ days: 1 })),
    tomorrow_ds_nodash: formatDsNodash(dt.plus({ days: 1 })),
  };
}

/**
 * The names a template can use. Date names (`ds`, `ts`, `logical_date`, `data_interval_*`...) exist only
 * when the run has a logical date, as in Airflow 3.
 */
export function buildTemplateContext(payload: TaskPayload, xcomReader: XcomReader): Record<string, unknown> {
  const { run, task } = payload;
  const logicalDate = optionalDate(run.logical_date);
  const xcom_pull = xcomPullFor(payload, xcomReader);
  const ti = { ...taskInstanceFields(payload), operator: task.operator_class, xcom_pull };
  const context: Record<string, unknown> = {
    run_id: run.run_id,
    dag: dagFields(payload),
    task: { task_id: task.task_id, owner: task.owner, operator: task.operator_class, retries: task.retries, trigger_rule: task.trigger_rule },
    ti,
    task_instance: ti,
    params: toTemplateValue(mergeParams(payload)),
    dag_run: {
      dag_id: payload.dag_id,
      run_id: run.run_id,
      run_type: run.run_type,
      conf: toTemplateValue(run.conf),
      logical_date: logicalDate,
      data_interval_start: optionalDate(run.data_interval_start),
      data_interval_end: optionalDate(run.data_interval_end),
      run_after: optionalDate(run.run_after),
      start_date: optionalDate(run.start_date),
    },
    macros: buildMacros(),
    // Airflow 3 fills these from the previous successful run; a try here does not know that run, and
    // the Python runner says None too (python/PROTOCOL.md).
    prev_data_interval_start_success: null,
    prev_data_interval_end_success: null,
    prev_start_date_success: null,
    prev_end_date_success: null,
  };
  if (logicalDate !== null) {
    const dt = logicalDate.value;
    Object.assign(context, {
      logical_date: logicalDate,
      data_interval_start: optionalDate(run.data_interval_start) ?? logicalDate,
      data_interval_end: optionalDate(run.data_interval_end) ?? logicalDate,
      ds: formatDs(dt),
      ds_nodash: formatDsNodash(dt),
      ts: formatTs(dt),
      ts_nodash: formatTsNodash(dt),
      ts_nodash_with_tz: formatTsNodashWithTz(dt),
      task_instance_key_str: `${payload.dag_id}__${payload.task_id}__${formatDsNodash(dt)}`,
    });
    Object.assign(context, airflow2Names(logicalDate, (context['data_interval_end'] as TemplateDateTime).value));
    (context['dag_run'] as Record<string, unknown>)['execution_date'] = logicalDate;
  }
  return context;
}
