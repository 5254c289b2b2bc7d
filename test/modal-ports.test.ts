/**
 * The Modal ports (state dict, volume client, spawner, lease) against the in-process fake of Modal's API.
 * Every call goes through the real JS SDK client; only the transport is replaced.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Status } from 'nice-grpc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEDULER_LOCK_KEY, TICK_REQUESTED_KEY } from '../src/executor/protocol.js';
import type { TaskPayload } from '../src/executor/protocol.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import {
  ModalAuthError,
  ModalEnvironmentNotFoundError,
  ModalUnavailableError,
  UnsupportedVolumeVersionError,
} from '../src/providers/modal/errors.js';
import { downloadDatabaseCopy } from '../src/providers/modal/database.js';
import { DictSchedulerLease, leaseTtlMs } from '../src/providers/modal/lease.js';
import { ModalTaskSpawner } from '../src/providers/modal/spawner.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import { ModalVolumeClient, VOLUME_BLOCK_SIZE, splitIntoBlocks } from '../src/providers/modal/volume-client.js';
import { pickleString, readWake, unpickleString, writeWake } from '../src/providers/modal/wake.js';
import { FakeModal } from './fakes/modal-api.js';
import { ManualClock } from './fakes/ports.js';

/** CPython's own pickle of a str, protocol 4, as Modal's `serialize` writes Dict keys and values. */
function pythonPickle(text: string): string {
  return execFileSync('python3', ['-c', 'import pickle, sys; sys.stdout.write(pickle.dumps(sys.argv[1], protocol=4).hex())', text], {
    encoding: 'utf8',
  });
}

let fake: FakeModal;
let connection: ModalConnection;

beforeEach(async () => {
  fake = await new FakeModal().start();
  connection = new ModalConnection({
    tokenId: 'ak-test',
    tokenSecret: 'as-test',
    grpcMiddleware: [fake.middleware],
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
  });
});

afterEach(async () => {
  connection.close();
  await fake.close();
});

