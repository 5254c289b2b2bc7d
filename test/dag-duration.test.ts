import { describe, expect, it } from 'vitest';
import { DurationError, normaliseSchedule, parseDuration, parseManifest, SCHEDULE_PRESETS, tryParseDuration } from '../src/dag/index.js';
import type { ScheduleSpec } from '../src/dag/index.js';

describe('parseDuration', () => {
  it.each<[unknown, number]>([
    [0, 0],
    [300, 300],
    [300.5, 300.5],
    ['300', 300],
    ['300.0', 300],
    ['30s', 30],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86_400],
    ['1w', 604_800],
    ['1h30m', 5400],
    ['1h 30m 15s', 5415],
    ['2 days', 172_800],
    ['90 minutes', 5400],
    ['1 hour', 3600],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['1:30:00', 5400],
    [{ __type__: 'datetime.timedelta', seconds: 30 }, 30],
    [{ __type__: 'datetime.timedelta', days: 1, hours: 2, minutes: 3, seconds: 4 }, 93_784],
    [{ __type__: 'datetime.timedelta', weeks: 1, milliseconds: 500 }, 604_800.5],
    [{ __type__: 'datetime.timedelta' }, 0],
  ])('%j is %d seconds', (value, seconds) => {
    expect(parseDuration(value, 'x')).toBe(seconds);
  });

  it.each<[unknown, RegExp]>([
    ['soon', /'soon' is not a duration; allowed: `30s`, `5m`/],
    ['5 fortnights', /unknown unit 'fortnights'/],
    ['5m garbage', /is not a duration/],
    ['', /is not a duration/],
    [-5, /non-negative/],
    [true, /expected a duration .*got boolean/],
    [[1], /got list/],
    [{ seconds: 3 }, /unsupported mapping without __type__/],
    [{ __type__: 'dateutil.relativedelta.relativedelta', months: 1 }, /unsupported __type__ 'dateutil.relativedelta.relativedelta'/],
    [{ __type__: 'datetime.timedelta', secs: 3 }, /unknown timedelta field 'secs'; allowed: weeks, days, hours/],
    [{ __type__: 'datetime.timedelta', seconds: 'x' }, /must be a number, got string/],
    [{ __type__: 'datetime.timedelta', seconds: -3 }, /must not be negative/],
  ])('%j is rejected', (value, message) => {
    expect(tryParseDuration(value)).toMatchObject({ ok: false, problem: expect.stringMatching(message) });
    expect(() => parseDuration(value, 'retry_delay')).toThrow(DurationError);
    expect(() => parseDuration(value, 'retry_delay')).toThrow(/^retry_delay: /);
  });

  it('reads every form in a manifest (retry_delay, execution_timeout, dagrun_timeout)', () => {
    const text = [
      'd:',
      '  dagrun_timeout: 1h30m',
      '  tasks:',
      '    a: {operator: EmptyOperator, retry_delay: 30s, execution_timeout: {__type__: datetime.timedelta, minutes: 5}}',
      '    b: {operator: EmptyOperator, retry_delay: 45, execution_timeout: "2h", max_retry_delay: 1d}',
      '    c: {operator: EmptyOperator, retry_delay_sec: 120, execution_timeout: null}',
    ].join('\n');
    const [dag] = parseManifest(text, 'x.yml', { catchup: false, max_active_runs: 1, max_active_tasks: 1, retries: 0, is_paused_upon_creation: false });
    expect(dag!.dagrun_timeout).toBe(5400);
    expect(dag!.tasks.map((t) => [t.task_id, t.retry_delay, t.execution_timeout, t.max_retry_delay])).toEqual([
      ['a', 30, 300, null],
      ['b', 45, 7200, 86_400],
      ['c', 120, null, null],
    ]);
  });
});

describe('schedule normalisation', () => {
  it.each<[unknown, ScheduleSpec]>([
    ['0 3 * * *', { kind: 'cron', expression: '0 3 * * *', preset: null }],
    ['  */15   *  * * 1-5 ', { kind: 'cron', expression: '*/15 * * * 1-5', preset: null }],
    ['0 0 L * *', { kind: 'cron', expression: '0 0 L * *', preset: null }],
    ['@hourly', { kind: 'cron', expression: '0 * * * *', preset: '@hourly' }],
    ['@daily', { kind: 'cron', expression: '0 0 * * *', preset: '@daily' }],
    ['@midnight', { kind: 'cron', expression: '0 0 * * *', preset: '@midnight' }],
    ['@weekly', { kind: 'cron', expression: '0 0 * * 0', preset: '@weekly' }],
    ['@monthly', { kind: 'cron', expression: '0 0 1 * *', preset: '@monthly' }],
    ['@quarterly', { kind: 'cron', expression: '0 0 1 */3 *', preset: '@quarterly' }],
    ['@yearly', { kind: 'cron', expression: '0 0 1 1 *', preset: '@yearly' }],
    ['@annually', { kind: 'cron', expression: '0 0 1 1 *', preset: '@annually' }],
    ['@once', { kind: 'once' }],
    [null, { kind: 'none' }],
    [undefined, { kind: 'none' }],
    ['None', { kind: 'none' }],
    ['30m', { kind: 'delta', seconds: 1800 }],
    ['1h30m', { kind: 'delta', seconds: 5400 }],
    [{ __type__: 'datetime.timedelta', hours: 6 }, { kind: 'delta', seconds: 21_600 }],
  ])('%j → %j', (value, expected) => {
    expect(normaliseSchedule(value)).toEqual({ ok: true, schedule: expected });
  });

  it('covers every preset', () => {
    expect(Object.keys(SCHEDULE_PRESETS).sort()).toEqual(['@annually', '@daily', '@hourly', '@midnight', '@monthly', '@quarterly', '@weekly', '@yearly']);
  });

  it.each<[unknown, RegExp]>([
    ['@continuous', /@continuous is not supported/],
    ['@every5m', /unknown preset/],
    ['0 0 * *', /has 4 fields; a cron expression has 5/],
    ['0 0 * * * *', /has 6 fields/],
    ['0 25 * * *', /invalid cron expression '0 25 \* \* \*'/],
    ['0m', /longer than 0 seconds/],
    [{ __type__: 'datetime.timedelta', seconds: 0 }, /longer than 0 seconds/],
    [{ __type__: 'airflow.timetables.trigger.CronTriggerTimetable' }, /unsupported __type__/],
    [3600, /got integer/],
    [['@daily'], /got list/],
  ])('%j is rejected', (value, message) => {
    expect(normaliseSchedule(value)).toEqual({ ok: false, problem: expect.stringMatching(message) });
  });

  it('absent schedule in a manifest means none (Airflow 3)', () => {
    const [dag] = parseManifest('d: {}\n', 'x.yml', { catchup: false, max_active_runs: 1, max_active_tasks: 1, retries: 0, is_paused_upon_creation: false });
    expect(dag!.schedule).toEqual({ kind: 'none' });
  });
});
