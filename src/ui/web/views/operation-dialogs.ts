import { api, ApiError, type DagRun, type TaskInstance } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { stateBadge } from './badge.js';
import { showFormDialog } from './form-dialog.js';

/** One row of a confirmation: a task instance and the state it goes to. */
interface PlannedChange {
  ti: TaskInstance;
  to: string | null;
}

interface ConfirmOptions {
  title: string;
  /** Check boxes that change what the request covers; the plan is read again when one flips. */
  options: Array<{ key: string; label: string; checked: boolean }>;
  /** The dry run: exactly what the request would change with these options. */
  plan(options: Record<string, boolean>): Promise<{ changes: PlannedChange[]; note?: string }>;
  /** The request itself; resolves with the message for the toast. */
  confirm(options: Record<string, boolean>): Promise<string>;
  /** Confirm even when no task instance changes (a run's own state still does). */
  allowEmpty?: boolean;
}

const message = (error: unknown): string => (error instanceof ApiError ? error.message : String(error));

/**
 * A confirmation that lists, from the server's dry run, every task instance the action changes and the
 * state it gets; nothing is sent until Confirm. Resolves with the toast message, or null when cancelled.
 */
function openConfirmDialog(options: ConfirmOptions): Promise<string | null> {
  const values: Record<string, boolean> = Object.fromEntries(options.options.map((o) => [o.key, o.checked]));
  const summary = h('p', { class: 'muted', 'data-testid': 'plan-summary' }, 'Checking what would change…');
  const list = h('div', { class: 'plan-list' });
  const problem = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'dialog-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'confirm-submit', disabled: true }, 'Confirm');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  let sequence = 0;

  const load = async (): Promise<void> => {
    const mine = ++sequence;
    submit.disabled = true;
    replaceChildren(problem, '');
    replaceChildren(summary, 'Checking what would change…');
    try {
      const { changes, note } = await options.plan({ ...values });
      if (mine !== sequence) return;
      replaceChildren(
        summary,
        changes.length === 0 ? 'No task instance would change.' : `${changes.length} task instance${changes.length === 1 ? '' : 's'} will change:`,
        note ? h('span', { class: 'plan-note' }, ` ${note}`) : null,
      );
      replaceChildren(
        list,
        changes.length === 0
          ? null
          : h(
              'table',
              { class: 'plan-table', 'data-testid': 'plan' },
              h('thead', null, h('tr', null, h('th', null, 'Task'), h('th', null, 'Run'), h('th', null, 'Now'), h('th', null, 'Becomes'))),
              h(
                'tbody',
                null,
                changes.map(({ ti, to }) =>
                  h(
                    'tr',
                    { 'data-testid': 'plan-row', 'data-task-id': ti.task_id, 'data-run-id': ti.dag_run_id, 'data-to': to ?? 'none' },
                    h('td', null, h('code', null, ti.map_index >= 0 ? `${ti.task_id} [${ti.map_index}]` : ti.task_id)),
                    h('td', null, h('code', { class: 'small' }, ti.dag_run_id)),
                    h('td', null, stateBadge(ti.state)),
                    h('td', null, stateBadge(to)),
                  ),
                ),
              ),
            ),
      );
      submit.disabled = changes.length === 0 && !options.allowEmpty;
    } catch (error) {
      if (mine !== sequence) return;
      replaceChildren(summary, '');
      replaceChildren(list, null);
      replaceChildren(problem, message(error));
    }
  };

  const checkboxes = options.options.map((option) => {
    const box = h('input', { type: 'checkbox', id: `option-${option.key}`, 'data-testid': `option-${option.key}` });
    box.checked = option.checked;
    box.addEventListener('change', () => {
      values[option.key] = box.checked;
      void load();
    });
    return h('label', { class: 'option', for: `option-${option.key}` }, box, ' ', option.label);
  });

  const form = h(
    'form',
    { method: 'dialog', class: 'trigger-form' },
    h('h2', null, options.title),
    checkboxes.length > 0 ? h('div', { class: 'options' }, checkboxes) : null,
    summary,
    list,
    problem,
    h('div', { class: 'dialog-buttons' }, cancel, submit),
  );
  const shown = showFormDialog({ testId: 'confirm-dialog', form, submit, cancel, problem, onClose: () => sequence++, send: () => options.confirm({ ...values }) });
  void load();
  return shown;
}

