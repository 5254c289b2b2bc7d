/**
 * Issue 12: the container entrypoints against the behaviours of real Modal that the first fake lacked.
 * The volume is a FakeMountedVolume (background commits, "volume busy" with open files, an empty view
 * during a reload), the API runs under the SDK's own retry and auth middleware, and Modal re-delivers
 * preempted inputs. Each test names the defect it catches.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCHEDULER_LOCK_KEY, type TaskRecord } from '../src/executor/protocol.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import { runModalTask } from '../src/providers/modal/entrypoints/task.js';
import { runModalTick } from '../src/providers/modal/entrypoints/tick.js';
import { runModalUi } from '../src/providers/modal/entrypoints/ui.js';
import { ModalTaskSpawner } from '../src/providers/modal/spawner.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import { MAX_IDLE_MS, nextDue, readWake } from '../src/providers/modal/wake.js';
import type { TickDeps } from '../src/scheduler/tick.js';
import type { DatabaseBackend } from '../src/db/backend.js';
import type { VolumeReader } from '../src/ui/server/index.js';
import { DATABASE_FILE } from '../src/volume-layout.js';
import { claimTry } from '../src/worker/claim.js';
import { silentLogger } from '../src/logger.js';
import { systemClock } from '../src/providers/ports.js';
import { FakeModal } from './fakes/modal-api.js';
import { MODAL_TEST_APP, MODAL_TEST_DICT, makeVolumeRoot, modalContainerEnv, querySnapshot } from './fakes/modal-container.js';
import { FakeMountedVolume } from './fakes/modal-volume.js';
import { bashTask, makePayload, queuedRecord } from './worker-harness.js';

const APP = MODAL_TEST_APP;
const DICT = MODAL_TEST_DICT;

let fake: FakeModal;
let volumeRoot: string;
let mount: FakeMountedVolume;
let connection: ModalConnection;
let dict: ModalStateDict;

const containerEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => modalContainerEnv(volumeRoot, extra);

const common = () => ({ grpcMiddleware: [fake.middleware], volumeSync: mount, logger: silentLogger });

beforeEach(async () => {
  fake = await new FakeModal().start();
  fake.deployApp(APP, ['tick', 'run_task', 'ui']);
  volumeRoot = makeVolumeRoot();
  mount = new FakeMountedVolume(volumeRoot);
  connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
  dict = await ModalStateDict.open(connection, DICT, { create: true });
});

afterEach(async () => {
  connection.close();
  await fake.close();
  fs.rmSync(volumeRoot, { recursive: true, force: true });
});

describe('SQLite is never open on the volume (issue 12.1)', () => {
  it('a background commit in the middle of a transaction captures a whole database and no journal', async () => {
    const runTick = async (args: TickDeps) => {
      await args.db.run('CREATE TABLE IF NOT EXISTS probe (x INTEGER)');
      await args.volume.commit();
      await args.db.transaction(async (tx) => {
        await tx.run('INSERT INTO probe VALUES (1)');
        // Modal commits the mount on its own, whenever it likes.
        mount.backgroundCommit();
        await tx.run('INSERT INTO probe VALUES (2)');
      });
      await args.volume.commit();
      return {};
    };
    const outcome = await runModalTick({ env: containerEnv(), ...common(), runTick });
    expect(outcome.ran).toBe(true);
    const background = mount.commits.filter((c) => c.kind === 'background');
    expect(background).toHaveLength(1);
    for (const commit of mount.commits) {
      expect(commit.openFiles).toEqual([]);
      expect([...commit.files.keys()].filter((p) => p.includes('journal') || p.endsWith('.tmp'))).toEqual([]);
    }
    // The background snapshot holds the database as of the last write-back: the table, no half transaction.
    const count = 'SELECT count(*) AS n FROM probe';
    expect(await querySnapshot(background[0]!.files.get(DATABASE_FILE)!, count)).toEqual({ n: 0 });
    expect(await querySnapshot(fs.readFileSync(path.join(volumeRoot, DATABASE_FILE)), count)).toEqual({ n: 2 });
  });
});

describe('commit on shutdown (issue 12.1)', () => {
  it('a tick killed in the middle of a transaction leaves the last whole database as the committed state', async () => {
    const runTick = async (args: TickDeps) => {
      await args.db.run('CREATE TABLE IF NOT EXISTS probe (x INTEGER)');
      await args.db.run('INSERT INTO probe VALUES (1)');
      await args.volume.commit();
      await args.db.transaction(async (tx) => {
        await tx.run('INSERT INTO probe VALUES (2)');
        // Modal's timeout (or a preemption) stops the container here; it commits the mount as it is.
        mount.shutdownCommit();
        throw new Error('killed');
      });
      return {};
    };
    await expect(runModalTick({ env: containerEnv(), ...common(), runTick })).rejects.toThrow('killed');
    const shutdown = mount.commits.find((c) => c.kind === 'shutdown')!;
    expect(shutdown.openFiles).toEqual([]);
    expect([...shutdown.files.keys()].filter((p) => p.startsWith('data/'))).toEqual([DATABASE_FILE]);
    expect(await querySnapshot(shutdown.files.get(DATABASE_FILE)!, 'SELECT count(*) AS n FROM probe')).toEqual({ n: 1 });
  });
});

describe('preemption (issue 12.3, 12.6)', () => {
  it('a run_task re-delivered after preemption (same call id) runs the try instead of refusing its own claim', async () => {
    const spawner = new ModalTaskSpawner(connection, APP, dict);
    const payload = makePayload(bashTask({ bash_command: 'echo second delivery' }));
    await dict.putIfAbsent(payload.key, queuedRecord(payload, new Date().toISOString()));
    fake.preemptNext('run_task');
    fake.onFunction('run_task', async (args, _kwargs, ctx) => {
      if (ctx.preempted) {
        // The first container claims the try, marks it RUNNING, and is stopped before the operator ends.
        const claim = await claimTry(payload, dict, ctx.callId, systemClock, silentLogger);
        if (!claim.claimed) throw new Error('first delivery could not claim');
        await dict.put(payload.key, { ...claim.record, status: 'RUNNING', call_id: ctx.callId, started_at: new Date().toISOString() });
        return null;
      }
      const file = path.join(os.tmpdir(), `payload-${ctx.callId}-${ctx.attempt}.json`);
      fs.writeFileSync(file, args[0] as string);
      const record = await runModalTask({ env: containerEnv({ AIRFLOW_SERVERLESS_PAYLOAD_FILE: file, AIRFLOW_SERVERLESS_CALL_ID: ctx.callId }), ...common() });
      return { status: record?.status ?? null, attempt: ctx.attempt };
    });
    const callId = await spawner.spawn(payload);
    expect(await spawner.waitFor(callId, 30_000)).toEqual({ status: 'SUCCESS', attempt: 2 });
    expect((await dict.get<TaskRecord>(payload.key))!.status).toBe('SUCCESS');
  });

  it('a tick re-delivered after preemption takes over the lease its first delivery left, at once', async () => {
    await dict.put(SCHEDULER_LOCK_KEY, {
      owner: 'dead-container:1:ta-1',
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      call_id: 'fc-tick-1',
    });
    let ran = false;
    const outcome = await runModalTick({
      env: containerEnv({ AIRFLOW_SERVERLESS_CALL_ID: 'fc-tick-1' }),
      ...common(),
      runTick: async () => {
        ran = true;
        return {};
      },
    });
    expect(outcome.ran).toBe(true);
    expect(ran).toBe(true);
    // Another call does not: the holder may be alive.
    await dict.put(SCHEDULER_LOCK_KEY, { owner: 'live:1:ta-2', expires_at: new Date(Date.now() + 60_000).toISOString(), call_id: 'fc-tick-2' });
    const other = await runModalTick({ env: containerEnv({ AIRFLOW_SERVERLESS_CALL_ID: 'fc-tick-3' }), ...common(), runTick: async () => ({}) });
    expect(other).toEqual({ ran: false, reason: 'lease held by another tick' });
  });
});

describe('secrets (issue 12.7)', () => {
  it("an operator's process sees neither the workspace token nor the database URL", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, containerEnv({ AIRFLOW_SERVERLESS_DATABASE_URL: 'postgres://secret@db/x' }));
    try {
      const payload = makePayload(bashTask({ bash_command: 'echo "token=${MODAL_TOKEN_SECRET:-none} url=${AIRFLOW_SERVERLESS_DATABASE_URL:-none}"' }));
      await dict.putIfAbsent(payload.key, queuedRecord(payload, new Date().toISOString()));
      const file = path.join(os.tmpdir(), `payload-secrets-${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify(payload));
      process.env.AIRFLOW_SERVERLESS_PAYLOAD_FILE = file;
      process.env.AIRFLOW_SERVERLESS_CALL_ID = 'fc-secrets';
      const record = await runModalTask({ env: process.env, ...common() });
      expect(record!.status).toBe('SUCCESS');
      const logs = fs.readdirSync(volumeRoot, { recursive: true }).map(String).filter((p) => p.endsWith('.log'));
      expect(fs.readFileSync(path.join(volumeRoot, logs[0]!), 'utf8')).toContain('token=none url=none');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
});

describe('the idle fast path (issue 12.8)', () => {
  it('an idle tick records a due time in the future; a request makes it due now', async () => {
    const outcome = await runModalTick({ env: containerEnv(), ...common() });
    expect(outcome.ran).toBe(true);
    const wake = await readWake(dict);
    expect(Date.parse(wake!.due_at)).toBeGreaterThan(Date.now() + 30 * 60_000);
    await new ModalTaskSpawner(connection, APP, dict).requestTick();
    expect(Date.parse((await readWake(dict))!.due_at)).toBeLessThanOrEqual(Date.now());
  });
});

describe('the UI against reloads (issue 12.5)', () => {
  it('requests never see the empty view of a reload, and a reload never meets an open file', async () => {
    const { SqliteBackend } = await import('../src/db/sqlite.js');
    fs.mkdirSync(path.join(volumeRoot, 'data'), { recursive: true });
    const seed = new SqliteBackend({ file: path.join(volumeRoot, DATABASE_FILE), journalMode: 'delete' });
    await seed.run('CREATE TABLE probe (x INTEGER)');
    await seed.run('INSERT INTO probe VALUES (7)');
    await seed.close();
    fs.mkdirSync(path.join(volumeRoot, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(volumeRoot, 'logs/a.log'), 'x'.repeat(1 << 16));
    mount.emptyViewMs = 50;
    let served: { db: DatabaseBackend; files: VolumeReader } | undefined;
    let stop!: () => void;
    const ui = runModalUi({
      env: containerEnv({ AIRFLOW_SERVERLESS_UI_SESSION: 's1', AIRFLOW_SERVERLESS_UI_TOKEN: 't', AIRFLOW_SERVERLESS_UI_URL: 'https://u.modal.host' }),
      ...common(),
      refreshMs: 10, // shorter than a reload (50 ms empty view): refreshes must not queue up
      until: new Promise<void>((resolve) => (stop = resolve)),
      startUiServer: async (options) => {
        served = { db: options.db, files: options.files! };
        return { close: async () => undefined };
      },
    });
    await vi.waitFor(() => expect(served).toBeDefined());
    const failures: string[] = [];
    const deadline = Date.now() + 300;
    // The mount skips a reload within FRESH_AFTER_SYNC_MS of the last one, so the first real reload comes ~2 s in.
    const giveUp = Date.now() + 20_000;
    while ((Date.now() < deadline || mount.reloads < 2) && Date.now() < giveUp) {
      const [row, log, listed] = await Promise.all([
        served!.db.get<{ x: number }>('SELECT x FROM probe').catch((e: unknown) => String(e)),
        served!.files.readFile('logs/a.log').catch((e: unknown) => String(e)),
        served!.files.listFiles('logs').catch((e: unknown) => String(e)),
      ]);
      if (JSON.stringify(row) !== '{"x":7}') failures.push(`db: ${JSON.stringify(row)}`);
      if (!(log instanceof Uint8Array) || log.length !== 1 << 16) failures.push(`log: ${typeof log === 'string' ? log : log?.length}`);
      if (JSON.stringify(listed) !== '["a.log"]') failures.push(`list: ${JSON.stringify(listed)}`);
    }
    stop();
    await ui;
    expect(mount.refused).toEqual([]);
    expect(failures).toEqual([]);
    expect(mount.reloads).toBeGreaterThanOrEqual(2);
  });
});

describe('nextDue (issue 12.8)', () => {
  it('is now while work is in flight, the next scheduled run of an unpaused DAG otherwise, and at most an hour away', async () => {
    const { SqliteBackend } = await import('../src/db/sqlite.js');
    const db = new SqliteBackend({ file: ':memory:' });
    await db.migrate();
    const now = new Date('2024-06-01T12:00:00Z');
    expect((await nextDue(db, now)).toISOString()).toBe(new Date(now.getTime() + MAX_IDLE_MS).toISOString());
    await db.run(`INSERT INTO dag (dag_id, fileloc, is_paused, next_dagrun_create_after) VALUES ('a', 'a.yaml', ?, ?)`, [false, '2024-06-01T12:20:00.000Z']);
    await db.run(`INSERT INTO dag (dag_id, fileloc, is_paused, next_dagrun_create_after) VALUES ('b', 'b.yaml', ?, ?)`, [true, '2024-06-01T12:05:00.000Z']);
    expect((await nextDue(db, now)).toISOString()).toBe('2024-06-01T12:20:00.000Z');
    await db.run(`INSERT INTO dag_run (dag_id, run_id, state, run_type, run_after, updated_at) VALUES ('a', 'r1', 'running', 'manual', ?, ?)`, [now.toISOString(), now.toISOString()]);
    expect((await nextDue(db, now)).toISOString()).toBe(now.toISOString());
    await db.close();
  });
});
