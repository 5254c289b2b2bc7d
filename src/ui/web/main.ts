/**
 * The ephemeral UI's page: a hash-routed single page over the same server's API. Views build the DOM with
 * `h()` (text only, never HTML strings), refresh themselves while runs are active, and dispose their
 * timers when the route changes.
 */
import './style.css';
import { api } from './api.js';
import { h, replaceChildren } from './dom.js';
import { formatTime } from './format.js';
import type { AppContext, View } from './views/context.js';
import { runsView, taskInstancesView } from './views/browse.js';
import { dagListView } from './views/dag-list.js';
import { dagPageView, type DagTab } from './views/dag-page.js';
import { openTriggerDialog } from './views/trigger-dialog.js';

const root = document.getElementById('app') ?? document.body;
const toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
const health = h('span', { class: 'health muted', 'data-testid': 'health' });
const version = h('span', { class: 'muted small' });
const outlet = h('main');

const ctx: AppContext = {
  notify(message, kind = 'info') {
    const toast = h('div', { class: `toast toast-${kind}`, 'data-testid': `toast-${kind}` }, message);
    toasts.appendChild(toast);
    setTimeout(() => toast.remove(), kind === 'error' ? 8000 : 4000);
  },
  async trigger(dag, params) {
    let defaults = params;
    if (defaults === undefined) {
      defaults = await api
        .grid(dag.dag_id)
        .then((g) => g.params)
        .catch(() => ({}));
    }
    const runId = await openTriggerDialog(dag.dag_id, defaults ?? {});
    if (runId) ctx.notify(`Triggered ${runId}: the next tick creates the run`);
    return runId;
  },
};

let current: View | null = null;

function route(): void {
  current?.dispose();
  const hash = location.hash.replace(/^#/, '');
  const [path = '', search = ''] = hash.split('?', 2);
  const params = new URLSearchParams(search);
  const match = /^\/dags\/(.+?)(?:\/(graph|gantt|code))?$/.exec(path);
  if (match?.[1] !== undefined) {
    const run = params.get('run');
    current = dagPageView(ctx, decodeURIComponent(match[1]), (match[2] ?? 'grid') as DagTab, { runId: run, taskId: run ? params.get('task') : null });
  } else if (path === '/runs') {
    current = runsView(ctx, params);
  } else if (path === '/task-instances') {
    current = taskInstancesView(ctx, params);
  } else {
    current = dagListView(ctx);
  }
  replaceChildren(outlet, current.element);
}

async function refreshHealth(): Promise<void> {
  try {
    const status = await api.health();
    const beat = status.scheduler.latest_scheduler_heartbeat;
    replaceChildren(
      health,
      h('span', { class: `health-dot ${status.scheduler.status === 'healthy' ? 'ok' : 'bad'}` }),
      beat ? `last tick ${formatTime(beat)}` : 'no tick yet',
    );
  } catch {
    replaceChildren(health, h('span', { class: 'health-dot bad' }), 'server unreachable');
  }
}

replaceChildren(
  root,
  h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, 'Airflow Serverless'),
    version,
    h('nav', { class: 'topnav' }, h('a', { href: '#/' }, 'DAGs'), h('a', { href: '#/runs' }, 'Runs'), h('a', { href: '#/task-instances' }, 'Task instances')),
    h('span', { class: 'spacer' }),
    health,
  ),
  outlet,
  toasts,
);
window.addEventListener('hashchange', route);
route();
void refreshHealth();
setInterval(() => void refreshHealth(), 15_000);
void api
  .version()
  .then((v) => replaceChildren(version, `v${v.version}`))
  .catch(() => undefined);
