/**
 * Many ticks against one PostgreSQL database at once, as on Modal (overlapping containers) or with the CLI
 * ticking next to the loop: 8 processes tick concurrently, once cleanly and once while their connections
 * (pooled and lock) are being killed server-side. Whatever happens, each try is spawned at most once, each
 * (dag, logical date) has one run, and clean ticks afterwards finish every run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listDagRuns } from '../src/db/queries/dag-runs.js';
import { listTaskInstances } from '../src/db/queries/task-instances.js';
import { backendFactories, buildChildScript, runChild } from './helpers/backends.js';
import type { ChildResult, TestBackend } from './helpers/backends.js';

const NOW = '2024-01-11T00:30:00.000Z';
const PROCESSES = 8;
const TICKS_PER_PROCESS = 5;

// Eleven daily runs of a three-task chain: Airflow 3's cron trigger timetable runs at each midnight from
// 2024-01-01 up to NOW's (logical date = the trigger time).
const MANIFEST = `
chain:
  schedule: "@daily"
  start_date: 2024-01-01
  catchup: true
  max_active_runs: 16
  tasks:
    - task_id: a
      operator: airflow.operators.bash.BashOperator
      bash_command: "true"
    - task_id: b
      operator: airflow.operators.bash.BashOperator
      bash_command: "true"
      dependencies: [a]
    - task_id: c
      operator: airflow.operators.bash.BashOperator
      bash_command: "true"
      dependencies: [b]
`;
const EXPECTED_RUNS = 11;
const EXPECTED_TRIES = EXPECTED_RUNS * 3;

/**
 * One process: ticks TICKS times with a fixed clock, a shared SQLite state dict and a spawner that logs each
 * spawn and then plays an instant, successful task function. A failed tick (a killed connection) is logged
 * and the next one starts, as the scheduler loop does.
 */
const TICKER = `
import fs from 'node:fs';
import { defaultConfig } from '../../src/config/index.js';
import { openDatabase } from '../../src/db/open.js';
import { claimKey, taskKey } from '../../src/executor/protocol.js';
import type { TaskPayload, TaskRecord } from '../../src/executor/protocol.js';
import { SqliteStateDict } from '../../src/providers/local/state-dict.js';
import { LocalVolumeMount } from '../../src/providers/local/volume.js';
import { runTick } from '../../src/scheduler/tick.js';

async function main(): Promise<void> {
const env = process.env as Record<string, string>;
const location = JSON.parse(env.TEST_DB_LOCATION);
const now = new Date(env.NOW);
const worker = env.WORKER;
const db = openDatabase(location.database, { ...location, applicationName: env.APP_NAME });
const dict = new SqliteStateDict(env.STATE_FILE);
const spawner = {
  async spawn(payload: TaskPayload): Promise<string> {
    fs.appendFileSync(env.SPAWN_LOG, JSON.stringify({ key: payload.key, worker }) + '\\n');
    const at = now.toISOString();
    await dict.putIfAbsent(claimKey(payload), { token: payload.token, call_id: null, claimed_at: at });
    const record: TaskRecord = {
      dag_id: payload.dag_id, task_id: payload.task_id, run_id: payload.run_id, map_index: payload.map_index,
      try_number: payload.try_number, status: 'SUCCESS', token: payload.token, queued_at: at, started_at: at,
      heartbeat_at: at, ended_at: at, exit_code: 0, hostname: worker, pid: process.pid,
    };
    await dict.put(taskKey(payload), record);
    return worker + ':' + payload.key;
  },
  async cancel() {},
  async requestTick() {},
};
const outcomes: string[] = [];
for (let i = 0; i < Number(env.TICKS); i++) {
  try {
    const result = await runTick({
      db, dict, spawner, clock: { now: () => now }, config: defaultConfig(),
      volume: new LocalVolumeMount(env.VOLUME_ROOT), owner: worker + ':' + i,
    });
    outcomes.push(result.leaseLost ? 'lease-lost' : result.ran ? 'ran' : 'skipped');
  } catch (error) {
    outcomes.push((error as Error).name);
  }
}
await db.close();
await dict.close?.();
process.stdout.write(JSON.stringify(outcomes));
}
main().catch((error) => { process.stderr.write(String((error && error.stack) || error)); process.exitCode = 1; });
`;

const factory = backendFactories().find((f) => f.name === 'postgres');

