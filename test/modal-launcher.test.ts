/**
 * The rendered launcher run by real Python against the stub `modal` module (test/fakes/modal_stub, with
 * Modal's signatures), with a real Node child speaking the commit/reload pipe protocol through
 * PipeVolumeSync (bundled from src with esbuild). Checks the order the launcher promises (reload before
 * Node, Node's own syncs served in between, commit after), the idle fast path (one Dict read, no reload,
 * no Node), and the bounded retry of a busy volume.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/load.js';
import { renderModalApp } from '../src/providers/modal/template.js';
import { pickleString, WAKE_KEY, writeWake } from '../src/providers/modal/wake.js';
import { MODAL_STUB_DIR } from './fakes/modal-cli.js';

let dir: string;

/** Imports the rendered launcher from `stubs` under real Python with the stub `modal`, and evaluates `call`. */
function runLauncher(stubs: string, call: string, options: { volumePath?: string; env?: Record<string, string> } = {}) {
  const out = execFileSync(
    'python3',
    [
      '-B',
      '-c',
      `import sys, json
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[3])
import modal, modal_app
modal_app.RUNTIME_DIR = sys.argv[2]
if sys.argv[4]:
    modal_app.VOLUME_PATH = sys.argv[4]
result = ${call}
print(json.dumps({"result": result, "events": modal.events, "gets": modal.dict_gets}))`,
      stubs,
      path.join(dir, 'runtime'),
      MODAL_STUB_DIR,
      options.volumePath ?? '',
    ],
    { encoding: 'utf8', env: { ...process.env, ...options.env } },
  );
  return JSON.parse(out) as { result: unknown; events: string[]; gets: string[] };
}

