/**
 * Timetable objects from Python DAG files, as Airflow 3 computes them: a named family overrides the config,
 * a timetable's own zone, `interval` (data interval before the fire time), `run_immediately`,
 * MultipleCronTriggerTimetable, DeltaTriggerTimetable with interval, and fire times years apart.
 */
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../src/dag/model.js';
import type { DagRunInfo, NextDagrunArgs } from '../src/timetable/index.js';
import { CronDataIntervalTimetable, CronTriggerTimetable, DeltaTriggerTimetable, MultipleCronTriggerTimetable, timetableFor } from '../src/timetable/index.js';

const airflow3 = { create_cron_data_intervals: false, create_delta_data_intervals: false };
const airflow2 = { create_cron_data_intervals: true, create_delta_data_intervals: true };

function args(now: string, options: { earliest?: string; last?: [string, string]; catchup?: boolean; latest?: string } = {}): NextDagrunArgs {
  return {
    now: new Date(now),
    lastAutomatedDataInterval: options.last ? { start: new Date(options.last[0]), end: new Date(options.last[1]) } : null,
    restriction: { earliest: options.earliest ? new Date(options.earliest) : null, latest: options.latest ? new Date(options.latest) : null, catchup: options.catchup ?? false },
  };
}

function iso(info: DagRunInfo | null): { logical: string; start: string; end: string; after: string } | null {
  if (!info) return null;
  return { logical: info.logical_date.toISOString(), start: info.data_interval.start.toISOString(), end: info.data_interval.end.toISOString(), after: info.run_after.toISOString() };
}

describe('the family a timetable object names wins over the config', () => {
  it('CronTriggerTimetable stays a trigger timetable under create_cron_data_intervals, and vice versa', () => {
    expect(timetableFor({ kind: 'cron', expression: '0 0 * * *', preset: null, timetable: 'trigger' }, 'UTC', airflow2)).toBeInstanceOf(CronTriggerTimetable);
    expect(timetableFor({ kind: 'cron', expression: '0 0 * * *', preset: null, timetable: 'data_interval' }, 'UTC', airflow3)).toBeInstanceOf(CronDataIntervalTimetable);
    expect(timetableFor({ kind: 'delta', seconds: 60, timetable: 'trigger' }, 'UTC', airflow2)).toBeInstanceOf(DeltaTriggerTimetable);
    expect(timetableFor({ kind: 'multi_cron', expressions: ['0 1 * * *'] }, 'UTC', airflow2)).toBeInstanceOf(MultipleCronTriggerTimetable);
  });

  it("reads the cron expression in the timetable's own zone, not the DAG's", () => {
    const schedule: ScheduleSpec = { kind: 'cron', expression: '0 6 * * *', preset: null, timezone: 'America/New_York' };
    const info = timetableFor(schedule, 'Europe/Amsterdam', airflow3).nextDagrunInfo(args('2025-01-10T00:00:00Z', { earliest: '2025-01-10T00:00:00Z' }));
    expect(iso(info)!.after).toBe('2025-01-10T11:00:00.000Z');
  });
});

describe('CronTriggerTimetable(interval=...)', () => {
  const hourly = new CronTriggerTimetable('0 * * * *', 'UTC', '0 * * * *', { intervalSeconds: 3600 });

  it('fires at the cron time with the data interval before it and the logical date at its start', () => {
    expect(iso(hourly.nextDagrunInfo(args('2025-01-01T10:30:00Z', { earliest: '2025-01-01T00:00:00Z', catchup: true, last: ['2025-01-01T04:00:00Z', '2025-01-01T05:00:00Z'] })))).toEqual({
      logical: '2025-01-01T05:00:00.000Z',
      start: '2025-01-01T05:00:00.000Z',
      end: '2025-01-01T06:00:00.000Z',
      after: '2025-01-01T06:00:00.000Z',
    });
  });

  it('a manual run covers the interval before run_after', () => {
    expect(hourly.inferManualDataInterval(new Date('2025-01-01T10:30:00Z'))).toEqual({ start: new Date('2025-01-01T09:30:00Z'), end: new Date('2025-01-01T10:30:00Z') });
  });
});

