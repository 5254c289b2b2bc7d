import { api, ApiError, type DagListItem, type ImportError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { Poller } from '../poller.js';
import { ACTIVE_RUN_STATES, stateClass } from '../states.js';
import type { AppContext, View } from './context.js';
import { importErrorsBanner } from './import-errors.js';
import { pauseToggle } from './pause-toggle.js';

/** A DAG page's link; `select` opens it on a run (and a task instance of it). */
export function dagHref(dagId: string, tab: 'grid' | 'graph' | 'gantt' | 'code' = 'grid', select?: { runId: string; taskId?: string }): string {
  const query = select ? `?${new URLSearchParams({ run: select.runId, ...(select.taskId ? { task: select.taskId } : {}) }).toString()}` : '';
  return `#/dags/${encodeURIComponent(dagId)}${tab === 'grid' ? '' : `/${tab}`}${query}`;
}

/** Newest runs as dots, oldest left, newest right (as in Airflow's grid). */
function runDots(dag: DagListItem): HTMLElement {
  const runs = [...dag.recent_runs].reverse();
  return h(
    'div',
    { class: 'run-dots', 'data-testid': 'recent-runs' },
    runs.map((run) =>
      h('a', {
        class: `dot ${stateClass(run.state)}`,
        href: dagHref(dag.dag_id),
        title: `${run.dag_run_id}\n${run.state}\n${formatTime(run.run_after)}`,
        'data-state': run.state,
      }),
    ),
    dag.pending_triggers > 0 ? h('span', { class: 'dot state-queued pending', title: 'Triggered: waiting for the next tick' }) : null,
    runs.length === 0 && dag.pending_triggers === 0 ? h('span', { class: 'muted' }, 'no runs yet') : null,
  );
}

function dagRow(ctx: AppContext, dag: DagListItem, refresh: () => void): HTMLElement {
  return h(
    'tr',
    { 'data-dag-id': dag.dag_id, class: dag.is_paused ? 'paused' : undefined },
    h('td', null, pauseToggle(ctx, dag, refresh)),
    h(
      'td',
      null,
      h('a', { class: 'dag-link', href: dagHref(dag.dag_id) }, dag.dag_display_name),
      dag.tags.length > 0 ? h('div', { class: 'tags' }, dag.tags.map((t) => h('span', { class: 'tag' }, t.name))) : null,
      dag.description ? h('div', { class: 'muted small' }, dag.description) : null,
    ),
    h('td', { title: dag.timetable_description ?? '' }, h('code', null, dag.timetable_summary ?? 'None')),
    h('td', null, dag.owners.join(', ')),
    h('td', null, runDots(dag)),
    h('td', { class: 'nowrap' }, formatTime(dag.next_dagrun_run_after)),
    h(
      'td',
      null,
      h(
        'button',
        {
          class: 'icon-button',
          title: `Trigger ${dag.dag_id}`,
          'aria-label': `Trigger ${dag.dag_id}`,
          'data-testid': 'trigger-button',
          on: {
            click: () =>
              void ctx.trigger(dag).then((runId) => {
                if (runId) refresh();
              }),
          },
        },
        '▶',
      ),
    ),
  );
}

export function dagListView(ctx: AppContext): View {
  const banner = h('div');
  const body = h('tbody');
  const summary = h('p', { class: 'muted' });
  const element = h(
    'section',
    { class: 'page' },
    h('h1', null, 'DAGs'),
    banner,
    h(
      'table',
      { class: 'dag-table', 'data-testid': 'dag-table' },
      h(
        'thead',
        null,
        h('tr', null, ['', 'DAG', 'Schedule', 'Owner', 'Recent runs', 'Next run', ''].map((title) => h('th', null, title))),
      ),
      body,
    ),
    summary,
  );

  let lastErrors: ImportError[] = [];
  const poller = new Poller(async () => {
    try {
      const [list, errors] = await Promise.all([api.dags(), api.importErrors()]);
      lastErrors = errors.import_errors;
      replaceChildren(banner, importErrorsBanner(lastErrors, errors.total_entries));
      replaceChildren(body, list.dags.map((dag) => dagRow(ctx, dag, () => void poller.now())));
      replaceChildren(
        summary,
        list.total_entries === 0
          ? 'No DAGs yet: upload a manifest with `airflow-serverless dags create --file <manifest.yaml>`.'
          : `${list.total_entries} DAG${list.total_entries === 1 ? '' : 's'}`,
      );
      return list.dags.some((d) => d.pending_triggers > 0 || d.recent_runs.some((r) => ACTIVE_RUN_STATES.has(r.state)));
    } catch (error) {
      ctx.notify(error instanceof ApiError ? error.message : String(error), 'error');
      return false;
    }
  });
  void poller.start();
  return { element, dispose: () => poller.stop() };
}
