import { api, ApiError, type DagRun, type TaskInstance } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatJson, formatTime } from '../format.js';
import { stateBadge } from './badge.js';
import { clearRunDialog, clearTaskInstanceDialog, markRunDialog, markTaskInstanceDialog } from './operation-dialogs.js';

function details(rows: Array<[string, string | Node]>): HTMLElement {
  return h(
    'dl',
    { class: 'details' },
    rows.map(([label, value]) => [h('dt', null, label), h('dd', null, value)]),
  );
}

/** A dialog's outcome: the toast message, or null when the user cancelled. */
type Action = () => Promise<string | null>;

function actionBar(onDone: (message: string) => void, actions: Array<[string, string, Action]>): HTMLElement {
  return h(
    'div',
    { class: 'actions', 'data-testid': 'actions' },
    actions.map(([label, testId, open]) =>
      h('button', { type: 'button', 'data-testid': testId, on: { click: () => void open().then((message) => message && onDone(message)) } }, label),
    ),
  );
}

/**
 * The side panel: a run's details, or a task instance's details with the log of each try and its XComs,
 * and their actions (clear, mark success, mark failed), each confirmed from the server's dry run. Logs
 * refresh while the try is running.
 */
export class TaskPanel {
  readonly element = h('aside', { class: 'panel', 'data-testid': 'task-panel' });
  private current: { ti: TaskInstance; tryNumber: number } | null = null;
  private readonly log = h('pre', { class: 'log', 'data-testid': 'log' });
  private readonly xcoms = h('div', { class: 'xcoms', 'data-testid': 'xcoms' });
  private readonly tries = h('div', { class: 'tabs small-tabs' });

  /** `onDone` gets the toast message after an action was requested (the page refreshes then). */
  constructor(private readonly onDone: (message: string) => void = () => {}) {
    this.clear();
  }

  clear(): void {
    this.current = null;
    replaceChildren(this.element, h('p', { class: 'muted' }, 'Select a run or a task instance to see its details and log.'));
  }

  showRun(run: DagRun & { pending?: boolean }): void {
    this.current = null;
    replaceChildren(
      this.element,
      h('h2', null, 'Run ', h('code', null, run.dag_run_id)),
      run.pending
        ? null
        : actionBar(this.onDone, [
            ['Clear run', 'clear-run', () => clearRunDialog(run)],
            ['Mark success', 'mark-run-success', () => markRunDialog(run, 'success')],
            ['Mark failed', 'mark-run-failed', () => markRunDialog(run, 'failed')],
          ]),
      details([
        ['State', stateBadge(run.state)],
        ['Run type', run.run_type],
        ['Triggered by', run.triggered_by ?? '—'],
        ['Logical date', formatTime(run.logical_date)],
        ['Run after', formatTime(run.run_after)],
        ['Started', formatTime(run.start_date)],
        ['Ended', formatTime(run.end_date)],
        ['Duration', formatDuration(run.duration)],
        ['Note', run.note ?? '—'],
      ]),
      run.pending ? h('p', { class: 'muted' }, 'Triggered: the next tick creates this run.') : null,
      h('h3', null, 'Conf'),
      h('pre', { class: 'json' }, formatJson(run.conf ?? {})),
    );
  }

