/**
 * Nothing piles up: command results expire from the state dict, payload files of task processes that never
 * started are removed, and task-processes.log is rotated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandResultKey } from '../src/executor/protocol.js';
import { PROCESS_LOG_MAX_BYTES, pruneStalePayloads, rotateProcessLog } from '../src/providers/local/housekeeping.js';
import { localEnvironmentPaths } from '../src/providers/local/paths.js';
import { LocalTaskSpawner } from '../src/providers/local/spawner.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';
import type { TaskPayload } from '../src/executor/protocol.js';
import { HOUSEKEEPING_KEY } from '../src/scheduler/housekeeping.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

describeEachBackend('command results', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('expire a day after they were applied; the command log keeps them', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('d', [task('t')]));
    await h.command({ id: 'pause-1', kind: 'pause', dag_id: 'd' });
    await h.tick();
    expect(h.dict.data.has(commandResultKey('pause-1'))).toBe(true);
    // A malformed result has no age: it goes at the next look.
    await h.dict.put(commandResultKey('junk'), 'not a result');

    h.clock.advance(11 * 60 * 1000);
    await h.tick();
    expect(h.dict.data.has(commandResultKey('pause-1'))).toBe(true);
    expect(h.dict.data.has(commandResultKey('junk'))).toBe(false);

    h.clock.advance(24 * 60 * 60 * 1000);
    await h.command({ id: 'pause-2', kind: 'unpause', dag_id: 'd' });
    await h.tick();
    expect(h.dict.data.has(commandResultKey('pause-1'))).toBe(false);
    expect(h.dict.data.has(commandResultKey('pause-2'))).toBe(true);
    expect(h.dict.data.has(HOUSEKEEPING_KEY)).toBe(true);
  });
});

describe('local environment folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-housekeeping-'));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('removes payload files older than an hour, and only those', () => {
    const payloads = path.join(dir, 'payloads');
    fs.mkdirSync(payloads, { recursive: true });
    const now = Date.now();
    for (const [name, ageMs] of [['old.json', 2 * 3600_000], ['fresh.json', 60_000], ['other.txt', 5 * 3600_000]] as const) {
      fs.writeFileSync(path.join(payloads, name), '{}');
      const at = new Date(now - ageMs);
      fs.utimesSync(path.join(payloads, name), at, at);
    }
    expect(pruneStalePayloads(payloads, now)).toBe(1);
    expect(fs.readdirSync(payloads).sort()).toEqual(['fresh.json', 'other.txt']);
    expect(pruneStalePayloads(path.join(dir, 'nowhere'), now)).toBe(0);
  });

  it('rotates task-processes.log past its size, keeping one previous file', () => {
    fs.mkdirSync(dir, { recursive: true });
    const log = path.join(dir, 'task-processes.log');
    fs.writeFileSync(log, 'x'.repeat(100));
    expect(rotateProcessLog(log, 1_000)).toBe(false);
    fs.writeFileSync(log, 'y'.repeat(1_001));
    expect(rotateProcessLog(log, 1_000)).toBe(true);
    expect(fs.existsSync(log)).toBe(false);
    expect(fs.readFileSync(`${log}.1`, 'utf8')).toBe('y'.repeat(1_001));
    fs.writeFileSync(log, 'z'.repeat(1_001));
    expect(rotateProcessLog(log, 1_000)).toBe(true);
    expect(fs.readFileSync(`${log}.1`, 'utf8')).toBe('z'.repeat(1_001));
  });
});

describe('the local spawner', () => {
  it('does its housekeeping when it starts a task process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-housekeeping-spawner-'));
    const paths = localEnvironmentPaths('hk', path.join(dir, 'home'));
    fs.mkdirSync(path.join(paths.root, 'payloads'), { recursive: true });
    const stale = path.join(paths.root, 'payloads', 'killed-before-reading.json');
    fs.writeFileSync(stale, '{}');
    const old = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(stale, old, old);
    const log = path.join(paths.root, 'task-processes.log');
    fs.writeFileSync(log, Buffer.alloc(PROCESS_LOG_MAX_BYTES + 1));
    const dict = new SqliteStateDict(paths.stateDict);
    const spawner = new LocalTaskSpawner({ paths, parallelism: 1, dict, command: [process.execPath, '-e', ''] });
    try {
      await spawner.spawn({ key: 'k', dag_id: 'd', task_id: 't', run_id: 'r', map_index: -1, try_number: 1 } as TaskPayload);
      expect(fs.existsSync(stale)).toBe(false);
      expect(fs.statSync(`${log}.1`).size).toBe(PROCESS_LOG_MAX_BYTES + 1);
      expect(fs.statSync(log).size).toBeLessThan(PROCESS_LOG_MAX_BYTES);
      expect(await spawner.waitForChildren(10_000)).toBe(true);
    } finally {
      await spawner.close();
      await dict.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
