/**
 * Run creation by each timetable, table-driven from Airflow's documented examples
 * (authoring-and-scheduling/timetable.rst, core-concepts/dag-run.rst).
 */
import { describe, expect, it } from 'vitest';
import type { DagRunInfo, DataInterval, TimeRestriction, Timetable } from '../src/timetable/index.js';
import {
  CronDataIntervalTimetable,
  CronTriggerTimetable,
  DeltaDataIntervalTimetable,
  DeltaTriggerTimetable,
  NullTimetable,
  OnceTimetable,
  generateRunId,
} from '../src/timetable/index.js';
import { at, fireTimes, runsDueBy } from './helpers/timetable-runs.js';

function restriction(earliest: string | null, catchup: boolean, latest: string | null = null): TimeRestriction {
  return { earliest: earliest === null ? null : at(earliest), latest: latest === null ? null : at(latest), catchup };
}

/** `HH:MM-HH:MM` of each interval, UTC, for compact expectations. */
function intervals(runs: DagRunInfo[]): string[] {
  const hhmm = (d: Date): string => d.toISOString().slice(11, 16);
  return runs.map((run) => `${hhmm(run.data_interval.start)}-${hhmm(run.data_interval.end)}`);
}

describe('daily DAG: data-interval vs trigger timetable (dag-run.rst, §1.2)', () => {
  const createdAt = at('2024-01-02T00:00:00Z');

  it('data-interval run created at 2024-01-02 covers 2024-01-01 and is named after it', () => {
    const timetable = new CronDataIntervalTimetable('0 0 * * *', 'UTC', '@daily');
    const info = timetable.nextDagrunInfo({
      lastAutomatedDataInterval: null,
      restriction: restriction('2024-01-01T00:00:00Z', true),
      now: createdAt,
    });
    expect(info).toEqual({
      logical_date: at('2024-01-01T00:00:00Z'),
      data_interval: { start: at('2024-01-01T00:00:00Z'), end: at('2024-01-02T00:00:00Z') },
      run_after: createdAt,
    });
    expect(generateRunId('scheduled', info!.logical_date)).toBe('scheduled__2024-01-01T00:00:00+00:00');
  });

  it('trigger run firing at 2024-01-02 has logical date 2024-01-02 and an empty interval', () => {
    const timetable = new CronTriggerTimetable('0 0 * * *', 'UTC', '@daily');
    const info = timetable.nextDagrunInfo({
      lastAutomatedDataInterval: { start: at('2024-01-01T00:00:00Z'), end: at('2024-01-01T00:00:00Z') },
      restriction: restriction('2024-01-01T00:00:00Z', true),
      now: createdAt,
    });
    expect(info).toEqual({
      logical_date: createdAt,
      data_interval: { start: createdAt, end: createdAt },
      run_after: createdAt,
    });
    expect(generateRunId('scheduled', info!.logical_date)).toBe('scheduled__2024-01-02T00:00:00+00:00');
  });

  it('enabled at 15:00 on Jan 31 without catchup: trigger runs Jan 31 00:00 then Feb 1, data-interval runs the last complete day', () => {
    const now = at('2024-01-31T15:00:00Z');
    const limits = restriction('2024-01-01T00:00:00Z', false);
    const trigger = new CronTriggerTimetable('0 0 * * *', 'UTC');
    const dataInterval = new CronDataIntervalTimetable('0 0 * * *', 'UTC');
    // Catchup=false runs the latest missed fire time (Jan 31 00:00) right away in Airflow 3's
    // CronTriggerTimetable; after it, the next is Feb 1 as the document says.
    const triggerRuns = runsDueBy(trigger, limits, now);
    expect(fireTimes(triggerRuns)).toEqual(['2024-01-31T00:00:00.000Z']);
    const afterThat = trigger.nextDagrunInfo({ lastAutomatedDataInterval: triggerRuns[0]!.data_interval, restriction: limits, now });
    expect(afterThat?.run_after).toEqual(at('2024-02-01T00:00:00Z'));

    const dataRuns = runsDueBy(dataInterval, limits, now);
    expect(dataRuns.map((run) => run.data_interval)).toEqual([
      { start: at('2024-01-30T00:00:00Z'), end: at('2024-01-31T00:00:00Z') },
    ]);
  });
});