  /** Shows a task instance; called again on every refresh with its newest row. */
  showTaskInstance(ti: TaskInstance): void {
    const same = this.current?.ti.id === ti.id;
    const changed = !same || this.current?.ti.state !== ti.state || this.current?.ti.try_number !== ti.try_number;
    const tryNumber = same && this.current ? Math.min(this.current.tryNumber, Math.max(ti.try_number, 1)) : Math.max(ti.try_number, 1);
    const followLatest = !same || this.current?.tryNumber === this.current?.ti.try_number;
    this.current = { ti, tryNumber: followLatest ? Math.max(ti.try_number, 1) : tryNumber };
    if (!same) {
      replaceChildren(
        this.element,
        h('h2', null, h('code', null, ti.task_id)),
        h('div', { class: 'muted small' }, ti.dag_run_id),
        h('div', { class: 'ti-actions' }),
        h('div', { class: 'ti-details' }),
        h('h3', null, 'Log'),
        this.tries,
        this.log,
        h('h3', null, 'XCom'),
        this.xcoms,
      );
    }
    const actionsSlot = this.element.querySelector('.ti-actions');
    if (actionsSlot) {
      replaceChildren(
        actionsSlot,
        actionBar(this.onDone, [
          ['Clear', 'clear-ti', () => clearTaskInstanceDialog(ti)],
          ['Mark success', 'mark-ti-success', () => markTaskInstanceDialog(ti, 'success')],
          ['Mark failed', 'mark-ti-failed', () => markTaskInstanceDialog(ti, 'failed')],
        ]),
      );
    }
    const detailsSlot = this.element.querySelector('.ti-details');
    if (detailsSlot) {
      replaceChildren(
        detailsSlot,
        details([
          ['State', stateBadge(ti.state)],
          ['Try', `${ti.try_number} of ${ti.max_tries + 1}`],
          ['Operator', ti.operator ?? '—'],
          ['Started', formatTime(ti.start_date)],
          ['Ended', formatTime(ti.end_date)],
          ['Duration', formatDuration(ti.duration)],
          ['Host', ti.hostname ?? '—'],
        ]),
      );
    }
    if (changed || ti.state === 'running') {
      this.renderTries();
      void this.loadLog();
      if (changed) void this.loadXComs();
    }
  }

  private renderTries(): void {
    const current = this.current;
    if (!current) return;
    const count = Math.max(current.ti.try_number, 1);
    replaceChildren(
      this.tries,
      Array.from({ length: count }, (_, i) => i + 1).map((n) =>
        h(
          'button',
          {
            class: `tab${n === current.tryNumber ? ' active' : ''}`,
            'data-testid': 'try-tab',
            on: {
              click: () => {
                current.tryNumber = n;
                this.renderTries();
                void this.loadLog();
              },
            },
          },
          `Try ${n}`,
        ),
      ),
    );
  }

  private async loadLog(): Promise<void> {
    const current = this.current;
    if (!current) return;
    try {
      const { content } = await api.log(current.ti, current.tryNumber);
      if (this.current !== current) return;
      replaceChildren(
        this.log,
        content.length === 0
          ? h('span', { class: 'muted' }, '(empty log)')
          : content.map((line) =>
              h(
                'div',
                { class: `log-line${/\b(ERROR|CRITICAL|Traceback)\b/.test(line.event) ? ' log-error' : ''}` },
                line.timestamp ? h('span', { class: 'log-time' }, formatTime(line.timestamp).replace(' UTC', '')) : null,
                line.event,
              ),
            ),
      );
    } catch (error) {
      replaceChildren(this.log, h('span', { class: 'error' }, error instanceof ApiError ? error.message : String(error)));
    }
  }

  private async loadXComs(): Promise<void> {
    const current = this.current;
    if (!current) return;
    try {
      const { xcom_entries: entries } = await api.xcoms(current.ti);
      const values = await Promise.all(entries.map((entry) => api.xcom(current.ti, entry.key)));
      if (this.current !== current) return;
      replaceChildren(
        this.xcoms,
        values.length === 0
          ? h('p', { class: 'muted' }, 'No XComs.')
          : h(
              'table',
              { class: 'xcom-table' },
              h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'))),
              h(
                'tbody',
                null,
                values.map((entry) =>
                  h('tr', null, h('td', null, h('code', null, entry.key)), h('td', null, h('pre', { class: 'json' }, formatJson(entry.value)))),
                ),
              ),
            ),
      );
    } catch (error) {
      replaceChildren(this.xcoms, h('span', { class: 'error' }, error instanceof ApiError ? error.message : String(error)));
    }
  }
}
