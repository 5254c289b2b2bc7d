/** Raw DAGs from the parse worker → DagSpecs: the YAML path's defaults and checks, applied once in TypeScript. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import { ManifestError, manifestDefaultsFrom, specsFromRawDags } from '../src/dag/index.js';
import { checkSchedule } from '../src/dag/python-dag.js';
import { rawDag } from './helpers/raw-dag.js';

const defaults = manifestDefaultsFrom(defaultConfig());

function problemsOf(raws: unknown[]): string[] {
  try {
    specsFromRawDags(raws, 'etl.py', defaults);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).problems.map((p) => p.message);
  }
  throw new Error('expected a ManifestError');
}

describe('specsFromRawDags', () => {
  it('applies the config defaults a YAML manifest gets, orders tasks and keeps Python-only fields', () => {
    const [spec] = specsFromRawDags(
      [
        rawDag(
          'etl',
          {
            schedule: { kind: 'cron', expression: '0 0 * * *', preset: '@daily' },
            start_date: '2024-01-01T00:00:00Z',
            params: { n: 1 },
            params_schema: { n: { type: 'integer' } },
            warnings: ["task 'load': pool='etl' is accepted and ignored (no pools in airflow-serverless)"],
            task_groups: [{ group_id: 'g', parent_group_id: null, tooltip: null }],
          },
          [
            { task_id: 'g.load', upstream: ['extract'], task_group_id: 'g', retries: 2, trigger_rule: 'none_failed_or_skipped' },
            { task_id: 'extract', operator: 'empty', operator_class: 'airflow.providers.standard.operators.empty.EmptyOperator', args: {} },
            { task_id: 'cleanup', upstream: ['g.load'], is_teardown: true, trigger_rule: 'all_done_setup_success' },
          ],
        ),
      ],
      'etl.py',
      { ...defaults, retries: 3, catchup: true },
      ['file warning'],
    );
    expect(spec).toMatchObject({
      dag_id: 'etl',
      fileloc: 'etl.py',
      catchup: true,
      max_active_runs: 16,
      is_paused_upon_creation: false,
      schedule: { kind: 'cron', expression: '0 0 * * *', preset: '@daily' },
      params_schema: { n: { type: 'integer' } },
      warnings: ["task 'load': pool='etl' is accepted and ignored (no pools in airflow-serverless)", 'file warning'],
      owners: ['airflow'],
    });
    expect(spec!.tasks.map((t) => t.task_id)).toEqual(['extract', 'g.load', 'cleanup']);
    expect(spec!.tasks[1]).toMatchObject({ retries: 2, retry_delay: 300, trigger_rule: 'none_failed_min_one_success', upstream: ['extract'], operator: 'python_file', args: { kind: 'task' } });
    expect(spec!.tasks[0]).toMatchObject({ retries: 3, operator: 'empty', args: {} });
    expect(spec!.tasks[2]).toMatchObject({ is_teardown: true, trigger_rule: 'all_done_setup_success' });
    expect(spec!.tasks[0]).not.toHaveProperty('is_setup');
  });

  it('leaves params_schema and warnings out when there are none, so the stored form matches YAML DAGs', () => {
    const [spec] = specsFromRawDags([rawDag('plain')], 'plain.py', defaults);
    expect(spec).not.toHaveProperty('params_schema');
    expect(spec).not.toHaveProperty('warnings');
  });

  it('refuses what a YAML manifest would refuse, every problem at once', () => {
    const problems = problemsOf([
      rawDag('bad id!', {}, [{ task_id: 'a' }]),
      rawDag('cyclic', {}, [
        { task_id: 'a', upstream: ['b'] },
        { task_id: 'b', upstream: ['a'] },
      ]),
      rawDag('unknown', { timezone: 'Mars/Base' }, [{ task_id: 'a', trigger_rule: 'sometimes' }]),
      rawDag('ghostly', {}, [{ task_id: 'a', upstream: ['ghost'] }]),
      rawDag('sched', { schedule: { kind: 'cron', expression: '61 * * * *', preset: null } }),
    ]);
    expect(problems).toEqual([
      "dag_id 'bad id!' may contain only letters, digits, '_', '.' and '-'",
      "dag 'cyclic': cycle: a -> b -> a",
      "dag 'unknown': timezone: unknown timezone 'Mars/Base'; allowed: an IANA zone name such as UTC or Europe/Amsterdam",
      expect.stringMatching(/^dag 'unknown': task 'a': trigger_rule: unknown trigger rule 'sometimes'/),
      "dag 'ghostly': task 'a': unknown upstream task 'ghost'",
      expect.stringMatching(/^dag 'sched': schedule: invalid cron expression '61 \* \* \* \*'/),
    ]);
  });

  it("checks the worker's ids with YAML's rule too: Unicode words pass, '.' and '..' never do", () => {
    const [spec] = specsFromRawDags([rawDag('données_quotidiennes', {}, [{ task_id: 'étape_1' }])], 'etl.py', defaults);
    expect(spec?.dag_id).toBe('données_quotidiennes');
    expect(spec?.tasks.map((t) => t.task_id)).toEqual(['étape_1']);
    // What a worker (or a DAG file that bypasses the package's own check) sends is refused here anyway.
    expect(problemsOf([rawDag('..', {}, [{ task_id: 'a' }]), rawDag('d', {}, [{ task_id: '..' }, { task_id: '.' }])])).toEqual([
      "dag_id '..' is not usable: '.' and '..' name folders; add a letter or digit",
      "dag 'd': task_id '..' is not usable: '.' and '..' name folders; add a letter or digit",
      "dag 'd': task_id '.' is not usable: '.' and '..' name folders; add a letter or digit",
    ]);
  });

  it('refuses duplicate DAG ids in one file and more than MAX_TASKS tasks', () => {
    expect(problemsOf([rawDag('twice'), rawDag('twice')])).toEqual(["dag 'twice' is defined twice in this file"]);
    const many = Array.from({ length: 10_001 }, (_, i) => ({ task_id: `t${i}` }));
    expect(problemsOf([rawDag('huge', {}, many)])).toEqual(["dag 'huge': 10001 tasks; the limit is MAX_TASKS = 10000 per DAG"]);
  });

  it('names malformed worker output by field', () => {
    expect(problemsOf([rawDag('x', { max_active_runs: 0 }), rawDag('y', {}, [{ task_id: 'a', retries: -1 }])])).toEqual([
      "dag 'x': max_active_runs: must be >= 1, got 0",
      "dag 'y': task 'a': retries: must be >= 0, got -1",
    ]);
  });
});

describe('checkSchedule', () => {
  it('keeps timetable families and their arguments', () => {
    expect(checkSchedule({ kind: 'cron', expression: '0 6 * * *', preset: null, timetable: 'trigger', timezone: 'Europe/Amsterdam', interval_seconds: 3600, run_immediately: 600 })).toEqual({
      ok: true,
      schedule: { kind: 'cron', expression: '0 6 * * *', preset: null, timetable: 'trigger', timezone: 'Europe/Amsterdam', interval_seconds: 3600, run_immediately: 600 },
    });
    expect(checkSchedule({ kind: 'multi_cron', expressions: ['0 1 * * *', '30 2 * * 1'], timezone: null })).toEqual({ ok: true, schedule: { kind: 'multi_cron', expressions: ['0 1 * * *', '30 2 * * 1'] } });
    expect(checkSchedule({ kind: 'delta', seconds: 3600, timetable: 'data_interval' })).toEqual({ ok: true, schedule: { kind: 'delta', seconds: 3600, timetable: 'data_interval' } });
    expect(checkSchedule(null)).toEqual({ ok: true, schedule: { kind: 'none' } });
  });

  it('refuses unknown kinds, bad expressions and bad arguments', () => {
    expect(checkSchedule({ kind: 'continuous' })).toMatchObject({ ok: false, problem: expect.stringContaining('unknown schedule kind "continuous"') });
    expect(checkSchedule({ kind: 'multi_cron', expressions: ['0 1 * * *', 'nope'] })).toMatchObject({ ok: false });
    expect(checkSchedule({ kind: 'delta', seconds: 0 })).toMatchObject({ ok: false });
    expect(checkSchedule({ kind: 'cron', expression: '0 0 * * *', timetable: 'weekly' })).toMatchObject({ ok: false, problem: expect.stringContaining('timetable') });
  });
});
