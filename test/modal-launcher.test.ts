/**
 * The rendered launcher run by real Python against a stub `modal` module, with a real Node child speaking
 * the commit/reload pipe protocol through PipeVolumeSync (bundled from src with esbuild). Checks the order
 * the launcher promises: reload before Node, Node's own syncs served in between, commit after.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/load.js';
import { renderModalApp } from '../src/providers/modal/template.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-launcher-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Just enough of the Python SDK's surface for the launcher to import and run its functions locally. */
const STUB_MODAL = `
events = []
class _Volume:
    def reload(self): events.append("reload")
    def commit(self): events.append("commit")
class Volume:
    @staticmethod
    def from_name(name, **kw): return _Volume()
class Dict:
    @staticmethod
    def from_name(name, **kw): return object()
class Secret:
    @staticmethod
    def from_name(name, **kw): return object()
class _Image:
    def __getattr__(self, name): return lambda *a, **k: self
class Image:
    @staticmethod
    def debian_slim(**kw): return _Image()
class Period:
    def __init__(self, **kw): self.kw = kw
class App:
    def __init__(self, name): self.name = name
    def function(self, **kw): return lambda f: f
class _Tunnel:
    url = "https://tunnel.example"
    def __enter__(self): return self
    def __exit__(self, *a): return False
def forward(port): return _Tunnel()
def current_function_call_id(): return "fc-123"
`;

it('reloads, serves the entrypoint commit/reload requests over the pipe, then commits; passes the environment', () => {
  const stubs = path.join(dir, 'stubs');
  fs.mkdirSync(stubs);
  fs.writeFileSync(path.join(stubs, 'modal.py'), STUB_MODAL);
  const config = { ...defaultConfig(), provider: 'modal' as const };
  fs.writeFileSync(path.join(stubs, 'modal_app.py'), renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2' }));

  const runtime = path.join(dir, 'runtime');
  const entrypoints = path.join(runtime, 'dist/providers/modal/entrypoints');
  buildSync({
    entryPoints: [path.join(import.meta.dirname, '../src/providers/modal/volume-mount.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: path.join(entrypoints, 'volume-mount.mjs'),
    logLevel: 'silent',
  });
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
await mount.reload();
sync.close();
const e = process.env;
fs.writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  hooks, payload: (() => { const p = fs.readFileSync(e.AIRFLOW_SERVERLESS_PAYLOAD_FILE, 'utf8'); fs.rmSync(e.AIRFLOW_SERVERLESS_PAYLOAD_FILE); return p; })(), callId: e.AIRFLOW_SERVERLESS_CALL_ID,
  env: e.AIRFLOW_SERVERLESS_ENV, app: e.AIRFLOW_SERVERLESS_APP, dict: e.AIRFLOW_SERVERLESS_DICT,
  root: e.AIRFLOW_SERVERLESS_VOLUME_ROOT, config: JSON.parse(e.AIRFLOW_SERVERLESS_CONFIG).scheduler.interval_seconds,
}));
`,
  );
  fs.writeFileSync(path.join(entrypoints, 'package.json'), '{"type":"module"}');

  const out = execFileSync(
    'python3',
    [
      '-c',
      `import sys, json
sys.path.insert(0, sys.argv[1])
import modal, modal_app
modal_app.RUNTIME_DIR = sys.argv[2]
result = modal_app.run_task('{"dag_id": "d"}')
print(json.dumps({"result": result, "events": modal.events}))`,
      stubs,
      runtime,
    ],
    { encoding: 'utf8' },
  );
  const { result, events } = JSON.parse(out) as { result: unknown; events: string[] };
  expect(result).toEqual({ exit_code: 0 });
  expect(events).toEqual(['reload', 'commit', 'reload', 'commit']);
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
