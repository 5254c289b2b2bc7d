/**
 * The page's task-group folding (src/ui/web/task-groups.ts) as pure functions: the group tree in DAG
 * order, what stands for each task when groups are collapsed (nested ones too), and a group's summary
 * state by Airflow's priority.
 */
import { describe, expect, it } from 'vitest';
import type { GridTask, TaskGroup } from '../src/ui/web/api.js';
import { aggregateState, tasksUnder, taskTree, visibleUnits, type TreeNode } from '../src/ui/web/task-groups.js';

const task = (task_id: string, task_group_id: string | null = null): GridTask => ({ task_id, upstream: [], operator: null, trigger_rule: null, task_group_id });
const group = (group_id: string, parent_group_id: string | null = null): TaskGroup => ({ group_id, parent_group_id, tooltip: null });

// outer contains inner; inner holds two tasks, outer one more; two tasks outside any group.
const data = {
  tasks: [task('start'), task('outer.inner.a', 'outer.inner'), task('outer.inner.b', 'outer.inner'), task('outer.c', 'outer'), task('end')],
  task_groups: [group('outer'), group('outer.inner', 'outer')],
};

function shape(nodes: TreeNode[]): unknown[] {
  return nodes.map((n) => (n.kind === 'task' ? `${n.task.task_id}@${n.depth}` : { [`${n.group.group_id}@${n.depth}`]: shape(n.children) }));
}

describe('task groups in the page', () => {
  it('builds the group tree in task order, a group where its first task is', () => {
    expect(shape(taskTree(data))).toEqual(['start@0', { 'outer@0': [{ 'outer.inner@1': ['outer.inner.a@2', 'outer.inner.b@2'] }, 'outer.c@1'] }, 'end@0']);
    const outer = taskTree(data)[1]!;
    expect(tasksUnder(outer)).toEqual(['outer.inner.a', 'outer.inner.b', 'outer.c']);
  });

  it('folds each task into its outermost collapsed group (groups start collapsed)', () => {
    const units = (expanded: string[]) => Object.fromEntries(visibleUnits(data, new Set(expanded)));
    expect(units([])).toEqual({ start: 'task:start', 'outer.inner.a': 'group:outer', 'outer.inner.b': 'group:outer', 'outer.c': 'group:outer', end: 'task:end' });
    expect(units(['outer'])).toMatchObject({ 'outer.inner.a': 'group:outer.inner', 'outer.c': 'task:outer.c' });
    expect(units(['outer', 'outer.inner'])).toMatchObject({ 'outer.inner.a': 'task:outer.inner.a', 'outer.inner.b': 'task:outer.inner.b' });
    // An inner group open inside a closed outer one still shows as the outer group.
    expect(units(['outer.inner'])['outer.inner.a']).toBe('group:outer');
  });

  it("summarises a group's states by Airflow's priority", () => {
    expect(aggregateState(['success', 'failed', 'running'])).toBe('failed');
    expect(aggregateState(['success', 'upstream_failed'])).toBe('upstream_failed');
    expect(aggregateState(['success', 'running', 'skipped'])).toBe('running');
    expect(aggregateState(['success', null])).toBeNull();
    expect(aggregateState(['success', 'skipped'])).toBe('success');
    expect(aggregateState([])).toBeUndefined();
  });
});