describe.runIf(factory)('ticks from many processes on one PostgreSQL database', () => {
  let tmp: string;
  let db: TestBackend;
  let script: string;

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'as-pg-ticks-'));
    fs.mkdirSync(path.join(tmp, 'vol', 'dags'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'vol', 'dags', 'chain.yaml'), MANIFEST);
    db = await factory!.create();
    script = await buildChildScript(TICKER, tmp, 'ticker');
  });

  afterEach(async () => {
    await factory!.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function tickers(ticks: number): Promise<ChildResult[]> {
    return Promise.all(
      Array.from({ length: PROCESSES }, (_, i) =>
        runChild(script, {
          TEST_DB_LOCATION: JSON.stringify(db.location),
          APP_NAME: `${db.location.applicationName}:child-${i}`,
          NOW,
          WORKER: `w${i}`,
          TICKS: String(ticks),
          STATE_FILE: path.join(tmp, 'state.db'),
          SPAWN_LOG: path.join(tmp, 'spawns.jsonl'),
          VOLUME_ROOT: path.join(tmp, 'vol'),
        }),
      ),
    );
  }

  function spawnedKeys(): string[] {
    const log = path.join(tmp, 'spawns.jsonl');
    if (!fs.existsSync(log)) return [];
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { key: string }).key);
  }

  /** Clean ticks, one process at a time, until every run is finished (bounded). */
  async function finishWithCleanTicks(): Promise<void> {
    for (let i = 0; i < 12; i++) {
      const runs = await listDagRuns(db, { dagId: 'chain' });
      if (runs.length === EXPECTED_RUNS && runs.every((r) => r.state === 'success')) return;
      const [result] = await Promise.all([
        runChild(script, {
          TEST_DB_LOCATION: JSON.stringify(db.location),
          APP_NAME: `${db.location.applicationName}:final`,
          NOW,
          WORKER: `final${i}`,
          TICKS: '1',
          STATE_FILE: path.join(tmp, 'state.db'),
          SPAWN_LOG: path.join(tmp, 'spawns.jsonl'),
          VOLUME_ROOT: path.join(tmp, 'vol'),
        }),
      ]);
      expect(result!.code, result!.stderr).toBe(0);
      if (process.env.DEBUG_TICKS) {
        const state = {
          final: result!.stdout,
          files: await db.all('SELECT fileloc, content_hash FROM dag_file'),
          dags: await db.all('SELECT dag_id, is_paused, is_stale, has_import_errors, next_dagrun_create_after FROM dag'),
          serialized: await db.all('SELECT dag_id FROM serialized_dag'),
          errors: await db.all('SELECT filename, stacktrace FROM import_error'),
        };
        process.stderr.write(`clean tick ${i}: ${JSON.stringify(state)}\n`);
      }
    }
  }

  async function expectEveryRunDoneOnce(): Promise<void> {
    const runs = await listDagRuns(db, { dagId: 'chain' });
    expect(runs.map((r) => r.logical_date)).toEqual(
      Array.from({ length: EXPECTED_RUNS }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString()),
    );
    expect(runs.map((r) => r.state)).toEqual(Array<string>(EXPECTED_RUNS).fill('success'));
    const tis = await listTaskInstances(db, { dagId: 'chain' });
    expect(tis).toHaveLength(EXPECTED_TRIES);
    expect(tis.every((ti) => ti.state === 'success' && ti.try_number === 1)).toBe(true);
    // At most once: no try key was ever spawned twice, by any process.
    const keys = spawnedKeys();
    expect(keys.length - new Set(keys).size).toBe(0);
    expect(new Set(keys).size).toBe(EXPECTED_TRIES);
  }

  it('8 processes ticking at once create each run once and spawn each try once', async () => {
    const results = await tickers(TICKS_PER_PROCESS);
    const outcomes = results.flatMap((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as string[];
    });
    expect(outcomes).toHaveLength(PROCESSES * TICKS_PER_PROCESS);
    // Only lock outcomes: no tick failed.
    expect(outcomes.filter((o) => !['ran', 'skipped', 'lease-lost'].includes(o))).toEqual([]);
    expect(outcomes).toContain('ran');
    await finishWithCleanTicks();
    await expectEveryRunDoneOnce();
  });

  it('killing tick connections mid-pass loses and duplicates nothing', async () => {
    const admin = new pg.Client({ connectionString: db.location.database.connection_string!, application_name: 'as-test-killer' });
    admin.on('error', () => {});
    await admin.connect();
    let done = false;
    let killed = 0;
    // Keep terminating the children's sessions (pooled and lock connections alike) while they tick.
    const killer = (async () => {
      while (!done) {
        // One busy session at a time, so some passes are cut at random points and others get through.
        const result = await admin.query<{ n: string }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM (
             SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1 AND state <> 'idle'
              ORDER BY random() LIMIT 1) AS victim`,
          [`${db.location.applicationName}:child-%`],
        );
        killed += Number(result.rows[0]?.n ?? 0);
        // Often enough to meet a busy session in every run: at 100 ms the ticks could all finish between looks.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let results: ChildResult[];
    try {
      results = await tickers(TICKS_PER_PROCESS);
    } finally {
      done = true;
      await killer;
      await admin.end();
    }
    const outcomes = results.flatMap((r) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as string[];
    });
    expect(killed).toBeGreaterThan(0);
    if (process.env.DEBUG_TICKS) {
      const byChildren = spawnedKeys().length;
      process.stderr.write(`killed ${killed} sessions; ${byChildren} spawns by the 8; outcomes ${JSON.stringify(outcomes)}\n`);
    }
    // A killed connection surfaces as the port's error, never as an uncaught exception or a crash.
    expect(outcomes.filter((o) => !['ran', 'skipped', 'lease-lost', 'DatabaseUnavailableError'].includes(o))).toEqual([]);
    await finishWithCleanTicks();
    await expectEveryRunDoneOnce();
  });
});
