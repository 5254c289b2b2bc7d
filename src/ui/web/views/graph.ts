import dagre from '@dagrejs/dagre';
import type { GridData } from '../api.js';
import { h, svg } from '../dom.js';
import { stateClass } from '../states.js';
import { tiIndex, type Selection } from './grid.js';

const NODE_HEIGHT = 44;
const CHAR_WIDTH = 7.5;

/**
 * Tasks and their dependencies, laid out left to right by dagre, coloured by the states of the selected
 * run (the newest by default).
 */
export function renderGraph(data: GridData, runId: string | null, selection: Selection, select: (selection: Selection) => void): HTMLElement {
  if (data.tasks.length === 0) return h('p', { class: 'muted' }, 'This DAG has no tasks.');
  const tis = tiIndex(data);
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const task of data.tasks) {
    const operator = task.operator?.split('.').pop() ?? '';
    const width = Math.max(task.task_id.length, operator.length) * CHAR_WIDTH + 32;
    graph.setNode(task.task_id, { width, height: NODE_HEIGHT });
  }
  const known = new Set(data.tasks.map((t) => t.task_id));
  for (const task of data.tasks) {
    for (const upstream of task.upstream) if (known.has(upstream)) graph.setEdge(upstream, task.task_id);
  }
  dagre.layout(graph);
  const size = graph.graph();
  const width = Math.ceil(size.width ?? 0);
  const height = Math.ceil(size.height ?? 0);

  const edges = (graph.edges() as Array<{ v: string; w: string }>).map((edge) => {
    const points = ((graph.edge(edge) as { points?: Array<{ x: number; y: number }> }).points ?? []);
    const d = points.map((p: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return svg('path', { class: 'edge', d, 'marker-end': 'url(#arrow)' });
  });

  const nodes = data.tasks.map((task) => {
    const node = graph.node(task.task_id);
    const ti = runId === null ? undefined : tis.get(`${runId}\u0000${task.task_id}`);
    const state = ti?.state ?? null;
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const selected = selection.taskId === task.task_id && selection.runId === runId;
    const operator = task.operator?.split('.').pop() ?? '';
    return svg(
      'g',
      {
        class: `node ${stateClass(state)}${selected ? ' selected' : ''}`,
        transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`,
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
      edges,
      nodes,
    ),
  );
}
