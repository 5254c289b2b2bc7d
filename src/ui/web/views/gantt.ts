import type { DagRun, GridData } from '../api.js';
import { h } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { stateClass } from '../states.js';
import { tiIndex, type Selection } from './grid.js';

/** Time labels on the axis (bars are placed in percent of the chart column). */
const TICKS = 5;

/**
 * One run's Gantt chart, as Airflow's: a row per task (DAG order), a bar from the try's start to its end
 * (now while it runs), with the time it waited in the queue drawn lighter before it. Positions are set
 * through the CSSOM: the page's CSP forbids inline style attributes.
 */
export function renderGantt(data: GridData, run: DagRun | undefined, selection: Selection, select: (selection: Selection) => void): HTMLElement {
  if (!run) return h('p', { class: 'muted' }, 'No run to chart yet.');
  const tis = tiIndex(data);
  const now = Date.now();
  const rows = data.tasks.map((task) => ({ task, ti: tis.get(`${run.dag_run_id}\u0000${task.task_id}`) }));
  const times = rows.flatMap(({ ti }) => {
    if (!ti?.start_date) return [];
    const start = Date.parse(ti.start_date);
    const queued = ti.queued_when ? Date.parse(ti.queued_when) : start;
    const end = ti.end_date ? Date.parse(ti.end_date) : now;
    return [Math.min(queued, start), end];
  });
  if (times.length === 0) return h('p', { class: 'muted', 'data-testid': 'gantt-empty' }, 'No task of this run has started yet.');
  const from = Math.min(...times);
  const to = Math.max(from + 1000, ...times);
  const span = to - from;
  const percent = (ms: number): string => `${(((ms - from) / span) * 100).toFixed(3)}%`;
  const widthPercent = (ms: number): string => `${Math.max((ms / span) * 100, 0.4).toFixed(3)}%`;

  const axis = h(
    'div',
    { class: 'gantt-axis' },
    Array.from({ length: TICKS + 1 }, (_, i) => {
      const tick = h('span', { class: 'gantt-tick' }, formatTime(new Date(from + (span * i) / TICKS).toISOString()).replace(' UTC', '').slice(11));
      tick.style.left = `${(i * 100) / TICKS}%`;
      return tick;
    }),
  );

  const lines = rows.map(({ task, ti }) => {
    const track = h('div', { class: 'gantt-track' });
    if (ti?.start_date) {
      const start = Date.parse(ti.start_date);
      const end = ti.end_date ? Date.parse(ti.end_date) : now;
      if (ti.queued_when && Date.parse(ti.queued_when) < start) {
        const queued = h('span', { class: 'gantt-queued', title: `queued ${formatDuration((start - Date.parse(ti.queued_when)) / 1000)}` });
        queued.style.left = percent(Date.parse(ti.queued_when));
        queued.style.width = widthPercent(start - Date.parse(ti.queued_when));
        track.appendChild(queued);
      }
      const selected = selection.runId === run.dag_run_id && selection.taskId === task.task_id;
      const bar = h('button', {
        class: `gantt-bar ${stateClass(ti.state)}${selected ? ' selected' : ''}`,
        title: `${task.task_id}\nstate: ${ti.state ?? 'no status'}\nstart: ${formatTime(ti.start_date)}\nend: ${formatTime(ti.end_date)}\nduration: ${formatDuration((end - start) / 1000)}`,
        'aria-label': `${task.task_id}: ${ti.state ?? 'no status'}, ${formatDuration((end - start) / 1000)}`,
        'data-testid': 'gantt-bar',
        'data-task-id': task.task_id,
        'data-state': ti.state ?? 'none',
        on: { click: () => select({ runId: run.dag_run_id, taskId: task.task_id }) },
      });
      bar.style.left = percent(start);
      bar.style.width = widthPercent(end - start);
      track.appendChild(bar);
    }
    return h('div', { class: 'gantt-row', 'data-task-id': task.task_id }, h('div', { class: 'gantt-label' }, task.task_id), track);
  });

  return h(
    'div',
    { class: 'gantt-scroll', 'data-testid': 'gantt' },
    h('div', { class: 'gantt-row gantt-head' }, h('div', { class: 'gantt-label muted' }, `${formatTime(new Date(from).toISOString()).slice(0, 10)} (UTC)`), axis),
    lines,
  );
}