describe('timetable.rst: */30 vs timedelta(minutes=30), DAG enabled at 01:05 on Feb 1', () => {
  const now = at('2024-02-01T01:05:00Z');
  const cron = (): Timetable => new CronDataIntervalTimetable('*/30 * * * *', 'UTC');
  const delta = (): Timetable => new DeltaDataIntervalTimetable(30 * 60);
  const rows: Array<[name: string, make: () => Timetable, start: string, catchup: boolean, expected: string[]]> = [
    ['cron, start 00:00, catchup', cron, '2024-02-01T00:00:00Z', true, ['00:00-00:30', '00:30-01:00']],
    ['cron, start 00:00, no catchup', cron, '2024-02-01T00:00:00Z', false, ['00:30-01:00']],
    ['cron, start 00:10, catchup', cron, '2024-02-01T00:10:00Z', true, ['00:30-01:00']],
    ['cron, start 00:10, no catchup', cron, '2024-02-01T00:10:00Z', false, ['00:30-01:00']],
    ['delta, start 00:00, catchup', delta, '2024-02-01T00:00:00Z', true, ['00:00-00:30', '00:30-01:00']],
    ['delta, start 00:00, no catchup', delta, '2024-02-01T00:00:00Z', false, ['00:35-01:05']],
    ['delta, start 00:10, catchup', delta, '2024-02-01T00:10:00Z', true, ['00:10-00:40']],
    ['delta, start 00:10, no catchup', delta, '2024-02-01T00:10:00Z', false, ['00:35-01:05']],
  ];
  it.each(rows)('%s', (_name, make, start, catchup, expected) => {
    const runs = runsDueBy(make(), restriction(start, catchup), now);
    expect(intervals(runs)).toEqual(expected);
    for (const run of runs) {
      expect(run.logical_date).toEqual(run.data_interval.start);
      expect(run.run_after).toEqual(run.data_interval.end);
    }
  });

  it('delta aligned to start_date 00:10 triggers the next interval 00:40-01:10 five minutes later', () => {
    const timetable = delta();
    const limits = restriction('2024-02-01T00:10:00Z', true);
    const [first] = runsDueBy(timetable, limits, now);
    const next = timetable.nextDagrunInfo({ lastAutomatedDataInterval: first!.data_interval, restriction: limits, now });
    expect(next?.data_interval).toEqual({ start: at('2024-02-01T00:40:00Z'), end: at('2024-02-01T01:10:00Z') });
    expect(next?.run_after).toEqual(at('2024-02-01T01:10:00Z'));
  });

  const triggerRows: Array<[name: string, make: () => Timetable, start: string, catchup: boolean, expected: string[]]> = [
    ['cron trigger, start 00:00, catchup', () => new CronTriggerTimetable('*/30 * * * *', 'UTC'), '2024-02-01T00:00:00Z', true, ['00:00', '00:30', '01:00']],
    ['cron trigger, start 00:00, no catchup', () => new CronTriggerTimetable('*/30 * * * *', 'UTC'), '2024-02-01T00:00:00Z', false, ['01:00']],
    ['cron trigger, start 00:10, catchup', () => new CronTriggerTimetable('*/30 * * * *', 'UTC'), '2024-02-01T00:10:00Z', true, ['00:30', '01:00']],
    ['delta trigger, start 00:10, catchup', () => new DeltaTriggerTimetable(1800), '2024-02-01T00:10:00Z', true, ['00:10', '00:40']],
    ['delta trigger, start 00:10, no catchup (grid from start_date)', () => new DeltaTriggerTimetable(1800), '2024-02-01T00:10:00Z', false, ['00:40']],
  ];
  it.each(triggerRows)('%s', (_name, make, start, catchup, expected) => {
    const runs = runsDueBy(make(), restriction(start, catchup), now);
    expect(runs.map((run) => run.logical_date.toISOString().slice(11, 16))).toEqual(expected);
    for (const run of runs) {
      expect(run.data_interval.start).toEqual(run.logical_date);
      expect(run.data_interval.end).toEqual(run.logical_date);
      expect(run.run_after).toEqual(run.logical_date);
    }
  });
});

