/**
 * Cron schedules in zones with daylight saving time. Airflow evaluates cron on wall-clock time and maps a
 * skipped reading forward by the gap and a repeated reading to its second occurrence (`make_aware` with
 * fold=1); schedules firing at least hourly step through a repeated hour by elapsed time.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CronDataIntervalTimetable, CronTriggerTimetable } from '../src/timetable/index.js';
import { at, fireTimes, runsDueBy } from './helpers/timetable-runs.js';
const local = (date: Date, zone: string): string => DateTime.fromJSDate(date, { zone }).toFormat("yyyy-MM-dd HH:mm ZZ");

describe('daily 02:30 in Europe/Amsterdam across spring forward (2024-03-31, 02:00 -> 03:00)', () => {
  const zone = 'Europe/Amsterdam';
  const timetable = new CronTriggerTimetable('30 2 * * *', zone);

  it('fires once per day; on the switch day the missing 02:30 fires at 03:30 CEST', () => {
    const runs = runsDueBy(timetable, { earliest: at('2024-03-29T00:00:00Z'), latest: null, catchup: true }, at('2024-04-02T12:00:00Z'));
    expect(fireTimes(runs)).toEqual([
      '2024-03-29T01:30:00.000Z',
      '2024-03-30T01:30:00.000Z',
      '2024-03-31T01:30:00.000Z',
      '2024-04-01T00:30:00.000Z',
      '2024-04-02T00:30:00.000Z',
    ]);
    expect(runs.map((run) => local(run.logical_date, zone))).toEqual([
      '2024-03-29 02:30 +01:00',
      '2024-03-30 02:30 +01:00',
      '2024-03-31 03:30 +02:00',
      '2024-04-01 02:30 +02:00',
      '2024-04-02 02:30 +02:00',
    ]);
  });

  it('without catchup, the latest fire time before now on the switch day is that day, not the day before', () => {
    const info = timetable.nextDagrunInfo({
      lastAutomatedDataInterval: null,
      restriction: { earliest: at('2024-03-01T00:00:00Z'), latest: null, catchup: false },
      now: at('2024-03-31T12:00:00Z'),
    });
    expect(info?.logical_date).toEqual(at('2024-03-31T01:30:00Z'));
  });

  it('data intervals stay contiguous and the switch day is 23 hours long', () => {
    const intervals = new CronDataIntervalTimetable('30 2 * * *', zone);
    const runs = runsDueBy(intervals, { earliest: at('2024-03-30T00:00:00Z'), latest: null, catchup: true }, at('2024-04-01T12:00:00Z'));
    expect(runs.map((run) => [run.data_interval.start.toISOString(), run.data_interval.end.toISOString()])).toEqual([
      ['2024-03-30T01:30:00.000Z', '2024-03-31T01:30:00.000Z'],
      ['2024-03-31T01:30:00.000Z', '2024-04-01T00:30:00.000Z'],
    ]);
    expect(intervals.inferManualDataInterval(at('2024-04-01T06:00:00Z'))).toEqual({
      start: at('2024-03-31T01:30:00Z'),
      end: at('2024-04-01T00:30:00Z'),
    });
  });
});

describe('daily 01:30 in America/New_York across fall back (2024-11-03, 02:00 EDT -> 01:00 EST)', () => {
  const zone = 'America/New_York';
  const timetable = new CronTriggerTimetable('30 1 * * *', zone);

  it('fires once on the switch day, at the second 01:30 (EST), and UTC times move by an hour', () => {
    const runs = runsDueBy(timetable, { earliest: at('2024-11-01T00:00:00Z'), latest: null, catchup: true }, at('2024-11-05T12:00:00Z'));
    expect(fireTimes(runs)).toEqual([
      '2024-11-01T05:30:00.000Z',
      '2024-11-02T05:30:00.000Z',
      '2024-11-03T06:30:00.000Z',
      '2024-11-04T06:30:00.000Z',
      '2024-11-05T06:30:00.000Z',
    ]);
    const days = runs.map((run) => local(run.logical_date, zone).slice(0, 10));
    expect(new Set(days).size).toBe(days.length);
  });

  it('catchup=false on the switch day, after both 01:30s, picks that day once', () => {
    const info = timetable.nextDagrunInfo({
      lastAutomatedDataInterval: { start: at('2024-11-02T05:30:00Z'), end: at('2024-11-02T05:30:00Z') },
      restriction: { earliest: at('2024-10-01T00:00:00Z'), latest: null, catchup: false },
      now: at('2024-11-03T12:00:00Z'),
    });
    expect(info?.logical_date).toEqual(at('2024-11-03T06:30:00Z'));
    const after = timetable.nextDagrunInfo({
      lastAutomatedDataInterval: info!.data_interval,
      restriction: { earliest: at('2024-10-01T00:00:00Z'), latest: null, catchup: false },
      now: at('2024-11-03T12:00:00Z'),
    });
    expect(after?.logical_date).toEqual(at('2024-11-04T06:30:00Z'));
  });
});

describe('midnight in America/New_York across spring forward (2024-03-10)', () => {
  it('moves from 05:00 UTC to 04:00 UTC, once a day', () => {
    const runs = runsDueBy(
      new CronTriggerTimetable('0 0 * * *', 'America/New_York', '@daily'),
      { earliest: at('2024-03-09T00:00:00Z'), latest: null, catchup: true },
      at('2024-03-12T00:00:00Z'),
    );
    expect(fireTimes(runs)).toEqual(['2024-03-09T05:00:00.000Z', '2024-03-10T05:00:00.000Z', '2024-03-11T04:00:00.000Z']);
  });
});

describe('hourly schedules keep firing every elapsed hour', () => {
  it('30 * * * * in Europe/Zurich fires at both 02:30 CEST and 02:30 CET on the fall-back night', () => {
    const runs = runsDueBy(
      new CronTriggerTimetable('30 * * * *', 'Europe/Zurich'),
      { earliest: at('2023-10-28T23:00:00Z'), latest: null, catchup: true },
      at('2023-10-29T03:00:00Z'),
    );
    expect(fireTimes(runs)).toEqual([
      '2023-10-28T23:30:00.000Z',
      '2023-10-29T00:30:00.000Z',
      '2023-10-29T01:30:00.000Z',
      '2023-10-29T02:30:00.000Z',
    ]);
  });

  it('30 * * * * in Europe/Zurich skips the 02:30 that does not exist in spring', () => {
    const runs = runsDueBy(
      new CronTriggerTimetable('30 * * * *', 'Europe/Zurich'),
      { earliest: at('2023-03-26T00:00:00Z'), latest: null, catchup: true },
      at('2023-03-26T03:00:00Z'),
    );
    expect(runs.map((run) => local(run.logical_date, 'Europe/Zurich').slice(11, 16))).toEqual(['01:30', '03:30', '04:30']);
  });
});
