import type { DagRun, GridData, TaskInstance } from '../api.js';
import { h } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { stateClass } from '../states.js';
import { aggregateState, tasksUnder, taskTree, type TreeNode } from '../task-groups.js';

export interface Selection {
  runId: string | null;
  taskId: string | null;
}

/** Which task groups are open, and how to open or close one (shared by the grid and the graph). */
export interface GroupToggle {
  expanded: ReadonlySet<string>;
  toggle(groupId: string): void;
}

export function groupToggleButton(groupId: string, open: boolean, groups: GroupToggle): HTMLElement {
  return h(
    'button',
    {
      class: 'group-toggle',
      'data-testid': 'group-toggle',
      'data-group-id': groupId,
      'aria-expanded': String(open),
      title: open ? `Collapse ${groupId}` : `Expand ${groupId}`,
      on: { click: () => groups.toggle(groupId) },
    },
    open ? '▾' : '▸',
  );
}

export function tiIndex(data: GridData): Map<string, TaskInstance> {
  // Unmapped instances only (map_index -1) feed the grid; mapped ones are summarised by their first.
  const byKey = new Map<string, TaskInstance>();
  for (const ti of data.task_instances) {
    const key = `${ti.dag_run_id}\u0000${ti.task_id}`;
    if (!byKey.has(key) || ti.map_index === -1) byKey.set(key, ti);
  }
  return byKey;
}

export function gridRuns(data: GridData): Array<DagRun & { pending?: boolean }> {
  return [...data.dag_runs, ...data.pending_runs.map((r) => ({ ...r, pending: true }))];
}

function runTitle(run: DagRun & { pending?: boolean }): string {
  return [
    run.dag_run_id,
    `state: ${run.state}${run.pending ? ' (waiting for the next tick)' : ''}`,
    `run after: ${formatTime(run.run_after)}`,
    `duration: ${formatDuration(run.duration)}`,
  ].join('\n');
}

const BAR_MIN_PX = 10;
const BAR_MAX_PX = 60;

/** Seconds a run has taken so far (finished: its duration; running: since it started). */
function elapsed(run: DagRun, now: number): number {
  if (run.duration !== null) return run.duration;
  if (run.start_date) return Math.max(0, (now - Date.parse(run.start_date)) / 1000);
  return 0;
}

/** Bar heights relative to the longest run shown, as in Airflow's grid. */
function barHeights(runs: DagRun[]): Map<string, number> {
  const now = Date.now();
  const longest = Math.max(0, ...runs.map((r) => elapsed(r, now)));
  return new Map(
    runs.map((r) => [r.dag_run_id, longest === 0 ? BAR_MIN_PX : Math.round(BAR_MIN_PX + ((BAR_MAX_PX - BAR_MIN_PX) * elapsed(r, now)) / longest)]),
  );
}

export function stateLegend(): HTMLElement {
  const states = ['success', 'failed', 'running', 'queued', 'scheduled', 'up_for_retry', 'upstream_failed', 'skipped', null];
  return h(
    'div',
    { class: 'legend' },
    states.map((state) => h('span', { class: 'legend-item' }, h('span', { class: `dot ${stateClass(state)}` }), state ?? 'no status')),
  );
}

