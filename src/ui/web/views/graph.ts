import dagre from '@dagrejs/dagre';
import type { GridData } from '../api.js';
import { h, svg } from '../dom.js';
import { stateClass } from '../states.js';
import { aggregateState, visibleUnits } from '../task-groups.js';
import { tiIndex, type GroupToggle, type Selection } from './grid.js';

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.5;
const CLUSTER_LABEL_HEIGHT = 22;

interface NodeLabel {
  width: number;
  height: number;
  x: number;
  y: number;
}

/**
 * Tasks and their dependencies, laid out left to right by dagre, coloured by the states of the selected
 * run (the newest by default). A collapsed task group is one node summarising its tasks, with the edges of
 * its tasks; an expanded one is a box around them (a dagre cluster). Clicking a group's toggle flips it.
 */
export function renderGraph(
  data: GridData,
  runId: string | null,
  selection: Selection,
  select: (selection: Selection) => void,
  groups: GroupToggle,
): HTMLElement {
  if (data.tasks.length === 0) return h('p', { class: 'muted' }, 'This DAG has no tasks.');
  const tis = tiIndex(data);
  const units = visibleUnits(data, groups.expanded);
  const groupById = new Map((data.task_groups ?? []).map((g) => [g.group_id, g]));
  const stateOf = (taskId: string) => (runId === null ? undefined : tis.get(`${runId}\u0000${taskId}`));

  const graph = new dagre.graphlib.Graph({ compound: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));

  // The clusters of expanded groups that still show (a group inside a collapsed one does not).
  const visibleGroups = new Set([...units.values()].filter((u) => u.startsWith('group:')).map((u) => u.slice(6)));
  const openGroups = new Set<string>();
  for (const task of data.tasks) {
    if (units.get(task.task_id) !== `task:${task.task_id}`) continue;
    for (let id = task.task_group_id; id !== null && !openGroups.has(id); id = groupById.get(id)?.parent_group_id ?? null) {
      if (!groupById.has(id)) break;
      openGroups.add(id);
    }
  }
  for (const id of visibleGroups) {
    for (let parent = groupById.get(id)?.parent_group_id ?? null; parent !== null; parent = groupById.get(parent)?.parent_group_id ?? null) {
      openGroups.add(parent);
    }
  }
  for (const id of openGroups) graph.setNode(`cluster:${id}`, { paddingTop: CLUSTER_LABEL_HEIGHT });
  for (const id of openGroups) {
    const parent = groupById.get(id)?.parent_group_id ?? null;
    if (parent !== null && openGroups.has(parent)) graph.setParent(`cluster:${id}`, `cluster:${parent}`);
  }

  const members = new Map<string, string[]>();
  for (const task of data.tasks) {
    const unit = units.get(task.task_id)!;
    members.set(unit, [...(members.get(unit) ?? []), task.task_id]);
  }
  for (const [unit, taskIds] of members) {
    const isGroup = unit.startsWith('group:');
    const id = unit.slice(unit.indexOf(':') + 1);
    const task = isGroup ? undefined : data.tasks.find((t) => t.task_id === id);
    const subtitle = isGroup ? `${taskIds.length} tasks` : (task?.operator?.split('.').pop() ?? '');
    graph.setNode(unit, { width: Math.max(id.length + (isGroup ? 3 : 0), subtitle.length) * CHAR_WIDTH + 32, height: NODE_HEIGHT });
    const parentGroup = isGroup ? (groupById.get(id)?.parent_group_id ?? null) : (task?.task_group_id ?? null);
    if (parentGroup !== null && openGroups.has(parentGroup)) graph.setParent(unit, `cluster:${parentGroup}`);
  }
  const known = new Set(data.tasks.map((t) => t.task_id));
  for (const task of data.tasks) {
    for (const upstream of task.upstream) {
      if (!known.has(upstream)) continue;
      const from = units.get(upstream)!;
      const to = units.get(task.task_id)!;
      if (from !== to) graph.setEdge(from, to);
    }
  }
  dagre.layout(graph);
  const size = graph.graph();
  // dagre's size can leave a cluster's padding outside; take the drawn boxes' extent as well.
  const boxes: NodeLabel[] = (graph.nodes() as string[]).map((id: string) => graph.node(id) as NodeLabel);
  const width = Math.ceil(Math.max(size.width ?? 0, ...boxes.map((b) => b.x + b.width / 2 + 16)));
  const height = Math.ceil(Math.max(size.height ?? 0, ...boxes.map((b) => b.y + b.height / 2 + 16)));

  const depth = (id: string): number => {
    let n = 0;
    for (let p = groupById.get(id)?.parent_group_id ?? null; p !== null && n < 50; p = groupById.get(p)?.parent_group_id ?? null) n++;
    return n;
  };
  // Outer boxes first, so inner ones are drawn over them.
  const clusters = [...openGroups].sort((a, b) => depth(a) - depth(b)).map((id) => {
    const box = graph.node(`cluster:${id}`) as NodeLabel;
    return svg(
      'g',
      {
        class: 'cluster',
        transform: `translate(${(box.x - box.width / 2).toFixed(1)},${(box.y - box.height / 2).toFixed(1)})`,
        'data-testid': 'graph-cluster',
        'data-group-id': id,
      },
      svg('rect', { class: 'cluster-box', width: box.width, height: box.height, rx: 8 }),
      svg(
        'text',
        {
          class: 'cluster-label',
          x: 10,
          y: 15,
          role: 'button',
          tabindex: '0',
          'data-testid': 'group-toggle',
          'data-group-id': id,
          'aria-expanded': 'true',
          on: { click: () => groups.toggle(id) },
        },
        `▾ ${id}`,
      ),
    );
  });

  const edges = (graph.edges() as Array<{ v: string; w: string }>).map((edge) => {
    const points = (graph.edge(edge) as { points?: Array<{ x: number; y: number }> }).points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return svg('path', { class: 'edge', d, 'marker-end': 'url(#arrow)' });
  });

  const nodes = [...members].map(([unit, taskIds]) => {
    const node = graph.node(unit) as NodeLabel;
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const at = `translate(${x.toFixed(1)},${y.toFixed(1)})`;
    if (unit.startsWith('group:')) {
      const id = unit.slice(6);
      const states = taskIds.flatMap((taskId) => {
        const ti = stateOf(taskId);
        return ti ? [ti.state] : [];
      });
      const state = aggregateState(states) ?? null;
      return svg(
        'g',
        {
          class: `node group-node ${stateClass(state)}`,
          transform: at,
          'data-testid': 'graph-group',
          'data-group-id': id,
          'data-state': state ?? 'none',
          role: 'button',
          tabindex: '0',
          'aria-expanded': 'false',
          on: { click: () => groups.toggle(id) },
        },
        svg('title', null, `${id}: ${state ?? 'no status'} (${taskIds.length} tasks; click to expand)`),
        svg('rect', { class: 'node-box', width: node.width, height: node.height, rx: 6 }),
        svg('rect', { class: `node-state ${stateClass(state)}`, width: 6, height: node.height, rx: 3 }),
        svg('text', { class: 'node-label', x: 14, y: 18 }, `▸ ${id}`),
        svg('text', { class: 'node-operator', x: 14, y: 34 }, `${taskIds.length} tasks`),
      );
    }
    const task = data.tasks.find((t) => t.task_id === taskIds[0])!;
    const ti = stateOf(task.task_id);
    const state = ti?.state ?? null;
    const selected = selection.taskId === task.task_id && selection.runId === runId;
    const operator = task.operator?.split('.').pop() ?? '';
    return svg(
      'g',
      {
        class: `node ${stateClass(state)}${selected ? ' selected' : ''}`,
        transform: at,
        'data-testid': 'graph-node',
        'data-task-id': task.task_id,
        'data-state': state ?? 'none',
        role: 'button',
        tabindex: '0',
        on: { click: () => runId !== null && select({ runId, taskId: task.task_id }) },
      },
      svg('title', null, `${task.task_id}: ${state ?? 'no status'}`),
      svg('rect', { class: 'node-box', width: node.width, height: node.height, rx: 6 }),
      svg('rect', { class: `node-state ${stateClass(state)}`, width: 6, height: node.height, rx: 3 }),
      svg('text', { class: 'node-label', x: 14, y: 18 }, task.task_id),
      svg('text', { class: 'node-operator', x: 14, y: 34 }, operator),
    );
  });

  return h(
    'div',
    { class: 'graph-scroll' },
    svg(
      'svg',
      { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, 'data-testid': 'graph' },
      svg(
        'defs',
        null,
        svg(
          'marker',
          { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
          svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }),
        ),
      ),
      clusters,
      edges,
      nodes,
    ),
  );
}
