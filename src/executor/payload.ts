/** Builds the TaskPayload a task function receives: everything it needs, so it never reads the database. */
import type { Config } from '../config/model.js';
import type { DagSpec, TaskSpec } from '../dag/model.js';
import type { DagRunRow } from '../db/queries/dag-runs.js';
import { runConf } from '../db/queries/dag-runs.js';
import type { TaskInstanceRow } from '../db/queries/task-instances.js';
import { taskIdentity, taskKey } from './protocol.js';
import type { TaskPayload } from './protocol.js';

/** min(task execution_timeout, executor.task_timeout): no try outlives the environment's hard cap. */
export function timeoutSeconds(task: TaskSpec, config: Config): number {
  return Math.min(task.execution_timeout ?? Number.POSITIVE_INFINITY, config.executor.task_timeout);
}

/** Six heartbeats per timeout window (so one or two late ones are not fatal), between 1 and 30 s. */
export function heartbeatSeconds(config: Config): number {
  return Math.min(30, Math.max(1, Math.floor(config.scheduler.task_instance_heartbeat_timeout / 6)));
}

export function buildTaskPayload(args: {
  ti: TaskInstanceRow;
  run: DagRunRow;
  spec: DagSpec;
  task: TaskSpec;
  token: string;
  config: Config;
}): TaskPayload {
  const { ti, run, spec, task } = args;
  const identity = taskIdentity(ti);
  return {
    ...identity,
    key: taskKey(identity),
    token: args.token,
    max_tries: ti.max_tries,
    dag: {
      dag_id: spec.dag_id,
      fileloc: spec.fileloc,
      owners: spec.owners,
      params: spec.params,
      tags: spec.tags,
      timezone: spec.timezone,
      render_template_as_native_obj: spec.render_template_as_native_obj,
    },
    task,
    run: {
      run_id: run.run_id,
      run_type: run.run_type,
      logical_date: run.logical_date,
      data_interval_start: run.data_interval_start,
      data_interval_end: run.data_interval_end,
      run_after: run.run_after,
      start_date: run.start_date,
      conf: runConf(run),
    },
    timeout_seconds: timeoutSeconds(task, args.config),
    heartbeat_seconds: heartbeatSeconds(args.config),
  };
}
