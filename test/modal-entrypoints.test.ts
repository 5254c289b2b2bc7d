/**
 * The container entrypoints (tick, task, ui) running in-process with the Modal ports against the fake
 * Modal API: the fake "runs" a function by calling the entrypoint, as the launcher would in a container.
 * The launcher's commit/reload pipe is replaced by a recorder that also checks no database file on the
 * volume is open when a sync is requested (Modal's reload fails on open files; a commit must not catch a
 * half-written database).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../src/config/load.js';
import type { Config } from '../src/config/model.js';
import { SCHEDULER_LOCK_KEY, TICK_REQUESTED_KEY, uiSessionKey, type TaskRecord } from '../src/executor/protocol.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import { runModalTask } from '../src/providers/modal/entrypoints/task.js';
import { runModalTick } from '../src/providers/modal/entrypoints/tick.js';
import { runModalUi } from '../src/providers/modal/entrypoints/ui.js';
import { createModalProvider, startRemoteUi } from '../src/providers/modal/index.js';
import { ModalTaskSpawner } from '../src/providers/modal/spawner.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import type { VolumeSync } from '../src/providers/modal/volume-mount.js';
import type { TickDeps } from '../src/scheduler/tick.js';
import { DATABASE_FILE } from '../src/volume-layout.js';
import { FakeModal } from './fakes/modal-api.js';
import { modalContainerEnv } from './fakes/modal-container.js';
import { openFilesUnder } from './fakes/modal-volume.js';
import { bashTask, makePayload, queuedRecord } from './worker-harness.js';

const APP = 'airflow-serverless-dev';
const DICT = 'airflow-state-dev';

let fake: FakeModal;
let volumeRoot: string;
let syncs: string[];
let openAtSync: string[];

function config(): Config {
  return { ...defaultConfig(), provider: 'modal', modal: { environment: null } };
}

/** Files under the volume root this process holds open (Linux /proc). */
const openVolumeFiles = (): string[] => openFilesUnder(volumeRoot);

const volumeSync: VolumeSync = {
  async request(operation) {
    syncs.push(operation);
    openAtSync.push(...openVolumeFiles());
  },
};

const containerEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => modalContainerEnv(volumeRoot, extra);

const common = () => ({ grpcMiddleware: [fake.middleware], volumeSync, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });

beforeEach(async () => {
  fake = await new FakeModal().start();
  fake.deployApp(APP, ['tick', 'run_task', 'ui']);
  volumeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-vol-'));
  fs.mkdirSync(path.join(volumeRoot, 'dags'));
  syncs = [];
  openAtSync = [];
});

afterEach(async () => {
  await fake.close();
  fs.rmSync(volumeRoot, { recursive: true, force: true });
});

describe('task entrypoint', () => {
  it('a spawned run_task claims its try, runs it, commits the volume, reports in the Dict and asks for a tick', async () => {
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    const dict = await ModalStateDict.open(connection, DICT, { create: true });
    const spawner = new ModalTaskSpawner(connection, APP, dict);
    fake.onFunction('run_task', async (args) => {
      // What the launcher does: the payload string to a file, the call id into the environment.
      const file = path.join(volumeRoot, '..', `payload-${path.basename(volumeRoot)}.json`);
      fs.writeFileSync(file, args[0] as string);
      const record = await runModalTask({ env: containerEnv({ AIRFLOW_SERVERLESS_PAYLOAD_FILE: file, AIRFLOW_SERVERLESS_CALL_ID: 'fc-self' }), ...common() });
      return { exit_code: 0, status: record?.status ?? null };
    });
    const payload = makePayload(bashTask({ bash_command: 'echo hello from modal' }));
    await dict.putIfAbsent(payload.key, queuedRecord(payload, new Date().toISOString()));

    const callId = await spawner.spawn(payload);
    const result = await spawner.waitFor(callId, 30_000);
    expect(result).toEqual({ exit_code: 0, status: 'SUCCESS' });

    const record = await dict.get<TaskRecord>(payload.key);
    expect(record!.status).toBe('SUCCESS');
    expect(syncs).toContain('commit');
    const logs = fs.readdirSync(volumeRoot, { recursive: true }).map(String).filter((p) => p.endsWith('.log'));
    expect(logs).toHaveLength(1);
    expect(fs.readFileSync(path.join(volumeRoot, logs[0]!), 'utf8')).toContain('hello from modal');
    // requestTick went through the gate and spawned one tick.
    expect(fake.callsOf('tick')).toHaveLength(1);
    expect(await dict.get(TICK_REQUESTED_KEY)).toBeDefined();
    // A replay of the same call does not run the try again.
    const again = await spawner.waitFor(await spawner.spawn(payload), 30_000);
    expect(again).toEqual({ exit_code: 0, status: null });
    connection.close();
  });
});

