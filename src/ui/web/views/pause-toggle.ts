import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import type { AppContext } from './context.js';

/**
 * Airflow's on/off switch: on = active (unpaused). The change is a command the next tick applies; the
 * server already answers with the new value, so the switch stays where the user put it.
 */
export function pauseToggle(ctx: AppContext, dag: { dag_id: string; is_paused: boolean }, onChange: () => void): HTMLElement {
  const input = h('input', {
    type: 'checkbox',
    role: 'switch',
    class: 'switch',
    'data-testid': 'pause-toggle',
    'aria-label': `${dag.is_paused ? 'Unpause' : 'Pause'} DAG ${dag.dag_id}`,
    title: dag.is_paused ? 'Paused: click to unpause' : 'Active: click to pause',
  });
  input.checked = !dag.is_paused;
  input.addEventListener('change', () => {
    const pause = !input.checked;
    input.disabled = true;
    api
      .setPaused(dag.dag_id, pause)
      .then((updated) => {
        input.checked = !updated.is_paused;
        ctx.notify(`${pause ? 'Paused' : 'Unpaused'} ${dag.dag_id} (applied by the next tick)`);
        onChange();
      })
      .catch((error: unknown) => {
        input.checked = pause;
        ctx.notify(error instanceof ApiError ? error.message : String(error), 'error');
      })
      .finally(() => {
        input.disabled = false;
      });
  });
  return h('label', { class: 'switch-label' }, input);
}
