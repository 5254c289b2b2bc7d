import { api, ApiError, type Backfill, type Dag, type GridData } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { Poller } from '../poller.js';
import { renderMarkdown } from '../markdown.js';
import { ACTIVE_RUN_STATES } from '../states.js';
import type { AppContext, View } from './context.js';
import { dagHref } from './dag-list.js';
import { loadExpanded, saveExpanded } from '../task-groups.js';
import { renderGantt } from './gantt.js';
import { gridRuns, renderGrid, tiIndex, type GroupToggle, type Selection } from './grid.js';
import { renderGraph } from './graph.js';
import { backfillBanner } from './backfill-banner.js';
import { openBackfillDialog } from './backfill-dialog.js';
import { pauseToggle } from './pause-toggle.js';
import { TaskPanel } from './task-panel.js';

export type DagTab = 'grid' | 'graph' | 'gantt' | 'code';

/**
 * One DAG: header (pause, trigger, backfill), its doc_md, grid, graph, a run's Gantt chart or the DAG file's
 * code, and the task-instance panel; refreshed live. `initial` selects a run (and task) from a link, e.g. from
 * the browse pages.
 */
export function dagPageView(ctx: AppContext, dagId: string, tab: DagTab, initial: Selection = { runId: null, taskId: null }): View {
  const header = h('div', { class: 'dag-header' });
  const main = h('div', { class: 'dag-main', 'data-testid': `${tab}-view` });
  const panel = new TaskPanel((message) => {
    ctx.notify(message);
    void poller.now();
  });
  const element = h(
    'section',
    { class: 'page' },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'DAGs'), ' / ', h('span', null, dagId)),
    header,
    h(
      'div',
      { class: 'tabs' },
      h('a', { class: `tab${tab === 'grid' ? ' active' : ''}`, href: dagHref(dagId, 'grid') }, 'Grid'),
      h('a', { class: `tab${tab === 'graph' ? ' active' : ''}`, href: dagHref(dagId, 'graph') }, 'Graph'),
      h('a', { class: `tab${tab === 'gantt' ? ' active' : ''}`, href: dagHref(dagId, 'gantt') }, 'Gantt'),
      h('a', { class: `tab${tab === 'code' ? ' active' : ''}`, href: dagHref(dagId, 'code'), 'data-testid': 'code-tab' }, 'Code'),
    ),
    h('div', { class: 'dag-body' }, main, panel.element),
  );

  let selection: Selection = initial;
  const expanded = loadExpanded(dagId);
  const groups: GroupToggle = {
    expanded,
    toggle(groupId) {
      if (expanded.has(groupId)) expanded.delete(groupId);
      else expanded.add(groupId);
      saveExpanded(dagId, expanded);
      render();
    },
  };
  let data: GridData | null = null;
  let dag: Dag | null = null;
  let backfills: Backfill[] = [];

  const renderHeader = (): void => {
    if (!dag) return;
    const current = dag;
    replaceChildren(
      header,
      h('h1', null, pauseToggle(ctx, current, () => void poller.now()), ' ', current.dag_display_name),
      h(
        'div',
        { class: 'dag-meta' },
        h('span', null, 'Schedule: ', h('code', null, current.timetable_summary ?? 'None')),
        h('span', null, 'Next run: ', formatTime(current.next_dagrun_run_after)),
        current.tags.length > 0 ? h('span', { class: 'tags' }, current.tags.map((t) => h('span', { class: 'tag' }, t.name))) : null,
        h(
          'button',
          {
            class: 'primary',
            'data-testid': 'trigger-button',
            on: {
              click: () =>
                void ctx.trigger(current, data?.params).then((runId) => {
                  if (runId) void poller.now();
                }),
            },
          },
          '▶ Trigger',
        ),
        h(
          'button',
          {
            'data-testid': 'backfill-button',
            on: {
              click: () =>
                void openBackfillDialog(current.dag_id, data?.params ?? {}).then((message) => {
                  if (message) {
                    ctx.notify(message);
                    void poller.now();
                  }
                }),
            },
          },
          'Backfill',
        ),
      ),
      current.description ? h('p', { class: 'muted' }, current.description) : null,
      docs,
      backfillBanner(backfills, ctx.notify, () => void poller.now()),
    );
  };

  // doc_md, rendered once per change of its text (a poll must not rebuild it under a reader's selection).
  const docs = h('details', { class: 'dag-docs', 'data-testid': 'dag-docs', open: true });
  let docsText: string | null = null;
  const renderDocs = (text: string | null): void => {
    if (text === docsText) return;
    docsText = text;
    docs.hidden = !text;
    replaceChildren(docs, h('summary', null, 'DAG docs'), text ? renderMarkdown(text) : null);
  };

  /** The Code tab: the DAG file as the tick parsed it, as text. */
  const renderCode = async (): Promise<void> => {
    try {
      const source = await api.source(dagId);
      replaceChildren(
        main,
        source.content === null
          ? h('p', { class: 'muted' }, 'The DAG file is no longer on the volume.')
          : h('pre', { class: 'code-view', 'data-testid': 'dag-source' }, h('code', null, source.content)),
      );
    } catch (error) {
      replaceChildren(main, h('p', { class: 'error' }, error instanceof ApiError ? error.message : String(error)));
    }
  };

  /**
   * The graph colours one run's task instances, the Gantt charts one: pick which (default: the newest). The picker survives
   * refreshes (rebuilt only when the runs change), so a poll never closes it under the user's hand.
   */
  const picker = h('select', { 'aria-label': 'Run shown in the graph', 'data-testid': 'graph-run' });
  picker.addEventListener('change', () => select({ runId: picker.value, taskId: null }));
  let pickerRuns = '';
  const graphRunPicker = (runs: ReturnType<typeof gridRuns>, shown: string | null): HTMLElement => {
    const signature = runs.map((r) => `${r.dag_run_id}\u0000${r.state}`).join('\u0001');
    if (signature !== pickerRuns) {
      pickerRuns = signature;
      replaceChildren(
        picker,
        [...runs].reverse().map((run) => h('option', { value: run.dag_run_id }, `${run.dag_run_id} (${run.state})`)),
      );
    }
    if (shown !== null) picker.value = shown;
    return h('div', { class: 'graph-toolbar' }, runs.length === 0 ? h('span', { class: 'muted' }, 'No runs yet') : ['Run: ', picker]);
  };

  const select = (next: Selection): void => {
    selection = next;
    render();
  };

  const render = (): void => {
    if (!data || tab === 'code') return;
    const runs = gridRuns(data);
    const graphRun = selection.runId ?? runs.at(-1)?.dag_run_id ?? null;
    // Re-rendering replaces the scrollable box; keep the user's scroll position across refreshes.
    const scroller = main.querySelector('.grid-scroll, .graph-scroll, .gantt-scroll');
    const scroll = scroller ? { left: scroller.scrollLeft, top: scroller.scrollTop } : null;
    replaceChildren(
      main,
      tab === 'grid'
        ? renderGrid(data, selection, select, groups)
        : [
            graphRunPicker(runs, graphRun),
            tab === 'graph'
              ? renderGraph(data, graphRun, selection, select, groups)
              : renderGantt(
                  data,
                  runs.find((r) => r.dag_run_id === graphRun),
                  selection,
                  select,
                ),
          ],
    );
    const replaced = main.querySelector('.grid-scroll, .graph-scroll, .gantt-scroll');
    if (replaced && scroll) {
      replaced.scrollLeft = scroll.left;
      replaced.scrollTop = scroll.top;
    }
    const run = runs.find((r) => r.dag_run_id === selection.runId);
    const ti = selection.taskId && selection.runId ? tiIndex(data).get(`${selection.runId}\u0000${selection.taskId}`) : undefined;
    if (ti) panel.showTaskInstance(ti);
    else if (run) panel.showRun(run);
    else panel.clear();
  };

  const poller = new Poller(async () => {
    try {
      const [dagResponse, grid, backfillList] = await Promise.all([
        api.dag(dagId),
        api.grid(dagId),
        // A database from before backfills existed (no tick has migrated it yet) has none to show.
        api.backfills(dagId).catch(() => ({ backfills: [] as Backfill[] })),
      ]);
      dag = dagResponse;
      data = grid;
      renderDocs(grid.doc_md);
      backfills = backfillList.backfills;
      renderHeader();
      render();
      return grid.pending_runs.length > 0 || grid.dag_runs.some((r) => ACTIVE_RUN_STATES.has(r.state));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        replaceChildren(main, h('p', { class: 'error' }, error.message));
        return false;
      }
      ctx.notify(error instanceof ApiError ? error.message : String(error), 'error');
      return false;
    }
  });
  void poller.start();
  if (tab === 'code') void renderCode();
  return { element, dispose: () => poller.stop() };
}
