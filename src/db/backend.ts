/**
 * The one narrow database port (STYLE 4): run a statement, run a transaction, take a named lock.
 * Queries use `?` placeholders and portable SQL (ON CONFLICT upserts, RETURNING); dialect differences
 * (placeholders, booleans, JSON, timestamps) live only in the two backends, so rows look the same on both:
 * timestamps are ISO-8601 UTC strings (`Date#toISOString`), JSON columns are strings, counts are numbers,
 * flags are 0/1 or booleans (read them with `Boolean(...)`).
 */
export type SqlParam = string | number | boolean | null;
export type Row = Record<string, unknown>;

export interface Queryable {
  all<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
}

export interface DatabaseBackend extends Queryable {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the database is, safe to print (a file path, or host:port/db with credentials removed). */
  readonly description: string;
  /** Runs `fn` in one transaction; commits if it resolves, rolls back if it throws. Not re-entrant. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Optional: runs `fn`, whose statements go through this backend as usual, as one transaction (its
   * `transaction` calls become savepoints); commits if it resolves, rolls back everything if it throws.
   * For a backend where each commit and each statement's locking cost more than the work (SQLite: WAL
   * frames and POSIX locks per autocommit statement), so a short pass of many small steps commits once.
   * Nothing else may use the backend meanwhile.
   */
  batch?<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Takes the named lock without waiting; false if another holder has it. SQLite: a lease row with expiry
   * (taken over once expired, in one transaction); Postgres: a session advisory lock on a dedicated connection.
   */
  acquireLock(name: string, options: { owner: string; ttlMs: number; now: Date }): Promise<boolean>;
  /** True while this backend still holds the lock (a lease can expire, a connection can die). */
  holdsLock(name: string, now: Date): Promise<boolean>;
  releaseLock(name: string): Promise<void>;
  /** Applies pending numbered migrations; safe when several processes migrate at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** A database error the caller may retry (STYLE 11): SQLITE_BUSY/LOCKED, pg 40001/40P01/57P03. */
export class TransientDatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientDatabaseError';
  }
}

/** The database cannot be reached or opened; the message names where, never credentials. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}
