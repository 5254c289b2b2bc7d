import { api, ApiError, type BackfillRequest } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { showFormDialog } from './form-dialog.js';
import { confProblem } from './trigger-dialog.js';

const BEHAVIORS: Array<[BackfillRequest['reprocess_behavior'], string]> = [
  ['none', 'Missing runs only'],
  ['failed', 'Missing and failed runs'],
  ['completed', 'All runs (missing, failed and completed)'],
];

/** A UTC day from a date input as the instant Airflow's backfill compares with (start or end of day). */
const dayStart = (day: string) => `${day}T00:00:00Z`;

/**
 * Airflow 3's backfill dialog: a date range, which existing runs to reprocess, how many runs at once,
 * newest first or not, and conf for every run. The dates that would get a run come from the server's dry
 * run as the fields change; Run creates the backfill (the tick creates its runs).
 */
export function openBackfillDialog(dagId: string, params: Record<string, unknown>): Promise<string | null> {
  const from = h('input', { id: 'backfill-from', type: 'date', required: true, 'data-testid': 'backfill-from' });
  const to = h('input', { id: 'backfill-to', type: 'date', required: true, 'data-testid': 'backfill-to' });
  const behavior = h(
    'select',
    { id: 'backfill-reprocess', 'data-testid': 'backfill-reprocess' },
    BEHAVIORS.map(([value, label]) => h('option', { value }, label)),
  );
  const maxActive = h('input', { id: 'backfill-max-active', type: 'number', min: '1', value: '10', 'data-testid': 'backfill-max-active' });
  const backwards = h('input', { id: 'backfill-backwards', type: 'checkbox', 'data-testid': 'backfill-backwards' });
  const conf = h('textarea', { id: 'backfill-conf', rows: 4, spellcheck: 'false', 'data-testid': 'backfill-conf' });
  conf.value = JSON.stringify(params, null, 2);
  const preview = h('div', { class: 'plan-list', 'data-testid': 'backfill-preview' });
  const problem = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'backfill-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'backfill-submit', disabled: true }, 'Run backfill');
  const cancel = h('button', { type: 'button' }, 'Cancel');

  const request = (): BackfillRequest | string => {
    if (!from.value || !to.value) return 'Pick the first and the last logical date.';
    const confText = conf.value.trim();
    const confIssue = confProblem(confText);
    if (confIssue) return confIssue;
    const max = Number(maxActive.value);
    if (!Number.isInteger(max) || max < 1) return 'Max active runs must be a whole number of at least 1.';
    return {
      dag_id: dagId,
      from_date: dayStart(from.value),
      to_date: dayStart(to.value),
      reprocess_behavior: behavior.value as BackfillRequest['reprocess_behavior'],
      max_active_runs: max,
      run_backwards: backwards.checked,
      dag_run_conf: confText === '' ? {} : (JSON.parse(confText) as Record<string, unknown>),
    };
  };

  let sequence = 0;
  const refresh = async (): Promise<void> => {
    const mine = ++sequence;
    submit.disabled = true;
    const built = request();
    if (typeof built === 'string') {
      replaceChildren(preview, null);
      replaceChildren(problem, from.value && to.value ? built : '');
      return;
    }
    replaceChildren(problem, '');
    replaceChildren(preview, h('p', { class: 'muted' }, 'Checking which dates would run…'));
    try {
      const { backfills, total_entries: total } = await api.backfillDryRun(built);
      if (mine !== sequence) return;
      replaceChildren(
        preview,
        h('p', { 'data-testid': 'backfill-count' }, total === 0 ? 'No date in this range would get a run.' : `${total} run${total === 1 ? '' : 's'} will be created or rerun:`),
        total === 0
          ? null
          : h(
              'ul',
              { class: 'plan-dates' },
              backfills.map((b) => h('li', { 'data-testid': 'backfill-date' }, formatTime(b.logical_date))),
            ),
      );
      submit.disabled = total === 0;
    } catch (error) {
      if (mine !== sequence) return;
      replaceChildren(preview, null);
      replaceChildren(problem, error instanceof ApiError ? error.message : String(error));
    }
  };
  for (const input of [from, to, behavior, maxActive, backwards, conf]) input.addEventListener('change', () => void refresh());
  conf.addEventListener('input', () => void refresh());

  const form = h(
    'form',
    { method: 'dialog', class: 'trigger-form' },
    h('h2', null, 'Backfill ', h('code', null, dagId)),
    h('div', { class: 'date-range' }, h('label', { for: 'backfill-from' }, 'From (UTC day)', from), h('label', { for: 'backfill-to' }, 'To (UTC day)', to)),
    h('label', { for: 'backfill-reprocess' }, 'Reprocess behaviour'),
    behavior,
    h('label', { for: 'backfill-max-active' }, 'Max active runs'),
    maxActive,
    h('label', { class: 'option', for: 'backfill-backwards' }, backwards, ' Run backwards (newest first)'),
    h('label', { for: 'backfill-conf' }, 'Conf for every run (JSON object)'),
    conf,
    preview,
    problem,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  const shown = showFormDialog({
    testId: 'backfill-dialog',
    form,
    submit,
    cancel,
    problem,
    onClose: () => sequence++,
    send: () => {
      const built = request();
      return typeof built === 'string' ? null : api.createBackfill(built).then((backfill) => `Backfill ${backfill.id} created`);
    },
  });
  from.focus();
  return shown;
}