/** PipeVolumeSync and ModalVolumeMount as one ES module next to a stand-in entrypoint. */
function bundleVolumeMount(entrypoints: string): void {
  buildSync({
    entryPoints: [path.join(import.meta.dirname, '../src/providers/modal/volume-mount.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: path.join(entrypoints, 'volume-mount.mjs'),
    logLevel: 'silent',
  });
  fs.writeFileSync(path.join(entrypoints, 'package.json'), '{"type":"module"}');
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-launcher-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

it('reloads, serves the entrypoint commit/reload requests over the pipe, then commits; passes the environment', () => {
  const stubs = path.join(dir, 'stubs');
  fs.mkdirSync(stubs);
  const config = { ...defaultConfig(), provider: 'modal' as const };
  fs.writeFileSync(path.join(stubs, 'modal_app.py'), renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2' }));

  const runtime = path.join(dir, 'runtime');
  const entrypoints = path.join(runtime, 'dist/providers/modal/entrypoints');
  bundleVolumeMount(entrypoints);
  const report = path.join(dir, 'report.json');
  // Stands in for entrypoints/task.js: two syncs through the launcher, then report what it was given.
  fs.writeFileSync(
    path.join(entrypoints, 'task.js'),
    `import fs from 'node:fs';
import { ModalVolumeMount, PipeVolumeSync } from './volume-mount.mjs';
const sync = PipeVolumeSync.fromEnv();
const mount = new ModalVolumeMount(process.env.AIRFLOW_SERVERLESS_VOLUME_ROOT, sync);
let hooks = 0;
mount.beforeSync(async () => { hooks++; });
await mount.commit();
await new Promise((resolve) => setTimeout(resolve, 2100));
await mount.reload();
await mount.declareClean();
sync.close();
const e = process.env;
fs.writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  hooks, payload: (() => { const p = fs.readFileSync(e.AIRFLOW_SERVERLESS_PAYLOAD_FILE, 'utf8'); fs.rmSync(e.AIRFLOW_SERVERLESS_PAYLOAD_FILE); return p; })(), callId: e.AIRFLOW_SERVERLESS_CALL_ID,
  env: e.AIRFLOW_SERVERLESS_ENV, app: e.AIRFLOW_SERVERLESS_APP, dict: e.AIRFLOW_SERVERLESS_DICT,
  root: e.AIRFLOW_SERVERLESS_VOLUME_ROOT, config: JSON.parse(e.AIRFLOW_SERVERLESS_CONFIG).scheduler.interval_seconds,
}));
`,
  );

  const { result, events } = runLauncher(stubs, `modal_app.run_task('{"dag_id": "d"}')`);
  expect(result).toEqual({ exit_code: 0 });
  // Node's commit, then (after the freshness window) its reload; Node declared itself clean, so the
  // launcher's own final commit is skipped.
  expect(events).toEqual(['reload', 'commit', 'reload']);
  expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toEqual({
    hooks: 2,
    payload: '{"dag_id": "d"}',
    callId: 'fc-123',
    env: 'dev',
    app: 'airflow-serverless-dev',
    dict: 'airflow-state-dev',
    root: '/vol',
    config: 60,
  });
});

/** Runs the rendered launcher's `tick` under real Python with the stub, a Dict file and a stand-in tick.js. */
function runLauncherTick(dictEntries: Array<[Uint8Array, Uint8Array]>, env: Record<string, string> = {}) {
  const stubs = path.join(dir, 'stubs');
  fs.mkdirSync(stubs, { recursive: true });
  const config = { ...defaultConfig(), provider: 'modal' as const };
  fs.writeFileSync(path.join(stubs, 'modal_app.py'), renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2', tickTimeoutSeconds: 300 }));
  const entrypoints = path.join(dir, 'runtime/dist/providers/modal/entrypoints');
  fs.mkdirSync(entrypoints, { recursive: true });
  const marker = path.join(dir, 'tick-ran.json');
  fs.writeFileSync(
    path.join(entrypoints, 'tick.js'),
    `require('node:fs').writeFileSync(${JSON.stringify(marker)}, JSON.stringify({ timeout: process.env.AIRFLOW_SERVERLESS_TICK_TIMEOUT_SECONDS, callId: process.env.AIRFLOW_SERVERLESS_CALL_ID }));`,
  );
  const dictFile = path.join(dir, 'dict.json');
  fs.writeFileSync(dictFile, JSON.stringify(Object.fromEntries(dictEntries.map(([k, v]) => [Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]))));
  const parsed = runLauncher(stubs, 'modal_app.tick()', { env: { FAKE_MODAL_DICT_FILE: dictFile, ...env } });
  return { ...parsed, ran: fs.existsSync(marker) ? (JSON.parse(fs.readFileSync(marker, 'utf8')) as Record<string, string>) : null };
}

/** The wake entry exactly as ModalStateDict.putRaw stores it. */
async function wakeEntry(dueAt: Date): Promise<Array<[Uint8Array, Uint8Array]>> {
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  await writeWake({ putRaw: async (k, v) => void entries.push([k, v]), getRaw: async () => undefined }, dueAt);
  return entries;
}

describe('the idle fast path (issue 12.8)', () => {
  it('nothing due: one Dict read, no volume reload, no Node, no commit', async () => {
    const idle = runLauncherTick(await wakeEntry(new Date(Date.now() + 10 * 60_000)));
    expect(idle.result).toEqual({ skipped: true });
    expect(idle.gets).toEqual([WAKE_KEY]);
    expect(idle.events).toEqual([]);
    expect(idle.ran).toBeNull();
  });

  it('due, missing or unreadable: the tick runs, with its timeout and call id', async () => {
    for (const entries of [await wakeEntry(new Date(Date.now() - 1000)), [], [[pickleString(WAKE_KEY), Buffer.from('not a pickle')] as [Uint8Array, Uint8Array]]]) {
      fs.rmSync(path.join(dir, 'tick-ran.json'), { force: true });
      const busy = runLauncherTick(entries);
      expect(busy.result).toEqual({ exit_code: 0 });
      expect(busy.ran).toEqual({ timeout: '300', callId: 'fc-123' });
      expect(busy.events).toEqual(['reload', 'commit']);
    }
  });
});

describe('volume busy (issue 12.5)', () => {
  it('a reload refused for open files is retried a bounded number of times, then fails clearly', () => {
    const retried = runLauncherTickSync({ FAKE_MODAL_BUSY_RELOADS: '2' });
    expect(retried.events).toEqual(['reload:busy', 'reload:busy', 'reload', 'commit']);
    expect(() => runLauncherTickSync({ FAKE_MODAL_BUSY_RELOADS: '9' })).toThrow(/open files preventing the operation/);
  });
});

function runLauncherTickSync(env: Record<string, string>) {
  return runLauncherTick([], env);
}

describe('an escaped operator child (issue 12.5)', () => {
  it('holding its log open makes Modal refuse the commit: the launcher ends it and the commit goes through', () => {
    const stubs = path.join(dir, 'stubs');
    fs.mkdirSync(stubs, { recursive: true });
    const vol = path.join(dir, 'vol');
    fs.mkdirSync(path.join(vol, 'logs'), { recursive: true });
    const config = { ...defaultConfig(), provider: 'modal' as const };
    fs.writeFileSync(path.join(stubs, 'modal_app.py'), renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2' }));
    const entrypoints = path.join(dir, 'runtime/dist/providers/modal/entrypoints');
    bundleVolumeMount(entrypoints);
    const report = path.join(dir, 'report.json');
    // The operator left a background child that holds its log open, then the task commits.
    fs.writeFileSync(
      path.join(entrypoints, 'task.js'),
      `import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { ModalVolumeMount, PipeVolumeSync } from './volume-mount.mjs';
const root = process.env.AIRFLOW_SERVERLESS_VOLUME_ROOT;
const child = spawn('sh', ['-c', 'exec 3>>' + root + '/logs/x.log; exec sleep 60'], { detached: true, stdio: 'ignore' });
child.unref();
await new Promise((resolve) => setTimeout(resolve, 300));
const sync = PipeVolumeSync.fromEnv();
const mount = new ModalVolumeMount(root, sync);
let error = null;
try { await mount.commit(); } catch (e) { error = String(e); }
sync.close();
fs.rmSync(process.env.AIRFLOW_SERVERLESS_PAYLOAD_FILE, { force: true });
fs.writeFileSync(${JSON.stringify(report)}, JSON.stringify({ error, child: child.pid }));
`,
    );
    const { result, events } = runLauncher(stubs, "modal_app.run_task('{}')", { volumePath: vol, env: { FAKE_MODAL_VOLUME_PATH: vol } });
    const { error, child } = JSON.parse(fs.readFileSync(report, 'utf8')) as { error: string | null; child: number };
    expect(error).toBeNull();
    expect(result).toEqual({ exit_code: 0 });
    expect(events).toEqual(['reload', 'commit:busy', 'commit', 'commit']);
    expect(fs.existsSync(`/proc/${child}`) && !fs.readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z ')).toBe(false);
  });
});