describe('ModalStateDict', () => {
  it('stores JSON values under UTF-8 keys and reads them back', async () => {
    const dict = await ModalStateDict.open(connection, 'airflow-state-dev', { create: true });
    await dict.put('task:a:b:run:1:-1:1', { status: 'QUEUED', n: 1 });
    expect(await dict.get('task:a:b:run:1:-1:1')).toEqual({ status: 'QUEUED', n: 1 });
    expect(await dict.get('missing')).toBeUndefined();
    // The bytes on Modal are plain UTF-8 JSON: nothing else reads this Dict.
    const stored = [...fake.dictByName('airflow-state-dev')!.data.values()][0]!;
    expect(Buffer.from(stored.key).toString()).toBe('task:a:b:run:1:-1:1');
    expect(JSON.parse(Buffer.from(stored.value).toString())).toEqual({ status: 'QUEUED', n: 1 });
  });

  it('putIfAbsent writes once; delete reports whether the key existed', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    expect(await dict.putIfAbsent('k', 1)).toBe(true);
    expect(await dict.putIfAbsent('k', 2)).toBe(false);
    expect(await dict.get('k')).toBe(1);
    expect(await dict.delete('k')).toBe(true);
    expect(await dict.delete('k')).toBe(false);
    expect(fake.rpcLog.filter((m) => m === 'DictUpdate')).toHaveLength(2);
    expect(fake.requests.find((r) => r.method === 'DictUpdate')!.request.ifNotExists).toBe(true);
  });

  it('many concurrent putIfAbsent on one key: exactly one winner, and its value stays', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    const others = await Promise.all(
      Array.from({ length: 5 }, () => ModalStateDict.open(connection, 'd', { create: false })),
    );
    const contenders = [dict, ...others].flatMap((d, i) =>
      Array.from({ length: 10 }, (_, j) => d.putIfAbsent('lock', { owner: `${i}-${j}` }).then((won) => ({ won, owner: `${i}-${j}` }))),
    );
    const results = await Promise.all(contenders);
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(await dict.get('lock')).toEqual({ owner: winners[0]!.owner });
  });

  it('putIfAbsent whose reply was lost: the SDK retries the write inside one call, and the read-back counts it as ours', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    // The write lands, its reply is lost, the SDK's retry middleware repeats it (same idempotency key):
    // the server answers `created: false` to our own write.
    fake.loseReplyNext('DictUpdate');
    expect(await dict.putIfAbsent('fresh', { token: 'mine' })).toBe(true);
    const updates = fake.requests.filter((r) => r.method === 'DictUpdate');
    expect(updates).toHaveLength(2);
    // A rival's value under the key is still a loss, lost reply or not.
    await dict.put('taken', { token: 'theirs' });
    fake.loseReplyNext('DictUpdate');
    expect(await dict.putIfAbsent('taken', { token: 'mine' })).toBe(false);
    expect(await dict.get('taken')).toEqual({ token: 'theirs' });
  });

  it('runs under the SDK auth middleware: one auth token exchange, the token in every call, a rejected token is one clear error', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    await dict.put('k', 1);
    expect(fake.authTokenGets).toBe(1);
    fake.rejectToken('ak-revoked');
    const revoked = new ModalConnection({ tokenId: 'ak-revoked', tokenSecret: 'as-revoked', grpcMiddleware: [fake.middleware] });
    const error = await ModalStateDict.open(revoked, 'd', { create: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalAuthError);
    expect((error as Error).message).not.toContain('as-revoked');
    revoked.close();
  });

  it('skips a foreign (pickled) entry with one warning instead of failing every read of the Dict', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) };
    const dict = await ModalStateDict.open(connection, 'd', { create: true, logger });
    await dict.put('task:a', 1);
    // What `modal dict put d task:b 1` or Python's `d["task:b"] = 1` stores: pickles, not UTF-8 JSON.
    fake.putForeign(fake.dictByName('d')!, pickleString('task:b'), Buffer.from('80044b012e', 'hex'));
    fake.putForeign(fake.dictByName('d')!, Buffer.from('task:c'), Buffer.from('80044b012e', 'hex'));
    expect(await dict.entries('task:')).toEqual([['task:a', 1]]);
    expect(await dict.entries('task:')).toEqual([['task:a', 1]]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/not UTF-8 JSON/);
  });

  it('the wake entry is a pickled str key and value, readable by Python modal.Dict.get', async () => {
    expect(Buffer.from(pickleString('airflow-serverless:wake')).toString('hex')).toBe(
      pythonPickle('airflow-serverless:wake'),
    );
    const long = JSON.stringify({ due_at: 'x'.repeat(300) });
    expect(Buffer.from(pickleString(long)).toString('hex')).toBe(pythonPickle(long));
    expect(unpickleString(pickleString(long))).toBe(long);
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    await writeWake(dict, new Date('2024-01-01T00:00:00Z'));
    expect(await readWake(dict)).toEqual({ due_at: '2024-01-01T00:00:00.000Z' });
    // Our own entries() never trips over it.
    expect(await dict.entries('')).toEqual([]);
  });

  it('entries(prefix) filters the streamed contents and sorts by key', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    for (const k of ['task:b', 'cmd:1', 'task:a', 'task:c', 'taskx']) await dict.put(k, k.length);
    expect(await dict.entries('task:')).toEqual([
      ['task:a', 6],
      ['task:b', 6],
      ['task:c', 6],
    ]);
    const many = await dict.getMany(['task:a', 'nope', 'cmd:1']);
    expect([...many.entries()]).toEqual([
      ['task:a', 6],
      ['cmd:1', 5],
    ]);
  });

  it('opening a missing Dict without create says to run create', async () => {
    await expect(ModalStateDict.open(connection, 'airflow-state-nope', { create: false })).rejects.toThrow(
      /^environment not found: run create/,
    );
    await expect(ModalStateDict.open(connection, 'x', { create: false })).rejects.toBeInstanceOf(ModalEnvironmentNotFoundError);
  });
});

