/**
 * Eight scheduler processes tick the same SQLite database and the same SQLite state dict at once. Each
 * child's spawner appends every spawn to one shared file and plays a fast task function (claim, SUCCESS).
 * However the lease and the ticks interleave, every try must be spawned exactly once and every run finish.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { listDagRuns } from '../src/db/queries/dag-runs.js';
import { listTaskInstances } from '../src/db/queries/task-instances.js';
import { SqliteBackend } from '../src/db/sqlite.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';
import { buildChildScript, runChild } from './helpers/backends.js';

const CHILD = `
import fs from 'node:fs';
import path from 'node:path';
import { SqliteBackend } from '../../src/db/sqlite.js';
import { SqliteStateDict } from '../../src/providers/local/state-dict.js';
import { defaultConfig } from '../../src/config/index.js';
import { runTick } from '../../src/scheduler/tick.js';
import { listDagRuns } from '../../src/db/queries/dag-runs.js';
import { claimKey } from '../../src/executor/protocol.js';
import { systemClock } from '../../src/providers/ports.js';

const { DB_FILE, DICT_FILE, VOLUME_ROOT, SPAWN_LOG, RUNS, CHILD_ID } = process.env;
const db = new SqliteBackend({ file: DB_FILE });
const dict = new SqliteStateDict(DICT_FILE);
const config = defaultConfig();
const volume = { root: VOLUME_ROOT, reload: async () => {}, commit: async () => {} };
const pending = [];
let next = 0;
const spawner = {
  async spawn(payload) {
    fs.appendFileSync(SPAWN_LOG, JSON.stringify({ key: payload.key, token: payload.token, child: CHILD_ID }) + '\\n');
    // A fast task function: claims its try and succeeds, soon after the spawn returns.
    pending.push((async () => {
      await new Promise((r) => setTimeout(r, 5));
      const now = new Date().toISOString();
      if (!(await dict.putIfAbsent(claimKey(payload), { token: payload.token, call_id: null, claimed_at: now }))) return;
      fs.appendFileSync(SPAWN_LOG + '.runs', payload.key + '\\n');
      const { key, token, max_tries, dag, task, run, timeout_seconds, heartbeat_seconds, ...identity } = payload;
      await dict.put(key, { ...identity, status: 'SUCCESS', token, queued_at: now, started_at: now, ended_at: now, exit_code: 0 });
    })());
    return CHILD_ID + '-' + next++;
  },
  async cancel() {},
  async requestTick() {},
};
async function main() {
const owner = 'child-' + CHILD_ID + ':' + process.pid;
let ticks = 0;
for (let i = 0; i < 1500; i++) {
  const result = await runTick({ db, dict, spawner, clock: systemClock, config, volume, owner });
  if (result.ran) ticks++;
  await Promise.all(pending.splice(0));
  const runs = await listDagRuns(db, { dagId: 'fan' });
  if (runs.length === Number(RUNS) && runs.every((r) => r.state === 'success' || r.state === 'failed')) break;
  await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
}
process.stdout.write(JSON.stringify({ ticks }));
await dict.close?.();
await db.close();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;

const MANIFEST = `
fan:
  schedule: null
  start_date: 2024-01-01
  tasks:
    start:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "echo start"
${['a', 'b', 'c']
  .map(
    (id) => `    ${id}:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "echo ${id}"
      dependencies: [start]`,
  )
  .join('\n')}
    end:
      operator: airflow.providers.standard.operators.bash.BashOperator
      bash_command: "echo end"
      dependencies: [a, b, c]
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

it('8 concurrent tick processes on one SQLite file dispatch every try exactly once', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-8ticks-'));
  const dbFile = path.join(dir, 'vol', 'data', 'airflow.db');
  const dictFile = path.join(dir, 'state.db');
  const volumeRoot = path.join(dir, 'vol');
  const spawnLog = path.join(dir, 'spawns.log');
  fs.mkdirSync(path.join(volumeRoot, 'dags'), { recursive: true });
  fs.writeFileSync(path.join(volumeRoot, 'dags', 'fan.yaml'), MANIFEST);
  fs.writeFileSync(spawnLog, '');
  fs.writeFileSync(spawnLog + '.runs', '');

  const RUNS = 4;
  const dict = new SqliteStateDict(dictFile);
  const requestedAt = new Date(Date.now() - 1000).toISOString();
  for (let i = 0; i < RUNS; i++) {
    await dict.put(`cmd:t${i}`, { id: `t${i}`, kind: 'trigger', dag_id: 'fan', run_id: `manual__${i}`, conf: {}, logical_date: null, requested_at: requestedAt, by: 'cli' });
  }
  // The first tick parses the manifest (step 3) before it applies the triggers (step 4).
  const bootstrap = new SqliteBackend({ file: dbFile });
  await bootstrap.migrate();
  await bootstrap.close();

  const script = await buildChildScript(CHILD, dir);
  const env = { DB_FILE: dbFile, DICT_FILE: dictFile, VOLUME_ROOT: volumeRoot, SPAWN_LOG: spawnLog, RUNS: String(RUNS) };
  const children = await Promise.all(Array.from({ length: 8 }, (_, i) => runChild(script, { ...env, CHILD_ID: String(i) })));
  for (const child of children) expect(child.code, child.stderr).toBe(0);
  const ticked = children.filter((c) => JSON.parse(c.stdout).ticks > 0).length;
  expect(ticked).toBeGreaterThan(1); // the lease really moved between processes

  const spawns = fs.readFileSync(spawnLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string });
  const keys = spawns.map((s) => s.key);
  expect(keys).toHaveLength(RUNS * 5);
  expect(new Set(keys).size).toBe(RUNS * 5);
  const ran = fs.readFileSync(spawnLog + '.runs', 'utf8').trim().split('\n');
  expect(new Set(ran).size).toBe(ran.length);

  const db = new SqliteBackend({ file: dbFile });
  try {
    const runs = await listDagRuns(db, { dagId: 'fan' });
    expect(runs.map((r) => r.state)).toEqual(Array(RUNS).fill('success'));
    const tis = await listTaskInstances(db, { dagId: 'fan' });
    expect(tis).toHaveLength(RUNS * 5);
    expect(tis.every((ti) => ti.state === 'success' && ti.try_number === 1)).toBe(true);
  } finally {
    await db.close();
    await dict.close?.();
  }
});
