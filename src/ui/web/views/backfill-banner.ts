import { api, ApiError, type Backfill } from '../api.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';

/**
 * The DAG's running backfill (Airflow allows one per DAG), as Airflow 3's banner shows it: its range and
 * state, with Pause / Unpause and Cancel (each a `backfill_*` command; the page refreshes after).
 */
export function backfillBanner(backfills: readonly Backfill[], notify: (message: string, kind?: 'info' | 'error') => void, refresh: () => void): HTMLElement | null {
  const active = backfills.find((b) => b.completed_at === null);
  if (!active) return null;
  const change = (what: 'pause' | 'unpause' | 'cancel', done: string) => () =>
    void api
      .changeBackfill(active.id, what)
      .then(() => {
        notify(done);
        refresh();
      })
      .catch((error: unknown) => notify(error instanceof ApiError ? error.message : String(error), 'error'));
  return h(
    'div',
    { class: 'banner banner-info', 'data-testid': 'backfill-banner', 'data-backfill-id': String(active.id), 'data-paused': String(active.is_paused) },
    h('strong', null, `Backfill ${active.id}`),
    ` ${active.is_paused ? 'paused' : 'running'}: ${formatTime(active.from_date)} → ${formatTime(active.to_date)}, reprocess ${active.reprocess_behavior}, at most ${active.max_active_runs} runs at once `,
    active.is_paused
      ? h('button', { 'data-testid': 'backfill-unpause', on: { click: change('unpause', `Unpausing backfill ${active.id}`) } }, 'Unpause')
      : h('button', { 'data-testid': 'backfill-pause', on: { click: change('pause', `Pausing backfill ${active.id}`) } }, 'Pause'),
    ' ',
    h('button', { 'data-testid': 'backfill-cancel', on: { click: change('cancel', `Cancelling backfill ${active.id}`) } }, 'Cancel'),
  );
}