const tiLabel = (ti: TaskInstance) => (ti.map_index >= 0 ? `${ti.task_id} [${ti.map_index}]` : ti.task_id);

/** Airflow's Clear on a task instance: with downstream (on by default, as Airflow's dialog), upstream, only failed. */
export function clearTaskInstanceDialog(ti: TaskInstance): Promise<string | null> {
  const opts = (v: Record<string, boolean>) => ({ includeDownstream: v.downstream === true, includeUpstream: v.upstream === true, onlyFailed: v.only_failed === true });
  return openConfirmDialog({
    title: `Clear ${tiLabel(ti)}`,
    options: [
      { key: 'downstream', label: 'Downstream', checked: true },
      { key: 'upstream', label: 'Upstream', checked: false },
      { key: 'only_failed', label: 'Only failed', checked: false },
    ],
    plan: async (v) => ({
      changes: (await api.clearTaskInstance(ti, opts(v), true)).task_instances.map((t) => ({ ti: t, to: null })),
      note: 'Cleared instances run again (their run goes back to queued).',
    }),
    confirm: async (v) => {
      const { task_instances: cleared } = await api.clearTaskInstance(ti, opts(v), false);
      return `Clearing ${cleared.length} task instance(s): the next tick applies it`;
    },
  });
}

/** Mark a task instance success or failed (with upstream/downstream); lists the failed downstream it clears. */
export function markTaskInstanceDialog(ti: TaskInstance, state: 'success' | 'failed'): Promise<string | null> {
  const opts = (v: Record<string, boolean>) => ({ includeDownstream: v.downstream === true, includeUpstream: v.upstream === true });
  return openConfirmDialog({
    title: `Mark ${tiLabel(ti)} as ${state}`,
    options: [
      { key: 'downstream', label: 'Downstream', checked: false },
      { key: 'upstream', label: 'Upstream', checked: false },
    ],
    plan: async (v) => {
      const plan = await api.planMarkTaskInstance(ti, state, opts(v));
      return {
        changes: [...plan.task_instances.map((t) => ({ ti: t, to: state })), ...plan.cleared.map((t) => ({ ti: t, to: null }))],
        note: plan.cleared.length > 0 ? 'Failed tasks downstream are cleared, so they run again.' : undefined,
      };
    },
    confirm: async (v) => {
      await api.markTaskInstance(ti, state, opts(v));
      return `Marking ${tiLabel(ti)} ${state}: the next tick applies it`;
    },
  });
}

/** Clear a whole run (optionally only its failed task instances). */
export function clearRunDialog(run: DagRun): Promise<string | null> {
  return openConfirmDialog({
    title: `Clear run ${run.dag_run_id}`,
    options: [{ key: 'only_failed', label: 'Only failed', checked: false }],
    plan: async (v) => ({
      changes: ((await api.clearRun(run, v.only_failed === true, true)).task_instances ?? []).map((t) => ({ ti: t, to: null })),
      note: 'The run goes back to queued and runs them again.',
    }),
    confirm: async (v) => {
      await api.clearRun(run, v.only_failed === true, false);
      return `Clearing run ${run.dag_run_id}: the next tick applies it`;
    },
  });
}

/** Mark a whole run: its unfinished task instances get the state (failed: in-flight ones; the rest skipped). */
export function markRunDialog(run: DagRun, state: 'success' | 'failed'): Promise<string | null> {
  return openConfirmDialog({
    title: `Mark run ${run.dag_run_id} as ${state}`,
    options: [],
    allowEmpty: true,
    plan: async () => {
      const plan = await api.planMarkRun(run, state);
      const inFlight = (t: TaskInstance) => t.state === 'queued' || t.state === 'running';
      return {
        changes: plan.task_instances.map((t) => ({ ti: t, to: state === 'success' ? 'success' : inFlight(t) ? 'failed' : 'skipped' })),
        note: `The run becomes ${state}.`,
      };
    },
    confirm: async () => {
      await api.markRun(run, state);
      return `Marking run ${run.dag_run_id} ${state}: the next tick applies it`;
    },
  });
}
