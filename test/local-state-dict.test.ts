import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..');

describe('SqliteStateDict', () => {
  let dir: string;
  let dict: SqliteStateDict;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-dict-'));
    dict = new SqliteStateDict(path.join(dir, 'state.db'));
  });
  afterEach(async () => {
    await dict.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores JSON values and reads them back, singly and in bulk', async () => {
    await dict.put('task:a', { status: 'QUEUED', n: 1 });
    await dict.put('task:b', [1, 'two']);
    expect(await dict.get('task:a')).toEqual({ status: 'QUEUED', n: 1 });
    expect(await dict.get('missing')).toBeUndefined();
    const many = await dict.getMany(['task:a', 'task:b', 'missing']);
    expect([...many.keys()].sort()).toEqual(['task:a', 'task:b']);
    expect(many.get('task:b')).toEqual([1, 'two']);
    await dict.put('task:a', 'replaced');
    expect(await dict.get('task:a')).toBe('replaced');
  });

  it('putIfAbsent writes only when the key is new; delete reports whether it existed', async () => {
    expect(await dict.putIfAbsent('lock', { owner: 'a' })).toBe(true);
    expect(await dict.putIfAbsent('lock', { owner: 'b' })).toBe(false);
    expect(await dict.get('lock')).toEqual({ owner: 'a' });
    expect(await dict.delete('lock')).toBe(true);
    expect(await dict.delete('lock')).toBe(false);
    expect(await dict.putIfAbsent('lock', { owner: 'b' })).toBe(true);
  });

  it('entries(prefix) returns exactly the keys with that prefix, in key order, treating % and _ literally', async () => {
    for (const key of ['task:x', 'task;', 'task', 'tas', 'task:a:b', 'cmd:1', 'a_b', 'a%b', 'axb', 'task:\u{10FFFF}']) {
      await dict.put(key, key);
    }
    expect((await dict.entries('task:')).map(([k]) => k)).toEqual(['task:a:b', 'task:x', 'task:\u{10FFFF}']);
    expect((await dict.entries('a_')).map(([k]) => k)).toEqual(['a_b']);
    expect((await dict.entries('a%')).map(([k]) => k)).toEqual(['a%b']);
    expect((await dict.entries('')).length).toBe(10);
    expect(await dict.entries('zzz')).toEqual([]);
  });

  it('getMany handles more keys than one statement can bind', async () => {
    const keys = Array.from({ length: 1200 }, (_, i) => `k:${String(i).padStart(4, '0')}`);
    for (const key of keys.filter((_, i) => i % 2 === 0)) await dict.put(key, 1);
    const found = await dict.getMany(keys);
    expect(found.size).toBe(600);
  });

  it('many processes racing putIfAbsent on one key: exactly one wins, and every write lands', async () => {
    const file = path.join(dir, 'race.db');
    // Create the file and table first so the racers only race on the key.
    await new SqliteStateDict(file).close();
    const module = path.join(repoRoot, 'dist/providers/local/state-dict.js');
    const script = `
      const { SqliteStateDict } = await import(${JSON.stringify(module)});
      const dict = new SqliteStateDict(process.argv[1]);
      const id = process.argv[2];
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await dict.putIfAbsent('race:' + i, id));
      await dict.put('writer:' + id, results);
      await dict.close();
    `;
    const racers = 8;
    await Promise.all(
      Array.from({ length: racers }, (_, i) => run(process.execPath, ['--input-type=module', '-e', script, file, `p${i}`])),
    );
    const check = new SqliteStateDict(file);
    const wins = new Array<number>(20).fill(0);
    const writers = await check.entries<boolean[]>('writer:');
    expect(writers).toHaveLength(racers);
    for (const [, results] of writers) results.forEach((won, i) => (wins[i] = (wins[i] ?? 0) + (won ? 1 : 0)));
    expect(wins).toEqual(new Array(20).fill(1));
    for (let i = 0; i < 20; i++) {
      const winner = writers.find(([, results]) => results[i])?.[0].slice('writer:'.length);
      expect(await check.get(`race:${i}`)).toBe(winner);
    }
    await check.close();
  });
});
