/** Upstream/downstream lookups over a DagSpec's tasks (the spec lists direct upstream ids only). */
import type { DagSpec, TaskSpec } from '../dag/model.js';

export interface DagGraph {
  tasks: ReadonlyMap<string, TaskSpec>;
  /** Position in the spec's topological order (upstream first). */
  order: ReadonlyMap<string, number>;
  upstream: ReadonlyMap<string, readonly string[]>;
  downstream: ReadonlyMap<string, readonly string[]>;
  /** Tasks nothing depends on: they decide a finished run's state. */
  leaves: readonly string[];
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
  const leaves = spec.tasks.filter((t) => (downstream.get(t.task_id) ?? []).length === 0).map((t) => t.task_id);
  return { tasks, order, upstream, downstream, leaves };
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
