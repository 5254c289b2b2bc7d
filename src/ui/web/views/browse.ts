import { api, ApiError, type DagRun, type TaskInstance } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatTime } from '../format.js';
import { STATE_COLORS } from '../states.js';
import type { AppContext, View } from './context.js';
import { dagHref } from './dag-list.js';
import { stateBadge } from './badge.js';

const PAGE_SIZE = 50;
const RUN_STATES = ['queued', 'running', 'success', 'failed'];
const RUN_TYPES = ['manual', 'scheduled', 'backfill', 'asset_triggered'];
const TI_STATES = ['none', ...Object.keys(STATE_COLORS)];

/** A filter of a browse page: a query parameter of Airflow's list endpoint, edited by one control. */
interface Filter {
  param: string;
  label: string;
  /** A select over these values, or a date (a UTC day; `_lte` filters include the whole day). */
  options?: string[];
  date?: 'from' | 'to';
}

/** `2024-01-02` -> the instant the filter compares with: the day's first, or last, millisecond (UTC). */
function dayBound(day: string, edge: 'from' | 'to'): string {
  return edge === 'from' ? `${day}T00:00:00Z` : `${day}T23:59:59.999Z`;
}

/**
 * A browse page (Airflow 3's "Dag Runs" / "Task Instances"): filters kept in the URL (so a filtered view
 * can be linked and survives reloads), one page of the list endpoint's answer, and paging.
 */
function browseView<T>(
  ctx: AppContext,
  options: {
    title: string;
    route: string;
    testId: string;
    filters: Filter[];
    params: URLSearchParams;
    load(query: URLSearchParams): Promise<{ rows: T[]; total: number }>;
    columns: string[];
    row(item: T): HTMLElement;
  },
): View {
  const { params } = options;
  const offset = Math.max(0, Number.parseInt(params.get('offset') ?? '0', 10) || 0);
  const go = (next: URLSearchParams): void => {
    location.hash = `#/${options.route}${next.toString() ? `?${next.toString()}` : ''}`;
  };
  const controls = options.filters.map((filter) => {
    const id = `filter-${filter.param}`;
    const current = params.get(filter.param) ?? '';
    let control: HTMLInputElement | HTMLSelectElement;
    if (filter.options) {
      control = h(
        'select',
        { id, 'data-testid': id },
        h('option', { value: '' }, 'All'),
        filter.options.map((value) => h('option', { value }, value === 'none' ? 'no status' : value)),
      );
      control.value = current;
    } else if (filter.date) {
      control = h('input', { id, type: 'date', 'data-testid': id });
      control.value = current.slice(0, 10);
    } else {
      control = h('input', { id, type: 'search', 'data-testid': id, placeholder: 'contains…' });
      control.value = current;
    }
    control.addEventListener('change', () => {
      const next = new URLSearchParams(params);
      next.delete('offset');
      const value = control.value.trim();
      if (value === '') next.delete(filter.param);
      else next.set(filter.param, filter.date ? dayBound(value, filter.date) : value);
      go(next);
    });
    return h('label', { class: 'filter', for: id }, h('span', null, filter.label), control);
  });
  const body = h('div', { class: 'browse-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const element = h(
    'section',
    { class: 'page', 'data-testid': options.testId },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'DAGs'), ' / ', h('span', null, options.title)),
    h('h1', null, options.title),
    h('div', { class: 'filters' }, controls, params.toString() ? h('a', { href: `#/${options.route}`, class: 'small' }, 'Clear filters') : null),
    body,
  );

  let disposed = false;
  const query = new URLSearchParams(params);
  query.set('limit', String(PAGE_SIZE));
  query.set('offset', String(offset));
  // Newest first, as Airflow's browse pages list them.
  if (!query.has('order_by')) query.set('order_by', '-run_after');
  options
    .load(query)
    .then(({ rows, total }) => {
      if (disposed) return;
      const page = (to: number): HTMLElement | null => {
        if (to < 0 || to >= total || to === offset) return null;
        const next = new URLSearchParams(params);
        next.set('offset', String(to));
        return h('a', { href: `#/${options.route}?${next.toString()}` }, to < offset ? '← Newer' : 'Older →');
      };
      replaceChildren(
        body,
        rows.length === 0
          ? h('p', { class: 'muted', 'data-testid': 'browse-empty' }, 'Nothing matches these filters.')
          : h(
              'table',
              { class: 'dag-table browse-table', 'data-testid': `${options.testId}-table` },
              h('thead', null, h('tr', null, options.columns.map((c) => h('th', null, c)))),
              h('tbody', null, rows.map((item) => options.row(item))),
            ),
        h(
          'div',
          { class: 'pager' },
          h('span', { class: 'muted', 'data-testid': 'browse-total' }, `${total === 0 ? 0 : offset + 1}–${offset + rows.length} of ${total}`),
          page(offset - PAGE_SIZE),
          page(offset + PAGE_SIZE),
        ),
      );
    })
    .catch((error: unknown) => {
      if (disposed) return;
      const message = error instanceof ApiError ? error.message : String(error);
      replaceChildren(body, h('p', { class: 'error', role: 'alert' }, message));
      ctx.notify(message, 'error');
    });
  return {
    element,
    dispose: () => {
      disposed = true;
    },
  };
}

