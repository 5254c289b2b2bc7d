/**
 * Task groups as the grid and the graph show them: a tree of groups and tasks (in the DAG's task order),
 * where a collapsed group stands for all of its tasks, with one state summarising theirs (Airflow's
 * `agg_state`: the most urgent state wins).
 */
import type { GridData, GridTask, TaskGroup } from './api.js';

/** Airflow's state priority for a group's summary state, most urgent first (`null` = no status). */
const STATE_PRIORITY: ReadonlyArray<string | null> = [
  'failed',
  'upstream_failed',
  'up_for_retry',
  'up_for_reschedule',
  'queued',
  'scheduled',
  'deferred',
  'running',
  'restarting',
  null,
  'success',
  'skipped',
  'removed',
];

/** The summary state of a group's task instances; undefined when none of them exists. */
export function aggregateState(states: ReadonlyArray<string | null>): string | null | undefined {
  if (states.length === 0) return undefined;
  let best = STATE_PRIORITY.length;
  for (const state of states) {
    const rank = STATE_PRIORITY.indexOf(state);
    best = Math.min(best, rank === -1 ? STATE_PRIORITY.indexOf(null) : rank);
  }
  return STATE_PRIORITY[best] ?? null;
}

export type TreeNode = { kind: 'task'; task: GridTask; depth: number } | { kind: 'group'; group: TaskGroup; depth: number; children: TreeNode[] };

/** Every group containing `groupId` (itself first, outermost last). */
function ancestry(groupId: string | null, groups: ReadonlyMap<string, TaskGroup>): string[] {
  const chain: string[] = [];
  for (let id = groupId; id !== null && !chain.includes(id); id = groups.get(id)?.parent_group_id ?? null) {
    if (!groups.has(id)) break;
    chain.push(id);
  }
  return chain;
}

/** The DAG's tasks as a tree of groups; a group sits where its first task does. */
export function taskTree(data: Pick<GridData, 'tasks' | 'task_groups'>): TreeNode[] {
  const groups = new Map((data.task_groups ?? []).map((g) => [g.group_id, g]));
  const roots: TreeNode[] = [];
  const groupNodes = new Map<string, Extract<TreeNode, { kind: 'group' }>>();
  const childrenOf = (groupId: string | null): TreeNode[] => {
    if (groupId === null) return roots;
    const existing = groupNodes.get(groupId);
    if (existing) return existing.children;
    const group = groups.get(groupId)!;
    const parentChain = ancestry(group.parent_group_id, groups);
    const node: Extract<TreeNode, { kind: 'group' }> = { kind: 'group', group, depth: parentChain.length, children: [] };
    groupNodes.set(groupId, node);
    childrenOf(parentChain[0] ?? null).push(node);
    return node.children;
  };
  for (const task of data.tasks) {
    const chain = ancestry(task.task_group_id ?? null, groups);
    childrenOf(chain[0] ?? null).push({ kind: 'task', task, depth: chain.length });
  }
  return roots;
}

/** Task ids under a group node, at any depth. */
export function tasksUnder(node: TreeNode): string[] {
  return node.kind === 'task' ? [node.task.task_id] : node.children.flatMap(tasksUnder);
}

/**
 * What stands for each task when every group not in `expanded` is folded (groups start collapsed, as in
 * Airflow 3's grid and graph): the outermost collapsed group containing it, or the task itself. Keys are
 * task ids; values are `task:<id>` or `group:<id>`.
 */
export function visibleUnits(data: Pick<GridData, 'tasks' | 'task_groups'>, expanded: ReadonlySet<string>): Map<string, string> {
  const groups = new Map((data.task_groups ?? []).map((g) => [g.group_id, g]));
  const units = new Map<string, string>();
  for (const task of data.tasks) {
    const outermost = ancestry(task.task_group_id ?? null, groups)
      .reverse()
      .find((id) => !expanded.has(id));
    units.set(task.task_id, outermost === undefined ? `task:${task.task_id}` : `group:${outermost}`);
  }
  return units;
}

/** The groups the user expanded in this DAG, kept for the browser session. */
export function loadExpanded(dagId: string): Set<string> {
  try {
    const saved = sessionStorage.getItem(`expanded-groups:${dagId}`);
    return new Set(saved ? (JSON.parse(saved) as string[]) : []);
  } catch {
    return new Set();
  }
}

export function saveExpanded(dagId: string, expanded: ReadonlySet<string>): void {
  try {
    sessionStorage.setItem(`expanded-groups:${dagId}`, JSON.stringify([...expanded]));
  } catch {
    // Storage may be unavailable; the choice then lasts until the page reloads.
  }
}
