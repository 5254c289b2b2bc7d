/** `schedule:` as written → ScheduleSpec (Airflow 3 semantics: absent or null means never scheduled). */
import { CronExpressionParser } from 'cron-parser';
import { describeType, tryParseDuration } from './duration.js';
import type { ScheduleSpec } from './model.js';

/** Airflow's cron presets (plus croniter's @annually and @midnight). */
export const SCHEDULE_PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const ALLOWED =
  'a 5-field cron expression, @once, @hourly, @daily, @weekly, @monthly, @quarterly, @yearly, @annually, @midnight, a duration like 30m, a datetime.timedelta mapping, or null';

export type ScheduleResult = { ok: true; schedule: ScheduleSpec } | { ok: false; problem: string };

export function normaliseSchedule(value: unknown): ScheduleResult {
  // PyYAML users write `None`, and dag-factory passes it through to Airflow as schedule=None.
  if (value === null || value === undefined || value === 'None') return { ok: true, schedule: { kind: 'none' } };
  if (typeof value === 'string') return fromString(value.trim());
  if (typeof value === 'object' && !Array.isArray(value)) return fromDelta(value);
  return fail(`expected ${ALLOWED}; got ${describeType(value)}`);
}

function fromString(text: string): ScheduleResult {
  if (text === '@once') return { ok: true, schedule: { kind: 'once' } };
  if (text === '@continuous') return fail('@continuous is not supported (runs would need an always-on scheduler); use a cron expression or a duration like 5m');
  if (text.startsWith('@')) {
    const expression = SCHEDULE_PRESETS[text];
    if (expression === undefined) return fail(`unknown preset '${text}'; allowed: ${ALLOWED}`);
    return { ok: true, schedule: { kind: 'cron', expression, preset: text } };
  }
  if (!/\s/.test(text) && /^\d/.test(text) && !/^\d+$/.test(text)) return fromDelta(text);
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return fail(`'${text}' has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day-of-month month day-of-week); allowed: ${ALLOWED}`);
  }
  const problem = cronProblem(text);
  if (problem !== null) return fail(`invalid cron expression '${text}': ${problem}`);
  return { ok: true, schedule: { kind: 'cron', expression: fields.join(' '), preset: null } };
}

/**
 * Expressions already checked, with cron-parser's complaint or null. A parse costs about 0.3 ms and a
 * thousand manifests repeat a few dozen expressions; cleared when large, so it stays bounded.
 */
const cronProblems = new Map<string, string | null>();

function cronProblem(text: string): string | null {
  let problem = cronProblems.get(text);
  if (problem === undefined) {
    try {
      CronExpressionParser.parse(text, { tz: 'UTC' });
      problem = null;
    } catch (error) {
      problem = (error as Error).message;
    }
    if (cronProblems.size >= 4096) cronProblems.clear();
    cronProblems.set(text, problem);
  }
  return problem;
}

function fromDelta(value: unknown): ScheduleResult {
  const result = tryParseDuration(value);
  if (!result.ok) return fail(result.problem);
  if (result.seconds <= 0) return fail('a duration schedule must be longer than 0 seconds');
  return { ok: true, schedule: { kind: 'delta', seconds: result.seconds } };
}

function fail(problem: string): ScheduleResult {
  return { ok: false, problem };
}
