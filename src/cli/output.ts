/** Printing: tables (cli-table3) for people, JSON for scripts. Everything here writes to stdout. */
import Table from 'cli-table3';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(head: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void {
  const table = new Table({
    head,
    style: { head: [], border: [] },
    // No rule between body rows: long listings stay readable.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  process.stdout.write(`${table.toString()}\n`);
}

/** `2024-01-02T03:04:05.678Z` → `2024-01-02 03:04:05` (UTC: the column headers say so); empty for null. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '').replace(/\+00:00$/, '');
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${Math.round(seconds - minutes * 60)}s`;
}

/** `manifestsParsed` → `manifests_parsed`: JSON output uses snake_case keys, like Airflow's API. */
export function snakeCaseKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** `1 task`, `3 tasks`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** DAG warnings (arguments accepted but not acted on), one `warning:` line each on stderr: stdout stays the result. */
export function printWarnings(warnings: readonly string[] | undefined): void {
  for (const warning of warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
}