describe('error mapping and retries', () => {
  it('retries UNAVAILABLE and succeeds when Modal recovers (the SDK retries unary calls, we retry streams)', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    fake.failNext('DictGet', Status.UNAVAILABLE, 2);
    await dict.put('k', 'v');
    expect(await dict.get('k')).toBe('v');
    expect(fake.rpcLog.filter((m) => m === 'DictGet')).toHaveLength(3);
    fake.failNext('DictContents', Status.UNAVAILABLE, 2);
    expect(await dict.entries('')).toEqual([['k', 'v']]);
    expect(fake.rpcLog.filter((m) => m === 'DictContents')).toHaveLength(3);
  });

  it('a unary call that stays unavailable fails after the SDK retries, without our retries on top (4 attempts, not 16)', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    fake.failNext('DictGet', Status.UNAVAILABLE, 100);
    const error = await dict.get('k').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Modal is unavailable \(DictGet failed 4 times: .*\)/);
    expect(fake.rpcLog.filter((m) => m === 'DictGet')).toHaveLength(4);
  });

  it('gives up after the retry budget with a clear message', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    fake.failNext('DictContents', Status.UNAVAILABLE, 10);
    const error = await dict.entries('').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalUnavailableError);
    expect((error as Error).message).toMatch(/^Modal is unavailable \(DictContents failed 3 times: .*\); check https:\/\/status\.modal\.com/);
  });

  it('maps UNAUTHENTICATED and PERMISSION_DENIED to one credentials message, without retrying', async () => {
    fake.failNext('DictGetOrCreate', Status.UNAUTHENTICATED, 1);
    const error = await ModalStateDict.open(connection, 'd', { create: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalAuthError);
    expect((error as Error).message).toMatch(/^Modal rejected the credentials/);
    expect((error as Error).message).not.toContain('as-test');
    fake.failNext('VolumeGetOrCreate', Status.PERMISSION_DENIED, 1);
    await expect(ModalVolumeClient.open(connection, 'v', { create: true })).rejects.toBeInstanceOf(ModalAuthError);
    expect(fake.rpcLog.filter((m) => m === 'VolumeGetOrCreate')).toHaveLength(1);
  });
});

