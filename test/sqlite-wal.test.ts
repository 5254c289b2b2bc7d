/**
 * Both SQLite files the scheduler writes on every finished try (the metadata database and the local state
 * dict) journal the same way (src/db/sqlite-wal.ts): WAL, synchronous NORMAL, and a checkpoint (with its
 * fsyncs) every 10,000 WAL pages instead of SQLite's default 1,000.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteBackend } from '../src/db/sqlite.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-wal-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const PAGE = 4096;

it('the metadata database writes ahead, syncs at checkpoints only, and checkpoints every 10,000 pages', async () => {
  const db = new SqliteBackend({ file: path.join(dir, 'airflow.db') });
  try {
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await db.get('PRAGMA synchronous')).toEqual({ synchronous: 1 }); // NORMAL
    expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
    expect(await db.get('PRAGMA journal_size_limit')).toEqual({ journal_size_limit: 64 * 1024 * 1024 });
  } finally {
    await db.close();
  }
});

it('the state dict lets its WAL grow past 1,000 pages before a checkpoint starts it over', async () => {
  const file = path.join(dir, 'state.db');
  const dict = new SqliteStateDict(file);
  try {
    // 1,500 commits of one 3 KB value each write at least 1,500 WAL frames: with SQLite's default
    // checkpoint at 1,000 pages the WAL would have started over and stayed near 1,000 pages long.
    const value = 'x'.repeat(3000);
    for (let i = 0; i < 1500; i++) await dict.put(`task:${String(i).padStart(5, '0')}`, value);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(1_400 * PAGE);
    expect(await dict.get('task:00000')).toBe(value);
  } finally {
    await dict.close();
  }
});