/** Runs × tasks: run bars across the top (oldest left), one coloured cell per task instance. */
export function renderGrid(data: GridData, selection: Selection, select: (selection: Selection) => void, groups: GroupToggle): HTMLElement {
  const runs = gridRuns(data);
  const heights = barHeights(runs);
  const tis = tiIndex(data);
  if (data.tasks.length === 0) return h('p', { class: 'muted' }, 'This DAG has no tasks.');

  const header = h(
    'tr',
    null,
    h('th', { class: 'task-col' }, runs.length === 0 ? h('span', { class: 'muted' }, 'No runs yet') : 'Task'),
    runs.map((run) =>
      h(
        'th',
        { class: 'run-col' },
        h('button', {
          class: `run-bar ${stateClass(run.state)}${run.pending ? ' pending' : ''}${selection.runId === run.dag_run_id && !selection.taskId ? ' selected' : ''}`,
          title: runTitle(run),
          'aria-label': `Run ${run.dag_run_id}: ${run.state}`,
          'data-run-id': run.dag_run_id,
          'data-state': run.state,
          on: { click: () => select({ runId: run.dag_run_id, taskId: null }) },
        }),
      ),
    ),
  );
  // Heights are layout, not data: set through the CSSOM (the CSP forbids inline style attributes).
  header.querySelectorAll<HTMLElement>('.run-bar').forEach((bar) => {
    bar.style.height = `${heights.get(bar.dataset.runId ?? '') ?? BAR_MIN_PX}px`;
  });

  const taskRow = (task: GridData['tasks'][number], depth: number): HTMLElement =>
    h(
      'tr',
      { 'data-task-id': task.task_id },
      h('th', { class: `task-col depth-${Math.min(depth, 6)}`, title: task.operator ?? '' }, task.task_id),
      runs.map((run) => {
        const ti = tis.get(`${run.dag_run_id}\u0000${task.task_id}`);
        const state = ti?.state ?? null;
        const selected = selection.runId === run.dag_run_id && selection.taskId === task.task_id;
        return h(
          'td',
          { class: 'cell-td' },
          ti
            ? h('button', {
                class: `cell ${stateClass(state)}${selected ? ' selected' : ''}`,
                title: `${task.task_id}\n${run.dag_run_id}\nstate: ${state ?? 'no status'}\ntry: ${ti.try_number}\nduration: ${formatDuration(ti.duration)}`,
                'aria-label': `${task.task_id} in ${run.dag_run_id}: ${state ?? 'no status'}`,
                'data-testid': 'grid-cell',
                'data-run-id': run.dag_run_id,
                'data-task-id': task.task_id,
                'data-state': state ?? 'none',
                on: { click: () => select({ runId: run.dag_run_id, taskId: task.task_id }) },
              })
            : h('span', { class: 'cell empty' }),
        );
      }),
    );

  // A group row summarises its tasks per run; expanded, its tasks (and inner groups) follow it.
  const groupRows = (node: Extract<TreeNode, { kind: 'group' }>): HTMLElement[] => {
    const open = groups.expanded.has(node.group.group_id);
    const members = tasksUnder(node);
    const row = h(
      'tr',
      { class: 'group-row', 'data-group-id': node.group.group_id },
      h(
        'th',
        { class: `task-col depth-${Math.min(node.depth, 6)}`, title: node.group.tooltip ?? '' },
        groupToggleButton(node.group.group_id, open, groups),
        ' ',
        node.group.group_id,
      ),
      runs.map((run) => {
        const states = members.flatMap((id) => {
          const ti = tis.get(`${run.dag_run_id}\u0000${id}`);
          return ti ? [ti.state] : [];
        });
        const state = aggregateState(states);
        return h(
          'td',
          { class: 'cell-td' },
          state === undefined
            ? h('span', { class: 'cell empty' })
            : h('span', {
                class: `cell group-cell ${stateClass(state)}`,
                title: `${node.group.group_id} (${members.length} tasks)\n${run.dag_run_id}\nstate: ${state ?? 'no status'}`,
                'data-testid': 'grid-group-cell',
                'data-run-id': run.dag_run_id,
                'data-group-id': node.group.group_id,
                'data-state': state ?? 'none',
              }),
        );
      }),
    );
    return [row, ...(open ? node.children.flatMap(rowsOf) : [])];
  };
  const rowsOf = (node: TreeNode): HTMLElement[] => (node.kind === 'task' ? [taskRow(node.task, node.depth)] : groupRows(node));
  const rows = taskTree(data).flatMap(rowsOf);

  return h(
    'div',
    { class: 'grid-scroll' },
    h('table', { class: 'grid', 'data-testid': 'grid' }, h('thead', null, header), h('tbody', null, rows)),
    stateLegend(),
  );
}