describe('catchup over a week of a daily schedule', () => {
  const start = '2024-01-01T00:00:00Z';
  const rows: Array<[name: string, make: () => Timetable, now: string, catchup: boolean, logicalDates: string[]]> = [
    ['trigger, catchup', () => new CronTriggerTimetable('0 0 * * *', 'UTC'), '2024-01-07T12:00:00Z', true,
      ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07']],
    ['trigger, no catchup', () => new CronTriggerTimetable('0 0 * * *', 'UTC'), '2024-01-07T12:00:00Z', false, ['2024-01-07']],
    ['data interval, catchup', () => new CronDataIntervalTimetable('0 0 * * *', 'UTC'), '2024-01-08T00:00:00Z', true,
      ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07']],
    ['data interval, no catchup', () => new CronDataIntervalTimetable('0 0 * * *', 'UTC'), '2024-01-08T00:00:00Z', false, ['2024-01-07']],
    ['delta trigger, catchup', () => new DeltaTriggerTimetable(86_400), '2024-01-07T12:00:00Z', true,
      ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07']],
    ['delta trigger, no catchup', () => new DeltaTriggerTimetable(86_400), '2024-01-07T12:00:00Z', false, ['2024-01-07']],
    ['delta data interval, catchup', () => new DeltaDataIntervalTimetable(86_400), '2024-01-08T00:00:00Z', true,
      ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07']],
  ];
  it.each(rows)('%s', (_name, make, now, catchup, logicalDates) => {
    const runs = runsDueBy(make(), restriction(start, catchup), at(now));
    expect(runs.map((run) => run.logical_date.toISOString().slice(0, 10))).toEqual(logicalDates);
  });

  it('without catchup the one run is followed by the next future fire time', () => {
    const timetable = new CronTriggerTimetable('0 0 * * *', 'UTC');
    const limits = restriction(start, false);
    const now = at('2024-01-07T12:00:00Z');
    const [only] = runsDueBy(timetable, limits, now);
    const next = timetable.nextDagrunInfo({ lastAutomatedDataInterval: only!.data_interval, restriction: limits, now });
    expect(next?.logical_date).toEqual(at('2024-01-08T00:00:00Z'));
  });
});

describe('end_date', () => {
  const limits = restriction('2024-01-01T00:00:00Z', true, '2024-01-03T00:00:00Z');
  const now = at('2024-02-01T00:00:00Z');

  it('trigger: fires up to and including end_date, then never', () => {
    const timetable = new CronTriggerTimetable('0 0 * * *', 'UTC');
    const runs = runsDueBy(timetable, limits, now);
    expect(fireTimes(runs)).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z']);
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: runs.at(-1)!.data_interval, restriction: limits, now })).toBeNull();
  });

  it('data interval: no interval starts after end_date (one starting on it still runs)', () => {
    const runs = runsDueBy(new CronDataIntervalTimetable('0 0 * * *', 'UTC'), limits, now);
    expect(runs.map((run) => run.data_interval.start.toISOString().slice(0, 10))).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
  });

  it('catchup=false after end_date: nothing', () => {
    const timetable = new CronTriggerTimetable('0 0 * * *', 'UTC');
    const info = timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction('2024-01-01T00:00:00Z', false, '2024-01-03T00:00:00Z'), now });
    expect(info).toBeNull();
  });

  it('a start_date after end_date: nothing', () => {
    const info = new DeltaTriggerTimetable(3600).nextDagrunInfo({
      lastAutomatedDataInterval: null,
      restriction: restriction('2024-01-05T00:00:00Z', true, '2024-01-03T00:00:00Z'),
      now,
    });
    expect(info).toBeNull();
  });
});