describe('first run of a cron DAG without start_date (Airflow 3 _calc_first_run)', () => {
  const first = (runImmediately: boolean | number | undefined, now: string) =>
    iso(new CronTriggerTimetable('0 * * * *', 'UTC', '0 * * * *', runImmediately === undefined ? {} : { runImmediately }).nextDagrunInfo(args(now, { catchup: true })))!.after;

  it('default: the past fire time if within max(gap/10, 5 min), else the next', () => {
    expect(first(undefined, '2025-01-01T10:05:59Z')).toBe('2025-01-01T10:00:00.000Z');
    expect(first(undefined, '2025-01-01T10:06:01Z')).toBe('2025-01-01T11:00:00.000Z');
    expect(first(false, '2025-01-01T10:06:00Z')).toBe('2025-01-01T10:00:00.000Z'); // False behaves as None in Airflow's code
  });

  it('run_immediately=True always takes the past fire time; a timedelta bounds how old it may be', () => {
    expect(first(true, '2025-01-01T10:59:00Z')).toBe('2025-01-01T10:00:00.000Z');
    expect(first(1800, '2025-01-01T10:29:00Z')).toBe('2025-01-01T10:00:00.000Z');
    expect(first(1800, '2025-01-01T10:31:00Z')).toBe('2025-01-01T11:00:00.000Z');
  });

  it('a daily DAG: 10 % of a day is 2.4 h', () => {
    const daily = new CronTriggerTimetable('0 0 * * *', 'UTC');
    expect(iso(daily.nextDagrunInfo(args('2025-03-04T02:24:00Z', { catchup: false })))!.after).toBe('2025-03-04T00:00:00.000Z');
    expect(iso(daily.nextDagrunInfo(args('2025-03-04T02:25:00Z', { catchup: false })))!.after).toBe('2025-03-05T00:00:00.000Z');
  });
});

describe('MultipleCronTriggerTimetable', () => {
  const multi = new MultipleCronTriggerTimetable(['0 1 * * *', '30 2 * * 1'], 'UTC');

  it('with catchup: the earliest next fire time of any expression', () => {
    // 2025-01-06 is a Monday.
    const after = (last: string) => iso(multi.nextDagrunInfo(args('2025-02-01T00:00:00Z', { earliest: '2025-01-01T00:00:00Z', catchup: true, last: [last, last] })))!.logical;
    expect(after('2025-01-05T01:00:00Z')).toBe('2025-01-06T01:00:00.000Z');
    expect(after('2025-01-06T01:00:00Z')).toBe('2025-01-06T02:30:00.000Z');
    expect(after('2025-01-06T02:30:00Z')).toBe('2025-01-07T01:00:00.000Z');
  });

  it('without catchup: the latest fire time at or before now, of any expression', () => {
    const info = multi.nextDagrunInfo(args('2025-01-06T03:00:00Z', { earliest: '2025-01-01T00:00:00Z', last: ['2025-01-05T01:00:00Z', '2025-01-05T01:00:00Z'] }));
    expect(iso(info)!.logical).toBe('2025-01-06T02:30:00.000Z');
    expect(multi.summary).toBe('0 1 * * *, 30 2 * * 1');
  });

  it('stops at end_date', () => {
    expect(multi.nextDagrunInfo(args('2025-01-06T03:00:00Z', { catchup: true, latest: '2025-01-06T00:00:00Z', last: ['2025-01-05T01:00:00Z', '2025-01-05T01:00:00Z'] }))).toBeNull();
  });
});

describe('DeltaTriggerTimetable(interval=...)', () => {
  it('every 6 hours with a 1 hour data interval', () => {
    const delta = timetableFor({ kind: 'delta', seconds: 21600, timetable: 'trigger', interval_seconds: 3600 }, 'UTC', airflow2);
    expect(iso(delta.nextDagrunInfo(args('2025-01-01T20:00:00Z', { catchup: true, earliest: '2025-01-01T00:00:00Z', last: ['2025-01-01T05:00:00Z', '2025-01-01T06:00:00Z'] })))).toEqual({
      logical: '2025-01-01T11:00:00.000Z',
      start: '2025-01-01T11:00:00.000Z',
      end: '2025-01-01T12:00:00.000Z',
      after: '2025-01-01T12:00:00.000Z',
    });
  });
});

describe('cron expressions whose next fire time is years away', () => {
  const leap: ScheduleSpec = { kind: 'cron', expression: '0 0 29 2 *', preset: null };

  it('0 0 29 2 * fires on the next 29 February, also across 2100 (not a leap year)', () => {
    const trigger = timetableFor(leap, 'UTC', airflow3);
    expect(iso(trigger.nextDagrunInfo(args('2026-12-05T00:00:00Z', { catchup: true, earliest: '2026-12-05T00:00:00Z' })))!.after).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(trigger.nextDagrunInfo(args('2026-12-05T00:00:00Z', { catchup: true, last: ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00Z'] })))!.after).toBe('2032-02-29T00:00:00.000Z');
    expect(iso(trigger.nextDagrunInfo(args('2097-01-01T00:00:00Z', { catchup: true, last: ['2096-02-29T00:00:00Z', '2096-02-29T00:00:00Z'] })))!.after).toBe('2104-02-29T00:00:00.000Z');
  });

  it('as a data interval it spans the four years between leap days', () => {
    const interval = timetableFor(leap, 'Europe/Amsterdam', airflow2);
    expect(iso(interval.nextDagrunInfo(args('2026-12-05T00:00:00Z', { catchup: true, earliest: '2024-01-01T00:00:00Z' })))).toEqual({
      logical: '2024-02-28T23:00:00.000Z',
      start: '2024-02-28T23:00:00.000Z',
      end: '2028-02-28T23:00:00.000Z',
      after: '2028-02-28T23:00:00.000Z',
    });
  });
});
