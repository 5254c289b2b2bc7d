/**
 * The Modal ports (state dict, volume client, spawner, lease) against the in-process fake of Modal's API.
 * Every call goes through the real JS SDK client; only the transport is replaced.
 */
import crypto from 'node:crypto';
import { Status } from 'nice-grpc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEDULER_LOCK_KEY, TICK_REQUESTED_KEY } from '../src/executor/protocol.js';
import type { TaskPayload } from '../src/executor/protocol.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import {
  ModalAuthError,
  ModalEnvironmentNotFoundError,
  ModalUnavailableError,
  UnsupportedVolumeVersionError,
} from '../src/providers/modal/errors.js';
import { DictSchedulerLease } from '../src/providers/modal/lease.js';
import { ModalTaskSpawner } from '../src/providers/modal/spawner.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import { ModalVolumeClient, VOLUME_BLOCK_SIZE, splitIntoBlocks } from '../src/providers/modal/volume-client.js';
import { FakeModal } from './fakes/modal-api.js';
import { ManualClock } from './fakes/ports.js';

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

  it('putIfAbsent retried after UNAVAILABLE counts our own earlier write as a win, and a rival write as a loss', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    await dict.put('taken', { token: 'theirs' });
    fake.failNext('DictUpdate', Status.UNAVAILABLE, 1);
    expect(await dict.putIfAbsent('taken', { token: 'mine' })).toBe(false);
    // Our write landed, then the answer was lost: the retry sees the key, reads it back, and finds our bytes.
    const original = fake.middleware;
    let dropped = false;
    const lossy = new ModalConnection({
      tokenId: 'x',
      tokenSecret: 'y',
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      grpcMiddleware: [
        (async function* (call: { method: { path: string } }, options: unknown) {
          const result = yield* (original as unknown as (c: unknown, o: unknown) => AsyncGenerator<unknown, unknown>)(call, options);
          if (!dropped && call.method.path.endsWith('/DictUpdate')) {
            dropped = true;
            const { ClientError } = await import('nice-grpc');
            throw new ClientError(call.method.path, Status.UNAVAILABLE, 'connection reset after commit');
          }
          return result;
        }) as never,
      ],
    });
    const lossyDict = await ModalStateDict.open(lossy, 'd', { create: false });
    expect(await lossyDict.putIfAbsent('fresh', { token: 'mine' })).toBe(true);
    expect(dropped).toBe(true);
    lossy.close();
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
  it('retries UNAVAILABLE and succeeds when Modal recovers', async () => {
    const dict = await ModalStateDict.open(connection, 'd', { create: true });
    fake.failNext('DictGet', Status.UNAVAILABLE, 2);
    await dict.put('k', 'v');
    expect(await dict.get('k')).toBe('v');
    expect(fake.rpcLog.filter((m) => m === 'DictGet')).toHaveLength(3);
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
    expect(await dict.get(TICK_REQUESTED_KEY)).toBe('2024-01-01T00:00:00.000Z');
    // The tick clears the gate when it starts; the next request starts another tick.
    await dict.delete(TICK_REQUESTED_KEY);
    await spawner.requestTick();
    expect(fake.callsOf('tick')).toHaveLength(2);
    // A request whose tick never ran (gate left behind) is replaced once it is stale.
    clock.advance(6 * 60_000);
    await spawner.requestTick();
    expect(fake.callsOf('tick')).toHaveLength(3);
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