describe('the clock moving backwards (catchup=false, now before the last run)', () => {
  const now = at('2024-01-05T12:00:00Z');
  const rows: Array<[name: string, make: () => Timetable, last: DataInterval, expectedLogical: string]> = [
    ['cron trigger', () => new CronTriggerTimetable('0 0 * * *', 'UTC'),
      { start: at('2024-01-10T00:00:00Z'), end: at('2024-01-10T00:00:00Z') }, '2024-01-11T00:00:00.000Z'],
    ['delta trigger', () => new DeltaTriggerTimetable(86_400),
      { start: at('2024-01-10T00:00:00Z'), end: at('2024-01-10T00:00:00Z') }, '2024-01-11T00:00:00.000Z'],
    ['cron data interval', () => new CronDataIntervalTimetable('0 0 * * *', 'UTC'),
      { start: at('2024-01-10T00:00:00Z'), end: at('2024-01-11T00:00:00Z') }, '2024-01-11T00:00:00.000Z'],
    ['delta data interval', () => new DeltaDataIntervalTimetable(86_400),
      { start: at('2024-01-10T00:00:00Z'), end: at('2024-01-11T00:00:00Z') }, '2024-01-11T00:00:00.000Z'],
  ];
  it.each(rows)('%s never returns a run at or before the last one', (_name, make, last, expectedLogical) => {
    const info = make().nextDagrunInfo({ lastAutomatedDataInterval: last, restriction: restriction('2024-01-01T00:00:00Z', false), now });
    expect(info?.logical_date.toISOString()).toBe(expectedLogical);
    expect(info!.logical_date.getTime()).toBeGreaterThan(last.start.getTime());
  });
});

describe('no start_date', () => {
  it('cron trigger runs a fire time that just passed (within 10% of the gap), else waits for the next', () => {
    const timetable = new CronTriggerTimetable('0 0 * * *', 'UTC');
    const next = (now: string, catchup: boolean): string | undefined =>
      timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction(null, catchup), now: at(now) })?.logical_date.toISOString();
    expect(next('2024-01-01T02:00:00Z', true)).toBe('2024-01-01T00:00:00.000Z');
    expect(next('2024-01-01T12:00:00Z', true)).toBe('2024-01-02T00:00:00.000Z');
    expect(next('2024-01-01T02:00:00Z', false)).toBe('2024-01-01T00:00:00.000Z');
    expect(next('2024-01-01T12:00:00Z', false)).toBe('2024-01-02T00:00:00.000Z');
  });

  it('delta trigger starts now', () => {
    const now = at('2024-01-01T12:34:56Z');
    const info = new DeltaTriggerTimetable(600).nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction(null, false), now });
    expect(info?.logical_date).toEqual(now);
  });

  it('data interval: nothing with catchup, the latest complete interval without', () => {
    const timetable = new CronDataIntervalTimetable('0 * * * *', 'UTC');
    const now = at('2024-01-01T12:34:00Z');
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction(null, true), now })).toBeNull();
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction(null, false), now })?.data_interval).toEqual({
      start: at('2024-01-01T11:00:00Z'),
      end: at('2024-01-01T12:00:00Z'),
    });
  });
});

describe('a cron expression is read in the DAG time zone', () => {
  it('03:00 in Asia/Kolkata (UTC+05:30) fires at 21:30 UTC the day before', () => {
    const runs = runsDueBy(new CronTriggerTimetable('0 3 * * *', 'Asia/Kolkata'), restriction('2024-01-01T00:00:00Z', true), at('2024-01-03T00:00:00Z'));
    expect(fireTimes(runs)).toEqual(['2024-01-01T21:30:00.000Z', '2024-01-02T21:30:00.000Z']);
  });
});

