import { describe, expect, it } from 'vitest';
import { SqliteBackend } from '../src/db/sqlite.js';

describe('SqliteBackend', () => {
  it('migrates an empty database and is idempotent', async () => {
    const db = new SqliteBackend({ file: ':memory:' });
    await db.migrate();
    await db.migrate();
    const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['dag', 'dag_run', 'task_instance', 'serialized_dag', 'import_error', 'dag_file', 'command_log', 'migration']),
    );
    await db.close();
  });

  it('leases a lock, refuses a second owner until it expires', async () => {
    const db = new SqliteBackend({ file: ':memory:' });
    await db.migrate();
    const now = new Date('2024-01-01T00:00:00Z');
    expect(await db.acquireLock('scheduler', { owner: 'a', ttlMs: 1000, now })).toBe(true);
    expect(await db.acquireLock('scheduler', { owner: 'b', ttlMs: 1000, now })).toBe(false);
    const later = new Date(now.getTime() + 1500);
    expect(await db.acquireLock('scheduler', { owner: 'b', ttlMs: 1000, now: later })).toBe(true);
    await db.close();
  });
});