describe('tick entrypoint', () => {
  it('takes the lease, clears the tick request, migrates SQLite with a rollback journal, and closes it before every sync', async () => {
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    const dict = await ModalStateDict.open(connection, DICT, { create: true });
    await dict.put(TICK_REQUESTED_KEY, '2024-01-01T00:00:00.000Z');
    let seen: { lockOwner?: string; requested?: unknown; tables?: number } = {};
    const runTick = vi.fn(async (args: TickDeps) => {
      seen = {
        lockOwner: (await args.dict.get<{ owner: string }>(SCHEDULER_LOCK_KEY))?.owner,
        requested: await args.dict.get(TICK_REQUESTED_KEY),
      };
      // runTick takes the lock itself: re-entrant for the same owner.
      expect(await args.db.acquireLock('scheduler', { owner: args.owner, ttlMs: 60_000, now: new Date() })).toBe(true);
      const row = await args.db.get<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'");
      seen.tables = row!.n;
      await args.db.run('CREATE TABLE IF NOT EXISTS probe (x INTEGER)');
      await args.db.run('INSERT INTO probe VALUES (1)');
      await args.volume.commit();
      // The database reopens on the next query after the commit closed it.
      expect((await args.db.get<{ n: number }>('SELECT count(*) AS n FROM probe'))!.n).toBe(1);
      await args.volume.reload();
      await args.db.releaseLock('scheduler');
      return { ok: true };
    });
    const outcome = await runModalTick({ env: containerEnv(), ...common(), runTick });
    expect(outcome).toMatchObject({ ran: true, result: { ok: true } });
    expect(runTick).toHaveBeenCalledOnce();
    expect(seen.lockOwner).toMatch(/:/);
    expect(seen.requested).toBeUndefined();
    expect(seen.tables).toBeGreaterThan(3);
    // The reload right after a commit is skipped (Modal's commit reloads); the tick ends by telling the
    // launcher its own final commit is not needed.
    expect(syncs).toEqual(['commit', 'clean']);
    expect(openAtSync).toEqual([]);
    // Rollback journal, not WAL: header bytes 18-19 are 1 (WAL would be 2), and no -wal/-shm files.
    const header = fs.readFileSync(path.join(volumeRoot, DATABASE_FILE)).subarray(18, 20);
    expect([...header]).toEqual([1, 1]);
    expect(fs.readdirSync(path.join(volumeRoot, 'data'))).toEqual(['airflow.db']);
    expect(await dict.get(SCHEDULER_LOCK_KEY)).toBeUndefined();
    expect(openVolumeFiles()).toEqual([]);
    connection.close();
  });

  it('when another tick holds the lease: records a request, never opens the database', async () => {
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    const dict = await ModalStateDict.open(connection, DICT, { create: true });
    await dict.put(SCHEDULER_LOCK_KEY, { owner: 'other', expires_at: new Date(Date.now() + 60_000).toISOString() });
    const runTick = vi.fn(async () => ({}));
    const outcome = await runModalTick({ env: containerEnv(), ...common(), runTick });
    expect(outcome).toEqual({ ran: false, reason: 'lease held by another tick' });
    expect(runTick).not.toHaveBeenCalled();
    expect(await dict.get(TICK_REQUESTED_KEY)).toBeDefined();
    expect((await dict.get<{ owner: string }>(SCHEDULER_LOCK_KEY))!.owner).toBe('other');
    expect(fs.existsSync(path.join(volumeRoot, DATABASE_FILE))).toBe(false);
    connection.close();
  });

  it('runs the real scheduler with the Modal ports: manifest sync, trigger, dispatch to run_task, reconcile', async () => {
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    const dict = await ModalStateDict.open(connection, DICT, { create: true });
    // The task runs once the tick is done: in this one process, a task's open log would otherwise show up
    // in the tick's open-file check (in Modal they are different containers).
    let tickDone!: () => void;
    const firstTickDone = new Promise<void>((resolve) => (tickDone = resolve));
    fake.onFunction('run_task', async (args, _kwargs, ctx) => {
      await firstTickDone;
      const file = path.join(os.tmpdir(), `payload-${ctx.callId}.json`);
      fs.writeFileSync(file, args[0] as string);
      await runModalTask({ env: containerEnv({ AIRFLOW_SERVERLESS_PAYLOAD_FILE: file, AIRFLOW_SERVERLESS_CALL_ID: ctx.callId }), ...common() });
      return { exit_code: 0 };
    });
    fs.writeFileSync(
      path.join(volumeRoot, 'dags/hello.yaml'),
      ['hello:', '  schedule: null', '  start_date: 2024-01-01', '  tasks:', '    say:', '      operator: airflow.operators.bash.BashOperator', '      bash_command: echo hi from the tick', ''].join('\n'),
    );
    await dict.put('cmd:c1', {
      id: 'c1',
      kind: 'trigger',
      dag_id: 'hello',
      run_id: 'manual__1',
      conf: {},
      logical_date: null,
      requested_at: new Date().toISOString(),
      by: 'cli',
    });
    const first = await runModalTick({ env: containerEnv(), ...common() });
    tickDone();
    expect(first.ran).toBe(true);
    expect(fake.callsOf('run_task')).toHaveLength(1);
    await fake.callsOf('run_task')[0]!.done;
    expect(fake.callsOf('run_task')[0]!.status).toBe('success');
    const second = await runModalTick({ env: containerEnv(), ...common() });
    expect(second.ran).toBe(true);
    expect(openAtSync).toEqual([]);
    expect(openVolumeFiles()).toEqual([]);
    const { SqliteBackend } = await import('../src/db/sqlite.js');
    const db = new SqliteBackend({ file: path.join(volumeRoot, DATABASE_FILE), readonly: true });
    try {
      expect(await db.get('SELECT state FROM task_instance WHERE dag_id = ? AND task_id = ?', ['hello', 'say'])).toEqual({ state: 'success' });
      expect(await db.get('SELECT state FROM dag_run WHERE dag_id = ?', ['hello'])).toEqual({ state: 'success' });
    } finally {
      await db.close();
    }
    expect((await dict.entries('task:')).length).toBe(0);
    connection.close();
  });
});

