/**
 * Dispatch under crashes: a try is never lost and never run twice. "Crashes" are thrown from inside the
 * tick at the exact point a process could die; the next tick runs with healthy ports.
 */
import { afterEach, expect, it } from 'vitest';
import { claimKey, taskKey } from '../src/executor/protocol.js';
import type { TaskPayload, TaskRecord } from '../src/executor/protocol.js';
import { runTick } from '../src/scheduler/tick.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

class Crash extends Error {}

describeEachBackend('dispatch', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  async function setup() {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('d', [task('t')]));
    await h.trigger('d', 'manual__1');
  }

  it('a crash after the dispatch record and before the spawn: the next tick adopts and spawns it once', async () => {
    await setup();
    const dict = h.dict;
    const crashingDict = Object.create(dict) as typeof dict;
    crashingDict.putIfAbsent = async (key: string, value: unknown) => {
      const created = await dict.putIfAbsent(key, value);
      if (key.startsWith('task:')) throw new Crash('process died after putIfAbsent');
      return created;
    };
    await expect(
      runTick({ db: h.db, dict: crashingDict, spawner: h.spawner, clock: h.clock, config: h.config, volume: h.volume, owner: 'crashy' }),
    ).rejects.toThrow(Crash);
    expect(h.spawner.spawned).toHaveLength(0);
    expect((await h.tis('d', 'manual__1')).t).toMatchObject({ state: 'scheduled', try_number: 1 });
    const written = (await dict.get<TaskRecord>(taskKey({ dag_id: 'd', task_id: 't', run_id: 'manual__1', map_index: -1, try_number: 1 })))!;

    h.clock.advance(61_000); // the crashed tick's lease has expired
    const next = await h.tick();
    expect(next.adopted).toBe(1);
    expect(h.spawner.spawned).toHaveLength(1);
    expect(h.spawner.spawned[0]!.token).toBe(written.token);
    expect((await h.tis('d', 'manual__1')).t).toMatchObject({ state: 'queued', dispatch_token: written.token });

    await h.tick();
    expect(h.spawner.spawned).toHaveLength(1);
    await h.report(h.spawner.spawned[0]!, 'SUCCESS');
    await h.tick();
    expect((await h.tis('d', 'manual__1')).t!.state).toBe('success');
    expect((await h.run('d', 'manual__1'))!.state).toBe('success');
  });

  it('a crash after the spawn and before the commit: a claimed try is adopted without a second spawn', async () => {
    await setup();
    let spawned = 0;
    const db = h.db;
    const crashingDb = Object.create(db) as typeof db;
    crashingDb.holdsLock = async (name: string, now: Date) => {
      if (h.spawner.spawned.length > spawned) throw new Crash('process died after spawn');
      return db.holdsLock.call(crashingDb, name, now);
    };
    await expect(
      runTick({ db: crashingDb, dict: h.dict, spawner: h.spawner, clock: h.clock, config: h.config, volume: h.volume, owner: 'crashy' }),
    ).rejects.toThrow(Crash);
    spawned = h.spawner.spawned.length;
    expect(spawned).toBe(1);
    // The task function started meanwhile: it claimed the try and reports RUNNING.
    await h.report(h.spawner.spawned[0]!, 'RUNNING');
    h.clock.advance(61_000);
    await h.tick();
    await h.report(h.spawner.spawned[0]!, 'RUNNING');
    await h.tick();
    expect((await h.tis('d', 'manual__1')).t!.state).toBe('running');
    expect(h.spawner.spawned).toHaveLength(1);
  });

  it('an unclaimed adopted try spawned twice still runs once: the claim admits one task function', async () => {
    await setup();
    const db = h.db;
    const crashingDb = Object.create(db) as typeof db;
    crashingDb.holdsLock = async (name: string, now: Date) => {
      if (h.spawner.spawned.length > 0) throw new Crash('process died after spawn');
      return db.holdsLock.call(crashingDb, name, now);
    };
    await expect(
      runTick({ db: crashingDb, dict: h.dict, spawner: h.spawner, clock: h.clock, config: h.config, volume: h.volume, owner: 'crashy' }),
    ).rejects.toThrow(Crash);
    h.clock.advance(61_000);
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(2);
    const [a, b] = h.spawner.spawned as [TaskPayload, TaskPayload];
    expect(b.token).toBe(a.token);
    const claim = { token: a.token, call_id: null, claimed_at: h.clock.now().toISOString() };
    const winners = [await h.dict.putIfAbsent(claimKey(a), claim), await h.dict.putIfAbsent(claimKey(b), claim)];
    expect(winners.filter(Boolean)).toHaveLength(1);
  });

  it('a spawn that throws leaves the try scheduled, deletes its record, and the next tick spawns it once', async () => {
    await setup();
    const spawn = h.spawner.spawn.bind(h.spawner);
    h.spawner.spawn = async () => {
      throw new Error('provider unavailable');
    };
    const first = await h.tick();
    expect(first.spawnErrors).toBe(1);
    expect((await h.tis('d', 'manual__1')).t).toMatchObject({ state: 'scheduled', try_number: 1 });
    expect([...h.dict.data.keys()].filter((k) => k.startsWith('task:'))).toEqual([]);
    h.spawner.spawn = spawn;
    await h.tick();
    await h.tick();
    expect(h.spawner.spawned.map((p) => p.try_number)).toEqual([1]);
    expect((await h.tis('d', 'manual__1')).t!.state).toBe('queued');
  });

  it('a stale report of an older try is deleted and changes nothing', async () => {
    await setup();
    await h.tick();
    const payload = h.spawner.spawned[0]!;
    const stale = { ...payload, try_number: 0 };
    await h.dict.put(taskKey(stale), { ...stale, status: 'SUCCESS', token: 'old', queued_at: h.clock.now().toISOString() });
    await h.tick();
    expect(h.dict.data.has(taskKey(stale))).toBe(false);
    expect((await h.tis('d', 'manual__1')).t!.state).toBe('queued');
  });
});
