/**
 * Airflow's state colours (its `STATE_COLORS` defaults), so a grid reads the same as in Airflow. The
 * colours themselves live in style.css as `.state-<name>` classes: the page's CSP forbids inline styles.
 */
export const STATE_COLORS: Readonly<Record<string, string>> = {
  success: 'green',
  failed: 'red',
  running: 'lime',
  queued: 'gray',
  scheduled: 'tan',
  up_for_retry: 'gold',
  up_for_reschedule: 'turquoise',
  upstream_failed: 'orange',
  skipped: 'hotpink',
  removed: 'lightgrey',
  restarting: 'violet',
  deferred: 'mediumpurple',
};

/** `state-success`…, or `state-none` for no state yet (and anything unknown: server text never becomes a class name). */
export function stateClass(state: string | null | undefined): string {
  return state && Object.hasOwn(STATE_COLORS, state) ? `state-${state}` : 'state-none';
}

export const ACTIVE_RUN_STATES: ReadonlySet<string> = new Set(['queued', 'running']);