describe('ModalVolumeClient', () => {
  it('the CLI reads the database as one snapshot: one download of one file, no journal paired from another moment', async () => {
    const { SqliteBackend } = await import('../src/db/sqlite.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-cli-db-'));
    try {
      const file = path.join(dir, 'src.db');
      const db = new SqliteBackend({ file, journalMode: 'delete' });
      await db.run('CREATE TABLE t (x INTEGER)');
      await db.run('INSERT INTO t VALUES (1)');
      await db.close();
      const volume = await ModalVolumeClient.open(connection, 'v', { create: true });
      await volume.put('data/airflow.db', fs.readFileSync(file));
      // A journal from another moment (an older version kept the database open on the volume).
      await volume.put('data/airflow.db-journal', Buffer.alloc(512, 7));
      const before = fake.rpcLog.length;
      const copy = await downloadDatabaseCopy(volume, path.join(dir, 'copy', 'airflow.db'));
      expect(fake.rpcLog.slice(before)).toEqual(['VolumeGetFile2']);
      expect(await copy!.get('SELECT x FROM t')).toEqual({ x: 1 });
      await copy!.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a v2 volume and round-trips small files, listing and removing them', async () => {
    const volume = await ModalVolumeClient.open(connection, 'airflow-dags-dev', { create: true });
    expect(fake.volumeByName('airflow-dags-dev')!.version).toBe(2);
    await volume.put('dags/a.yaml', Buffer.from('a: 1\n'));
    await volume.put('dags/sub/b.yaml', Buffer.from('b: 2\n'));
    await volume.put('logs/x.log', Buffer.from(''));
    expect(Buffer.from((await volume.get('dags/a.yaml'))!).toString()).toBe('a: 1\n');
    expect((await volume.get('logs/x.log'))!.length).toBe(0);
    expect(await volume.get('dags/missing.yaml')).toBeUndefined();
    const listed = await volume.list('dags');
    expect(listed.map((e) => [e.path, e.type, e.size])).toEqual([
      ['dags/a.yaml', 'file', 5],
      ['dags/sub', 'directory', 0],
      ['dags/sub/b.yaml', 'file', 5],
    ]);
    expect((await volume.list('dags/a.yaml')).map((e) => e.path)).toEqual(['dags/a.yaml']);
    expect(await volume.list('nothing-here')).toEqual([]);
    expect(await volume.remove('dags/sub')).toBe(true);
    expect(await volume.remove('dags/sub')).toBe(false);
    expect((await volume.list('')).map((e) => e.path)).toEqual(['dags', 'dags/a.yaml', 'logs', 'logs/x.log']);
    await expect(volume.remove('')).rejects.toThrow(/volume root/);
    await expect(volume.put('../escape', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });

  it('uploads a multi-block file (> 8 MiB) block by block and reads it back byte for byte', async () => {
    const volume = await ModalVolumeClient.open(connection, 'v', { create: true });
    const size = VOLUME_BLOCK_SIZE * 2 + 12345;
    const data = crypto.randomBytes(size);
    // A run of zeros at the end of the first block: Modal hashes and stores blocks without trailing zeros.
    data.fill(0, VOLUME_BLOCK_SIZE - 1000, VOLUME_BLOCK_SIZE);
    await volume.put('data/big.bin', data);
    expect(fake.blockUploads).toBe(3);
    const putCalls = fake.requests.filter((r) => r.method === 'VolumePutFiles2');
    expect(putCalls).toHaveLength(2);
    const second = (putCalls[1]!.request.files as Array<{ blocks: Array<{ putResponse?: Uint8Array }> }>)[0]!;
    expect(second.blocks.every((b) => b.putResponse !== undefined)).toBe(true);
    const back = await volume.get('data/big.bin');
    expect(Buffer.from(back!).equals(data)).toBe(true);
    // Same content again: every block is already there, one round, nothing uploaded.
    await volume.put('data/copy.bin', data);
    expect(fake.blockUploads).toBe(3);
    expect(fake.requests.filter((r) => r.method === 'VolumePutFiles2')).toHaveLength(3);
  });

  it('hashes blocks the way Modal identifies them', () => {
    const data = Buffer.concat([Buffer.from('abc'), Buffer.alloc(5)]);
    const [block] = splitIntoBlocks(data);
    expect(block!.end).toBe(3);
    expect(Buffer.from(block!.sha256).toString('hex')).toBe(crypto.createHash('sha256').update('abc').digest('hex'));
    expect(splitIntoBlocks(new Uint8Array())).toEqual([]);
  });

  it('refuses a v1 volume with a clear message, and a missing one with run create', async () => {
    fake.createVolume('old', 1);
    await expect(ModalVolumeClient.open(connection, 'old', { create: false })).rejects.toBeInstanceOf(UnsupportedVolumeVersionError);
    await expect(ModalVolumeClient.open(connection, 'old', { create: false })).rejects.toThrow(/v1 volume, which is unsupported/);
    await expect(ModalVolumeClient.open(connection, 'gone', { create: false })).rejects.toThrow(/^environment not found: run create/);
  });
});

function payload(): TaskPayload {
  return {
    key: 'task:d:t:r:-1:1',
    token: 'tok',
    dag_id: 'd',
    task_id: 't',
    run_id: 'manual__2024-01-01T00:00:00+00:00',
    map_index: -1,
    try_number: 1,
    max_tries: 1,
    dag: { dag_id: 'd', fileloc: 'dags/d.yaml', owners: ['airflow'], params: {}, tags: [], timezone: 'UTC', render_template_as_native_obj: false },
    // A payload well over the 8 KiB inline limit goes through the blob upload path.
    task: { task_id: 't', operator: 'BashOperator', bash_command: 'echo ' + 'x'.repeat(20_000) } as never,
    run: {
      run_id: 'manual__2024-01-01T00:00:00+00:00',
      run_type: 'manual',
      logical_date: null,
      data_interval_start: null,
      data_interval_end: null,
      run_after: '2024-01-01T00:00:00.000Z',
      start_date: null,
      conf: { big: 2 ** 40, missing: null },
    },
    timeout_seconds: 60,
    heartbeat_seconds: 10,
  };
}

describe('ModalTaskSpawner', () => {
  it('spawns run_task with the payload as one JSON string and cancels by call id', async () => {
    fake.deployApp('airflow-serverless-dev', ['tick', 'run_task', 'ui']);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    fake.onFunction('run_task', (_args, _kwargs, ctx) => {
      started();
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(null)));
    });
    const dict = await ModalStateDict.open(connection, 'airflow-state-dev', { create: true });
    const spawner = new ModalTaskSpawner(connection, 'airflow-serverless-dev', dict);
    const callId = await spawner.spawn(payload());
    await running;
    const call = fake.functionCalls.get(callId)!;
    expect(call.functionName).toBe('run_task');
    expect(JSON.parse(call.args[0] as string)).toEqual(payload());
    expect(fake.rpcLog).toContain('BlobCreate');
    await spawner.cancel(callId);
    expect(call.status).toBe('cancelled');
    expect(call.cancelTerminatedContainers).toBe(true);
    await spawner.cancel('fc-unknown'); // gone already: not an error
  });

  it('requestTick spawns tick once per pending request, however many ask at once', async () => {
    fake.deployApp('airflow-serverless-dev', ['tick', 'run_task', 'ui']);
    const dict = await ModalStateDict.open(connection, 'airflow-state-dev', { create: true });
    const clock = new ManualClock('2024-01-01T00:00:00Z');
    const spawner = new ModalTaskSpawner(connection, 'airflow-serverless-dev', dict, clock);
    await Promise.all(Array.from({ length: 8 }, () => spawner.requestTick()));
    expect(fake.callsOf('tick')).toHaveLength(1);
    expect(await dict.get(TICK_REQUESTED_KEY)).toMatchObject({ requested_at: '2024-01-01T00:00:00.000Z' });
    // Every request marks the wake entry due, gate open or not.
    expect(await readWake(dict)).toEqual({ due_at: '2024-01-01T00:00:00.000Z' });
    // The tick clears the gate when it starts; the next request starts another tick.
    await dict.delete(TICK_REQUESTED_KEY);
    await spawner.requestTick();
    expect(fake.callsOf('tick')).toHaveLength(2);
    // A request whose tick never ran (gate left behind) is replaced once it is stale.
    clock.advance(6 * 60_000);
    await spawner.requestTick();
    expect(fake.callsOf('tick')).toHaveLength(3);
  });

  it('an app deployed by a modal CLI older than 1.2 is one clear line, not the SDK\'s message', async () => {
    fake.deployApp('airflow-serverless-dev', ['tick', 'run_task', 'ui'], '', { inputFormats: [1] });
    const dict = await ModalStateDict.open(connection, 'airflow-state-dev', { create: true });
    const spawner = new ModalTaskSpawner(connection, 'airflow-serverless-dev', dict);
    await expect(spawner.spawn(payload())).rejects.toThrow(
      /^the app on Modal was deployed by a modal CLI older than 1\.2, which this runtime cannot call: run `airflow-serverless create` again with modal >= 1\.4\.0$/,
    );
  });

  it('reopens the gate when the spawn fails, and names a missing app as run create', async () => {
    const dict = await ModalStateDict.open(connection, 'airflow-state-dev', { create: true });
    const spawner = new ModalTaskSpawner(connection, 'airflow-serverless-dev', dict);
    await expect(spawner.requestTick()).rejects.toThrow(/^environment not found: run create/);
    expect(await dict.get(TICK_REQUESTED_KEY)).toBeUndefined();
    await expect(spawner.spawn(payload())).rejects.toBeInstanceOf(ModalEnvironmentNotFoundError);
  });
});

