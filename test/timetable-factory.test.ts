/** Choosing a timetable for a schedule, what it says about itself, and run ids. */
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../src/dag/model.js';
import type { Timetable } from '../src/timetable/index.js';
import {
  CronDataIntervalTimetable,
  CronTriggerTimetable,
  DeltaDataIntervalTimetable,
  DeltaTriggerTimetable,
  InvalidScheduleError,
  NullTimetable,
  OnceTimetable,
  airflowIsoformat,
  formatTimedelta,
  generateRunId,
  timetableFor,
} from '../src/timetable/index.js';

const airflow3 = { create_cron_data_intervals: false, create_delta_data_intervals: false };
const airflow2 = { create_cron_data_intervals: true, create_delta_data_intervals: true };

describe('timetableFor', () => {
  const cron: ScheduleSpec = { kind: 'cron', expression: '0 0 * * *', preset: '@daily' };
  const delta: ScheduleSpec = { kind: 'delta', seconds: 1800 };
  const rows: Array<[name: string, schedule: ScheduleSpec, options: typeof airflow3, expected: new (...args: never[]) => Timetable]> = [
    ['cron, Airflow 3 default', cron, airflow3, CronTriggerTimetable],
    ['cron, create_cron_data_intervals', cron, airflow2, CronDataIntervalTimetable],
    ['delta, Airflow 3 default', delta, airflow3, DeltaTriggerTimetable],
    ['delta, create_delta_data_intervals', delta, airflow2, DeltaDataIntervalTimetable],
    ['@once', { kind: 'once' }, airflow3, OnceTimetable],
    ['None', { kind: 'none' }, airflow2, NullTimetable],
  ];
  it.each(rows)('%s', (_name, schedule, options, expected) => {
    expect(timetableFor(schedule, 'UTC', options)).toBeInstanceOf(expected);
  });

  it('each option only affects its own kind of schedule', () => {
    const onlyCron = { create_cron_data_intervals: true, create_delta_data_intervals: false };
    expect(timetableFor(cron, 'UTC', onlyCron)).toBeInstanceOf(CronDataIntervalTimetable);
    expect(timetableFor(delta, 'UTC', onlyCron)).toBeInstanceOf(DeltaTriggerTimetable);
  });

  it('rejects a bad cron expression, time zone or duration with InvalidScheduleError', () => {
    expect(() => timetableFor({ kind: 'cron', expression: '61 * * * *', preset: null }, 'UTC', airflow3)).toThrow(InvalidScheduleError);
    expect(() => timetableFor({ kind: 'cron', expression: 'not cron', preset: null }, 'UTC', airflow3)).toThrow(/Invalid cron expression 'not cron'/);
    expect(() => timetableFor(cron, 'Mars/Olympus_Mons', airflow3)).toThrow(/Unknown time zone 'Mars\/Olympus_Mons'/);
    expect(() => timetableFor({ kind: 'delta', seconds: 0 }, 'UTC', airflow3)).toThrow(InvalidScheduleError);
    expect(() => timetableFor({ kind: 'delta', seconds: -60 }, 'UTC', airflow2)).toThrow(/positive/);
  });
});

describe('summary, description and periodic', () => {
  const rows: Array<[schedule: ScheduleSpec, summary: string, description: string]> = [
    [{ kind: 'cron', expression: '0 0 * * *', preset: '@daily' }, '@daily', 'At 00:00'],
    [{ kind: 'cron', expression: '0 3 * * *', preset: null }, '0 3 * * *', 'At 03:00'],
    [{ kind: 'cron', expression: '*/30 * * * *', preset: null }, '*/30 * * * *', 'Every 30 minutes'],
    [{ kind: 'cron', expression: '0 1 * * 3', preset: null }, '0 1 * * 3', 'At 01:00, only on Wednesday'],
    [{ kind: 'cron', expression: '0 0 15 * 1', preset: null }, '0 0 15 * 1', 'At 00:00, on day 15 of the month (or) At 00:00, only on Monday'],
    [{ kind: 'cron', expression: '0 30 1 * * *', preset: null }, '0 30 1 * * *', ''],
    [{ kind: 'delta', seconds: 1800 }, '0:30:00', 'Every 30 minutes'],
    [{ kind: 'delta', seconds: 3600 }, '1:00:00', 'Every hour'],
    [{ kind: 'delta', seconds: 86_400 }, '1 day, 0:00:00', 'Every day'],
    [{ kind: 'delta', seconds: 2 * 86_400 + 6 * 3600 }, '2 days, 6:00:00', 'Every 2 days, 6 hours'],
    [{ kind: 'once' }, '@once', 'Once, as soon as possible'],
    [{ kind: 'none' }, 'None', 'Never, external triggers only'],
  ];
  it.each(rows)('%j', (schedule, summary, description) => {
    for (const options of [airflow3, airflow2]) {
      const timetable = timetableFor(schedule, 'UTC', options);
      expect(timetable.summary).toBe(summary);
      expect(timetable.description).toBe(description);
      expect(timetable.periodic).toBe(schedule.kind === 'cron' || schedule.kind === 'delta');
    }
  });
});

describe('formatTimedelta (Python str(timedelta))', () => {
  const rows: Array<[seconds: number, text: string]> = [
    [0.5, '0:00:00.500000'],
    [59, '0:00:59'],
    [36_000, '10:00:00'],
    [86_399, '23:59:59'],
    [86_400 + 1.25, '1 day, 0:00:01.250000'],
    [7 * 86_400, '7 days, 0:00:00'],
    [-60, '-1 day, 23:59:00'],
  ];
  it.each(rows)('%s s -> %s', (seconds, text) => {
    expect(formatTimedelta(seconds)).toBe(text);
  });
});

describe('airflowIsoformat and run ids', () => {
  const rows: Array<[iso: string, text: string]> = [
    ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00+00:00'],
    ['2024-05-01T10:00:00.123Z', '2024-05-01T10:00:00.123000+00:00'],
    ['2024-05-01T10:00:00.005Z', '2024-05-01T10:00:00.005000+00:00'],
    ['1999-12-31T23:59:59.999Z', '1999-12-31T23:59:59.999000+00:00'],
  ];
  it.each(rows)('%s -> %s', (iso, text) => {
    expect(airflowIsoformat(new Date(iso))).toBe(text);
  });

  it('rejects an invalid Date', () => {
    expect(() => airflowIsoformat(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('prefixes the run type', () => {
    expect(generateRunId('scheduled', new Date('2024-01-01T00:00:00Z'))).toBe('scheduled__2024-01-01T00:00:00+00:00');
    expect(generateRunId('manual', new Date('2024-05-01T10:00:00.123Z'))).toBe('manual__2024-05-01T10:00:00.123000+00:00');
    expect(generateRunId('backfill', new Date('2024-01-02T03:04:05Z'))).toBe('backfill__2024-01-02T03:04:05+00:00');
  });
});
