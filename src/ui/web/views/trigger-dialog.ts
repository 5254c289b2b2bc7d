import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { showFormDialog } from './form-dialog.js';

/** Conf must be a JSON object (Airflow's `conf` is a dict); returns the problem, or null when fine. */
export function confProblem(text: string): string | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `Invalid JSON: ${(error as Error).message}`;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? null : 'Conf must be a JSON object, like {"key": "value"}';
}

/** Empty, or an instant with a zone (`2024-01-01T00:00:00Z`); the server insists on the zone, as Airflow does. */
export function logicalDateProblem(text: string): string | null {
  const value = text.trim();
  if (value === '') return null;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value) || Number.isNaN(Date.parse(value))) {
    return 'Logical date must be an ISO-8601 instant with a zone, e.g. 2024-01-01T00:00:00Z';
  }
  return null;
}

/**
 * The trigger dialog: optional run id and logical date, JSON conf (pre-filled with the DAG's params, as
 * Airflow does) checked as you type; the server's answer (409, 422…) shows in the dialog.
 */
export function openTriggerDialog(dagId: string, params: Record<string, unknown>): Promise<string | null> {
  const conf = h('textarea', { id: 'trigger-conf', rows: 10, spellcheck: 'false', 'data-testid': 'trigger-conf' });
  conf.value = JSON.stringify(params, null, 2);
  const logicalDate = h('input', { id: 'trigger-logical-date', type: 'text', placeholder: 'empty: no logical date', 'data-testid': 'trigger-logical-date' });
  // Pre-filled with now, as Airflow 3's trigger form is (so templates using `ds` work); emptied, the run
  // gets no logical date, as the API does for an explicit null.
  logicalDate.value = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const runId = h('input', { id: 'trigger-run-id', type: 'text', placeholder: 'generated: manual__<time>' });
  const note = h('input', { id: 'trigger-note', type: 'text' });
  const problem = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'trigger-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'trigger-submit' }, 'Trigger');
  const cancel = h('button', { type: 'button' }, 'Cancel');

  const validate = (): boolean => {
    const message = confProblem(conf.value) ?? logicalDateProblem(logicalDate.value);
    replaceChildren(problem, message ?? '');
    submit.disabled = message !== null;
    conf.setAttribute('aria-invalid', String(confProblem(conf.value) !== null));
    return message === null;
  };
  conf.addEventListener('input', validate);
  logicalDate.addEventListener('input', validate);

  const form = h(
    'form',
    { method: 'dialog', class: 'trigger-form' },
    h('h2', null, 'Trigger ', h('code', null, dagId)),
    h('label', { for: 'trigger-conf' }, 'Conf (JSON object)'),
    conf,
    h('label', { for: 'trigger-logical-date' }, 'Logical date (UTC; empty for none)'),
    logicalDate,
    h('label', { for: 'trigger-run-id' }, 'Run id (optional)'),
    runId,
    h('label', { for: 'trigger-note' }, 'Note (optional)'),
    note,
    problem,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  const shown = showFormDialog({
    testId: 'trigger-dialog',
    form,
    submit,
    cancel,
    problem,
    send: () => {
      if (!validate()) return null;
      const text = conf.value.trim();
      return api
        .trigger(dagId, {
          conf: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
          logical_date: logicalDate.value.trim() === '' ? null : logicalDate.value.trim(),
          ...(runId.value.trim() ? { dag_run_id: runId.value.trim() } : {}),
          ...(note.value.trim() ? { note: note.value.trim() } : {}),
        })
        .then((run) => run.dag_run_id);
    },
  });
  validate();
  conf.focus();
  return shown;
}
