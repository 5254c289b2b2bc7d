import type { ImportError } from '../api.js';
import { h } from '../dom.js';
import { formatTime } from '../format.js';

/** The banner above the DAG list: files that failed to parse, with their errors on demand. */
export function importErrorsBanner(errors: ImportError[], total: number): HTMLElement | null {
  if (total === 0) return null;
  return h(
    'details',
    { class: 'banner banner-error', 'data-testid': 'import-errors' },
    h('summary', null, `${total} DAG import error${total === 1 ? '' : 's'}`),
    errors.map((error) =>
      h(
        'div',
        { class: 'import-error' },
        h('div', { class: 'import-error-file' }, h('strong', null, error.filename), ' ', h('span', { class: 'muted' }, formatTime(error.timestamp))),
        h('pre', { class: 'stack' }, error.stack_trace),
      ),
    ),
  );
}