describe('ui entrypoint and startRemoteUi', () => {
  it('spawns ui, waits for its tunnel URL in the Dict, prints the link with the token, and cancels on stop', async () => {
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    await ModalStateDict.open(connection, DICT, { create: true });
    connection.close();
    const served: Array<{ token: string; port: number }> = [];
    let serverClosed = false;
    fake.onFunction('ui', async (args, _kwargs, ctx) => {
      const [session, token] = args as [string, string];
      await runModalUi({
        env: containerEnv({
          AIRFLOW_SERVERLESS_UI_SESSION: session,
          AIRFLOW_SERVERLESS_UI_TOKEN: token,
          AIRFLOW_SERVERLESS_UI_URL: 'https://abc123.modal.host',
          AIRFLOW_SERVERLESS_UI_PORT: '8080',
        }),
        ...common(),
        until: new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve())),
        startUiServer: async (options) => {
          served.push({ token: options.token, port: options.port ?? 0 });
          return { close: async () => void (serverClosed = true) };
        },
      });
      return { exit_code: 0 };
    });
    const provider = createModalProvider('dev', config(), {
      env: { MODAL_TOKEN_ID: 'a', MODAL_TOKEN_SECRET: 'b' },
      grpcMiddleware: [fake.middleware],
    });
    const lines: string[] = [];
    const ui = await startRemoteUi({ provider, print: (l) => lines.push(l), handleSignals: false, pollMs: 5 });
    expect(served).toHaveLength(1);
    expect(ui.link).toBe(`https://abc123.modal.host/?token=${served[0]!.token}`);
    expect(served[0]!.token.length).toBeGreaterThanOrEqual(40);
    expect(lines).toContain(`UI: ${ui.link}`);
    const dict = await provider.stateDict();
    expect(await dict.get(uiSessionKey(ui.session))).toMatchObject({ url: 'https://abc123.modal.host' });

    await ui.stop();
    await ui.stopped;
    const call = fake.functionCalls.get(ui.callId)!;
    expect(call.status).toBe('cancelled');
    await call.done;
    expect(serverClosed).toBe(true);
    expect(await dict.get(uiSessionKey(ui.session))).toBeUndefined();
    await provider.close();
  });

  it('a ui function that dies before its tunnel opens is a clear error', async () => {
    fake.onFunction('ui', () => {
      throw new Error('port in use');
    });
    const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
    await ModalStateDict.open(connection, DICT, { create: true });
    connection.close();
    const provider = createModalProvider('dev', config(), { env: { MODAL_TOKEN_ID: 'a', MODAL_TOKEN_SECRET: 'b' }, grpcMiddleware: [fake.middleware] });
    await expect(startRemoteUi({ provider, print: () => {}, handleSignals: false, pollMs: 5 })).rejects.toThrow(
      /^the UI function ended before opening its tunnel \(.*port in use.*\)/,
    );
    await provider.close();
  });
});
