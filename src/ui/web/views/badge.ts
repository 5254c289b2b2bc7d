import { h } from '../dom.js';
import { stateClass } from '../states.js';

/** A state as a coloured pill (`no status` for none), as the panel, the lists and the confirmations show it. */
export function stateBadge(state: string | null): HTMLElement {
  return h('span', { class: `badge ${stateClass(state)}`, 'data-testid': 'state-badge' }, state ?? 'no status');
}