/** Every DAG's runs, filtered by state, run type and logical date. */
export function runsView(ctx: AppContext, params: URLSearchParams): View {
  return browseView<DagRun>(ctx, {
    title: 'DAG runs',
    route: 'runs',
    testId: 'runs',
    params,
    filters: [
      { param: 'dag_id_pattern', label: 'DAG' },
      { param: 'state', label: 'State', options: RUN_STATES },
      { param: 'run_type', label: 'Run type', options: RUN_TYPES },
      { param: 'logical_date_gte', label: 'Logical date from', date: 'from' },
      { param: 'logical_date_lte', label: 'to', date: 'to' },
    ],
    load: async (query) => {
      const { dag_runs: rows, total_entries: total } = await api.runs(query);
      return { rows, total };
    },
    columns: ['DAG', 'Run', 'State', 'Run type', 'Logical date', 'Started', 'Ended', 'Duration'],
    row: (run) =>
      h(
        'tr',
        { 'data-testid': 'run-row', 'data-run-id': run.dag_run_id, 'data-dag-id': run.dag_id },
        h('td', null, h('a', { href: dagHref(run.dag_id) }, run.dag_display_name)),
        h('td', null, h('a', { href: dagHref(run.dag_id, 'grid', { runId: run.dag_run_id }) }, h('code', null, run.dag_run_id))),
        h('td', null, stateBadge(run.state)),
        h('td', null, run.run_type),
        h('td', { class: 'nowrap' }, formatTime(run.logical_date)),
        h('td', { class: 'nowrap' }, formatTime(run.start_date)),
        h('td', { class: 'nowrap' }, formatTime(run.end_date)),
        h('td', { class: 'nowrap' }, formatDuration(run.duration)),
      ),
  });
}

/** Every task instance, filtered by state, run type, task, DAG and logical date. */
export function taskInstancesView(ctx: AppContext, params: URLSearchParams): View {
  return browseView<TaskInstance>(ctx, {
    title: 'Task instances',
    route: 'task-instances',
    testId: 'task-instances',
    params,
    filters: [
      { param: 'dag_id_pattern', label: 'DAG' },
      { param: 'task_display_name_pattern', label: 'Task' },
      { param: 'state', label: 'State', options: TI_STATES },
      { param: 'run_type', label: 'Run type', options: RUN_TYPES },
      { param: 'logical_date_gte', label: 'Logical date from', date: 'from' },
      { param: 'logical_date_lte', label: 'to', date: 'to' },
    ],
    load: async (query) => {
      const { task_instances: rows, total_entries: total } = await api.taskInstances(query);
      return { rows, total };
    },
    columns: ['DAG', 'Run', 'Task', 'Map index', 'State', 'Try', 'Started', 'Ended', 'Duration'],
    row: (ti) =>
      h(
        'tr',
        { 'data-testid': 'ti-row', 'data-run-id': ti.dag_run_id, 'data-task-id': ti.task_id, 'data-dag-id': ti.dag_id },
        h('td', null, h('a', { href: dagHref(ti.dag_id) }, ti.dag_display_name)),
        h('td', null, h('code', null, ti.dag_run_id)),
        h('td', null, h('a', { href: dagHref(ti.dag_id, 'grid', { runId: ti.dag_run_id, taskId: ti.task_id }) }, ti.task_id)),
        h('td', null, ti.map_index >= 0 ? String(ti.map_index) : '—'),
        h('td', null, stateBadge(ti.state)),
        h('td', null, String(ti.try_number)),
        h('td', { class: 'nowrap' }, formatTime(ti.start_date)),
        h('td', { class: 'nowrap' }, formatTime(ti.end_date)),
        h('td', { class: 'nowrap' }, formatDuration(ti.duration)),
      ),
  });
}
