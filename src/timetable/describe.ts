/** Human sentences for `dag.timetable_description`. */
import cronstrue from 'cronstrue';

/**
 * "At 03:00", "Every 30 minutes". When both day-of-month and day-of-week are restricted, cron fires on
 * either (an OR), which plain descriptions tend to read as AND; like Airflow, describe each half and join
 * them with "(or)". Returns "" for an expression the describer cannot read, as Airflow does.
 */
export function describeCron(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  // Only the classic 5-field form gets a description (Airflow declines 6-field ones too).
  if (fields.length !== 5) {
    return '';
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (isRestricted(dayOfMonth) && isRestricted(dayOfWeek)) {
    const onDayOfMonth = describe(`${minute} ${hour} ${dayOfMonth} ${month} *`);
    const onDayOfWeek = describe(`${minute} ${hour} * ${month} ${dayOfWeek}`);
    return onDayOfMonth && onDayOfWeek ? `${onDayOfMonth} (or) ${onDayOfWeek}` : '';
  }
  return describe(expression);
}

function isRestricted(field: string): boolean {
  return field !== '*' && field !== '?';
}

function describe(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return '';
  }
}

const UNITS: ReadonlyArray<readonly [seconds: number, singular: string]> = [
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** "Every 30 minutes", "Every day", "Every 1 day, 6 hours". */
export function describeDelta(totalSeconds: number): string {
  let rest = totalSeconds;
  const parts: Array<{ count: number; unit: string }> = [];
  for (const [size, unit] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push({ count, unit });
      rest -= count * size;
    }
  }
  // Sub-second remainders (rare: durations are whole seconds in manifests) join the seconds part.
  if (rest > 0) {
    const last = parts.at(-1);
    if (last?.unit === 'second') last.count += rest;
    else parts.push({ count: rest, unit: 'second' });
  }
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only?.count === 1) {
    return `Every ${only.unit}`;
  }
  return `Every ${parts.map(({ count, unit }) => `${count} ${unit}${count === 1 ? '' : 's'}`).join(', ')}`;
}