describe('@once', () => {
  const timetable = new OnceTimetable();
  const now = at('2024-06-01T00:00:00Z');

  it('runs once at start_date, whatever catchup says', () => {
    for (const catchup of [true, false]) {
      const info = timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction('2024-01-01T00:00:00Z', catchup), now });
      expect(info).toEqual({
        logical_date: at('2024-01-01T00:00:00Z'),
        data_interval: { start: at('2024-01-01T00:00:00Z'), end: at('2024-01-01T00:00:00Z') },
        run_after: at('2024-01-01T00:00:00Z'),
      });
    }
  });

  it('runs now without a start_date', () => {
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction(null, false), now })?.run_after).toEqual(now);
  });

  it('never again once a run exists', () => {
    const last = { start: at('2024-01-01T00:00:00Z'), end: at('2024-01-01T00:00:00Z') };
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: last, restriction: restriction('2024-01-01T00:00:00Z', true), now })).toBeNull();
  });

  it('not when start_date is past end_date', () => {
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction('2024-02-01T00:00:00Z', true, '2024-01-01T00:00:00Z'), now })).toBeNull();
  });

  it('describes itself like Airflow', () => {
    expect([timetable.summary, timetable.description, timetable.periodic]).toEqual(['@once', 'Once, as soon as possible', false]);
  });
});

describe('schedule None', () => {
  it('never schedules and describes itself like Airflow', () => {
    const timetable = new NullTimetable();
    const info = timetable.nextDagrunInfo();
    expect(info).toBeNull();
    expect([timetable.summary, timetable.description, timetable.periodic]).toEqual(['None', 'Never, external triggers only', false]);
  });

  it('returns null through the Timetable interface too', () => {
    const timetable: Timetable = new NullTimetable();
    expect(timetable.nextDagrunInfo({ lastAutomatedDataInterval: null, restriction: restriction('2024-01-01T00:00:00Z', true), now: at('2024-06-01T00:00:00Z') })).toBeNull();
  });
});

describe('manual runs: inferManualDataInterval', () => {
  const runAfter = at('2024-01-25T01:00:00Z');
  const rows: Array<[name: string, make: () => Timetable, runAfter: Date, start: string, end: string]> = [
    ['cron trigger: empty interval at run_after', () => new CronTriggerTimetable('0 0 * * *', 'UTC'), runAfter, '2024-01-25T01:00:00Z', '2024-01-25T01:00:00Z'],
    ['delta trigger: empty interval at run_after', () => new DeltaTriggerTimetable(3600), runAfter, '2024-01-25T01:00:00Z', '2024-01-25T01:00:00Z'],
    ['cron data interval: the last complete day', () => new CronDataIntervalTimetable('0 0 * * *', 'UTC'), runAfter, '2024-01-24T00:00:00Z', '2024-01-25T00:00:00Z'],
    ['cron data interval: on a boundary, the day that just ended', () => new CronDataIntervalTimetable('0 0 * * *', 'UTC'), at('2024-01-25T00:00:00Z'), '2024-01-24T00:00:00Z', '2024-01-25T00:00:00Z'],
    ['delta data interval: one delta ending at run_after', () => new DeltaDataIntervalTimetable(3600), runAfter, '2024-01-25T00:00:00Z', '2024-01-25T01:00:00Z'],
    ['@once: empty interval', () => new OnceTimetable(), runAfter, '2024-01-25T01:00:00Z', '2024-01-25T01:00:00Z'],
    ['None: empty interval', () => new NullTimetable(), runAfter, '2024-01-25T01:00:00Z', '2024-01-25T01:00:00Z'],
  ];
  it.each(rows)('%s', (_name, make, when, start, end) => {
    expect(make().inferManualDataInterval(when)).toEqual({ start: at(start), end: at(end) });
  });
});
