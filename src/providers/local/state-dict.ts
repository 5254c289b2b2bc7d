/**
 * The local state dict: one SQLite file with one table, `kv(key PRIMARY KEY, value TEXT)`, shared by the
 * scheduler loop, every task process and the CLI. WAL lets readers run beside the one writer; busy_timeout
 * makes concurrent writers queue instead of failing. `putIfAbsent` is a single INSERT ... ON CONFLICT DO
 * NOTHING, so exactly one of many processes racing on a key wins (SQLite serialises writers).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { useWriteAheadLog } from '../../db/sqlite-wal.js';
import type { StateDict } from '../ports.js';

export interface SqliteStateDictOptions {
  busyTimeoutMs?: number;
}

/** SQLite caps bound parameters per statement; stay well below it. */
const MAX_KEYS_PER_QUERY = 500;

/**
 * The smallest string greater than every string starting with `prefix`, so `entries(prefix)` is an index
 * range scan (`key >= prefix AND key < upper`) rather than a LIKE, which would also misread `_` and `%`.
 * SQLite's default BINARY collation compares UTF-8 bytes, which orders like code points.
 */
function upperBound(prefix: string): string | null {
  const codePoints = [...prefix];
  while (codePoints.length > 0) {
    const last = codePoints.pop() as string;
    const next = (last.codePointAt(0) as number) + 1;
    // Skip the surrogate range and stop at the last code point: neither has a successor we can write.
    if (next <= 0x10ffff && (next < 0xd800 || next > 0xdfff)) {
      return codePoints.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

export class SqliteStateDict implements StateDict {
  private readonly db: Database.Database;
  private readonly getStatement: Database.Statement<[string], { value: string }>;
  private readonly putStatement: Database.Statement<[string, string]>;
  private readonly putIfAbsentStatement: Database.Statement<[string, string]>;
  private readonly deleteStatement: Database.Statement<[string]>;
  private readonly rangeStatement: Database.Statement<[string, string], { key: string; value: string }>;
  private readonly fromStatement: Database.Statement<[string], { key: string; value: string }>;

  constructor(
    readonly file: string,
    options: SqliteStateDictOptions = {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    try {
      this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 15_000}`);
      useWriteAheadLog(this.db);
      this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    } catch (error) {
      this.db.close();
      // SQLite's "file is not a database" does not say which file: the state dict, here.
      throw new Error(`cannot open the state dict ${file}: ${(error as Error).message}`, { cause: error });
    }
    this.getStatement = this.db.prepare('SELECT value FROM kv WHERE key = ?');
    this.putStatement = this.db.prepare(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.putIfAbsentStatement = this.db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
    this.deleteStatement = this.db.prepare('DELETE FROM kv WHERE key = ?');
    this.rangeStatement = this.db.prepare('SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key');
    this.fromStatement = this.db.prepare('SELECT key, value FROM kv WHERE key >= ? ORDER BY key');
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const row = this.getStatement.get(key);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += MAX_KEYS_PER_QUERY) {
      const chunk = unique.slice(start, start + MAX_KEYS_PER_QUERY);
      const rows = this.db
        .prepare(`SELECT key, value FROM kv WHERE key IN (${chunk.map(() => '?').join(', ')})`)
        .all(...chunk) as Array<{ key: string; value: string }>;
      for (const row of rows) found.set(row.key, JSON.parse(row.value) as T);
    }
    return found;
  }

  async put(key: string, value: unknown): Promise<void> {
    this.putStatement.run(key, serialise(value));
  }

  async putIfAbsent(key: string, value: unknown): Promise<boolean> {
    return this.putIfAbsentStatement.run(key, serialise(value)).changes === 1;
  }

  async delete(key: string): Promise<boolean> {
    return this.deleteStatement.run(key).changes > 0;
  }

  async entries<T = unknown>(prefix: string): Promise<Array<[string, T]>> {
    const upper = upperBound(prefix);
    const rows = upper === null ? this.fromStatement.all(prefix) : this.rangeStatement.all(prefix, upper);
    return rows.filter((row) => row.key.startsWith(prefix)).map((row) => [row.key, JSON.parse(row.value) as T]);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function serialise(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('state dict values must be JSON-serialisable (got undefined)');
  return text;
}