describe('DictSchedulerLease', () => {
  it('one holder at a time; an expired lease is taken over; release leaves others alone', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    const clock = new ManualClock('2024-01-01T00:00:00Z');
    const a = new DictSchedulerLease(dict, 'tick-a', 60_000, clock);
    const b = new DictSchedulerLease(dict, 'tick-b', 60_000, clock);
    const first = await Promise.all([a.acquire(), b.acquire()]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const [holder, other] = first[0] ? [a, b] : [b, a];
    expect(await holder.held()).toBe(true);
    expect(await other.acquire()).toBe(false);
    await other.release(); // not ours: must not remove it
    expect(await holder.held()).toBe(true);
    clock.advance(61_000);
    expect(await holder.held()).toBe(false);
    expect(await holder.renew()).toBe(false);
    expect(await other.acquire()).toBe(true);
    expect((await dict.get<{ owner: string }>(SCHEDULER_LOCK_KEY))!.owner).toBe(other.owner);
    await other.release();
    expect(await dict.get(SCHEDULER_LOCK_KEY)).toBeUndefined();
  });
});

describe('DictSchedulerLease lifetime (issue 12)', () => {
  it('the TTL comes from the tick timeout and is short; renewal keeps a working tick; a silent one expires within the TTL', async () => {
    expect(leaseTtlMs(600)).toBe(90_000);
    expect(leaseTtlMs(10)).toBe(40_000);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const dict = await ModalStateDict.open(connection, 'd', { create: true });
      const clock = new ManualClock('2024-01-01T00:00:00Z');
      const worker = new DictSchedulerLease(dict, 'tick-a', leaseTtlMs(600), clock, { tickTimeoutMs: 600_000 });
      expect(await worker.acquire()).toBe(true);
      worker.startRenewing();
      for (let i = 0; i < 4; i++) {
        clock.advance(30_000);
        const before = (await dict.get<{ expires_at: string }>(SCHEDULER_LOCK_KEY))!.expires_at;
        vi.advanceTimersByTime(30_000);
        await vi.waitFor(async () => expect((await dict.get<{ expires_at: string }>(SCHEDULER_LOCK_KEY))!.expires_at).not.toBe(before));
      }
      // Two minutes in, still ours: renewed.
      expect(await worker.held()).toBe(true);
      // The tick dies (no more renewals): another tick takes over within one TTL, not 11 minutes.
      worker.stopRenewing();
      const next = new DictSchedulerLease(dict, 'tick-b', leaseTtlMs(600), clock, { tickTimeoutMs: 600_000 });
      expect(await next.acquire()).toBe(false);
      clock.advance(leaseTtlMs(600) + 1);
      expect(await next.acquire()).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('renewals never outlive the tick timeout; a lease of our own preempted call is taken over at once', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    const clock = new ManualClock('2024-01-01T00:00:00Z');
    const stuck = new DictSchedulerLease(dict, 'tick-a', 90_000, clock, { callId: 'fc-1', tickTimeoutMs: 60_000 });
    expect(await stuck.acquire()).toBe(true);
    clock.advance(80_000);
    expect(await stuck.renew()).toBe(true);
    // expires_at is capped at start + timeout + grace (90 s), not now + TTL (170 s).
    expect((await dict.get<{ expires_at: string }>(SCHEDULER_LOCK_KEY))!.expires_at).toBe('2024-01-01T00:01:30.000Z');
    const redelivered = new DictSchedulerLease(dict, 'tick-a2', 90_000, clock, { callId: 'fc-1', tickTimeoutMs: 60_000 });
    const stranger = new DictSchedulerLease(dict, 'tick-b', 90_000, clock, { callId: 'fc-2', tickTimeoutMs: 60_000 });
    expect(await stranger.acquire()).toBe(false);
    expect(await redelivered.acquire()).toBe(true);
  });
});
