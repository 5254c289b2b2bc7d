/** Upstream/downstream lookups over a DagSpec's tasks (the spec lists direct upstream ids only). */
import type { DagSpec, TaskSpec } from '../dag/model.js';

export interface DagGraph {
  tasks: ReadonlyMap<string, TaskSpec>;
  /** Position in the spec's topological order (upstream first). */
  order: ReadonlyMap<string, number>;
  upstream: ReadonlyMap<string, readonly string[]>;
  downstream: ReadonlyMap<string, readonly string[]>;
  /**
   * The tasks whose states decide a finished run's state (Airflow's `_tis_for_dagrun_state`): leaves, where
   * a teardown (unless `on_failure_fail_dagrun`) does not count and does not hide the work before it.
   */
  leaves: readonly string[];
  /**
   * Per task that is not a teardown: its relevant setups that are not direct upstream tasks (Airflow's
   * `get_upstreams_only_setups` less the direct ones). All must succeed before the task may run.
   */
  indirectSetups: ReadonlyMap<string, readonly string[]>;
}

export function graphOf(spec: DagSpec): DagGraph {
  const tasks = new Map(spec.tasks.map((t) => [t.task_id, t]));
  const order = new Map(spec.tasks.map((t, i) => [t.task_id, i]));
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>(spec.tasks.map((t) => [t.task_id, []]));
  for (const task of spec.tasks) {
    const ups = task.upstream.filter((id) => tasks.has(id));
    upstream.set(task.task_id, ups);
    for (const up of ups) downstream.get(up)?.push(task.task_id);
  }
  const graph = { tasks, order, upstream, downstream, leaves: [] as string[], indirectSetups: new Map<string, string[]>() };
  graph.leaves = runStateTasks(graph, spec);
  if (spec.tasks.some((t) => t.is_setup)) {
    for (const task of spec.tasks) {
      if (task.is_teardown) continue; // a teardown cannot have indirect setups
      const direct = new Set(upstream.get(task.task_id) ?? []);
      const indirect = relevantSetups(graph, task.task_id).filter((id) => !direct.has(id));
      if (indirect.length > 0) graph.indirectSetups.set(task.task_id, indirect);
    }
  }
  return graph;
}

/** Airflow's `is_effective_leaf`: teardowns that may not fail the run are ignored, with what only they follow. */
function runStateTasks(graph: Pick<DagGraph, 'tasks' | 'downstream'>, spec: DagSpec): string[] {
  const ignorable = (id: string) => {
    const task = graph.tasks.get(id);
    return task?.is_teardown === true && task.on_failure_fail_dagrun !== true;
  };
  const effective = spec.tasks
    .filter((t) => (graph.downstream.get(t.task_id) ?? []).every(ignorable) && !ignorable(t.task_id))
    .map((t) => t.task_id);
  // A DAG of teardowns only: its plain leaves.
  return effective.length > 0 ? effective : spec.tasks.filter((t) => (graph.downstream.get(t.task_id) ?? []).length === 0).map((t) => t.task_id);
}

/**
 * Airflow's `get_upstreams_only_setups`: the setups upstream of the task (transitively) whose scope holds
 * it: a setup with no teardown, or one whose teardown is downstream of the task.
 */
function relevantSetups(graph: Pick<DagGraph, 'tasks' | 'upstream' | 'downstream'>, taskId: string): string[] {
  const downstreamTeardowns = new Set([...allDownstream(graph as DagGraph, taskId)].filter((id) => graph.tasks.get(id)?.is_teardown));
  const result: string[] = [];
  for (const id of allUpstream(graph, taskId)) {
    if (!graph.tasks.get(id)?.is_setup) continue;
    const teardowns = (graph.downstream.get(id) ?? []).filter((down) => graph.tasks.get(down)?.is_teardown);
    if (teardowns.length === 0 || teardowns.some((t) => downstreamTeardowns.has(t))) result.push(id);
  }
  return result.sort();
}

function allUpstream(graph: Pick<DagGraph, 'upstream'>, taskId: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.upstream.get(taskId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(graph.upstream.get(id) ?? []));
  }
  return seen;
}

/** Every task downstream of `taskId`, transitively (not including itself). */
export function allDownstream(graph: DagGraph, taskId: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.downstream.get(taskId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(graph.downstream.get(id) ?? []));
  }
  return seen;
}

/**
 * Direct downstream tasks a branch did not choose. A followed id may name a task or a task group (Airflow
 * accepts both): a task inside a followed group, at any depth, is followed.
 */
export function unfollowedBranches(graph: DagGraph, branchTaskId: string, follow: readonly string[]): string[] {
  const inGroup = (id: string, group: string) => {
    const own = graph.tasks.get(id)?.task_group_id ?? null;
    return own !== null && (own === group || own.startsWith(`${group}.`));
  };
  const chosen = (id: string) => follow.some((f) => id === f || inGroup(id, f));
  return (graph.downstream.get(branchTaskId) ?? []).filter((id) => !chosen(id));
}
