/**
 * The modal provider's create / update / destroy against the fake Modal API and a fake `modal` CLI on PATH
 * (a real subprocess), plus the rendered launcher checked by Python's own compiler.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../src/config/load.js';
import type { Config } from '../src/config/model.js';
import { createModalProvider } from '../src/providers/modal/index.js';
import type { ModalProvider, ModalProviderOptions } from '../src/providers/modal/index.js';
import {
  ModalCliMissingError,
  ModalCliVersionError,
  ModalCredentialsMissingError,
  ModalDeployError,
  ModalEnvironmentNotFoundError,
} from '../src/providers/modal/errors.js';
import { parseModalVersion } from '../src/providers/modal/deploy.js';
import { pythonString, renderModalApp } from '../src/providers/modal/template.js';
import { FakeModal } from './fakes/modal-api.js';
import { deployingRunner, installFakeModalCli, type FakeModalCli } from './fakes/modal-cli.js';

function modalConfig(overrides: Partial<Config> = {}): Config {
  return { ...defaultConfig(), provider: 'modal', modal: { environment: 'staging' }, ...overrides };
}

let fake: FakeModal;
let cli: FakeModalCli;
let home: string;
let packageRoot: string;
let steps: string[];
const progress = { step: (m: string) => steps.push(m) };

/** A package root shaped like the installed package: dist/ with the entrypoints, package.json, a lock. */
function makePackageRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-pkg-'));
  const entry = path.join(root, 'dist/providers/modal/entrypoints');
  fs.mkdirSync(entry, { recursive: true });
  for (const name of ['tick', 'task', 'ui']) fs.writeFileSync(path.join(entry, `${name}.js`), '// stub\n');
  fs.writeFileSync(path.join(entry, 'tick.js.map'), '{}');
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'airflow-serverless', version: '0.1.0', dependencies: { yaml: '^2' } }));
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}');
  for (const file of ['python/task_runner.py', 'python/airflow_serverless/runtime/runner.py', 'python/tests/test_x.py', 'python/airflow/__pycache__/x.pyc']) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), '# stub\n');
  }
  return root;
}

function provider(env: string, config: Config, extra: Partial<ModalProviderOptions> = {}): ModalProvider {
  return createModalProvider(env, config, {
    home,
    env: { PATH: `${cli.binDir}:${process.env.PATH}`, MODAL_TOKEN_ID: 'ak-test-id', MODAL_TOKEN_SECRET: 'as-very-secret' },
    grpcMiddleware: [fake.middleware],
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    runCommand: deployingRunner(fake, 'staging'),
    packageRoot,
    nodeVersion: '20.19.2',
    ...extra,
  });
}

beforeEach(async () => {
  vi.stubEnv('MODAL_TOKEN_ID', '');
  vi.stubEnv('MODAL_TOKEN_SECRET', '');
  fake = await new FakeModal().start();
  cli = installFakeModalCli();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-home-'));
  packageRoot = makePackageRoot();
  steps = [];
  fake.onFunction('tick', () => ({ exit_code: 0 }));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await fake.close();
  cli.cleanup();
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(packageRoot, { recursive: true, force: true });
});

describe('renderModalApp', () => {
  it('renders a launcher Python compiles, with the environment baked in', () => {
    const config = modalConfig();
    config.scheduler.interval_seconds = 90;
    config.executor = { parallelism: 7, task_timeout: 1800 };
    config.database = { type: 'postgres', connection_string: 'postgres://u:pw@db/x' };
    const source = renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-render-'));
    try {
      const file = path.join(dir, 'modal_app.py');
      fs.writeFileSync(file, source);
      execFileSync('python3', ['-m', 'py_compile', file]);
      expect(source).toContain('APP_NAME = "airflow-serverless-dev"');
      expect(source).toContain('VOLUME_NAME = "airflow-dags-dev"');
      expect(source).toContain('DICT_NAME = "airflow-state-dev"');
      expect(source).toContain('SECRET_NAME = "airflow-secrets-dev"');
      expect(source).toContain('INTERVAL_SECONDS = 90');
      expect(source).toContain('PARALLELISM = 7');
      expect(source).toContain('TASK_TIMEOUT_SECONDS = 1920'); // task_timeout + the reporting grace
      expect(source).toContain('schedule=modal.Period(seconds=INTERVAL_SECONDS)');
      expect(source).toMatch(/max_containers=1,\n\s+scaledown_window=TICK_SCALEDOWN_SECONDS/);
      expect(source).not.toMatch(/__[A-Z_]+__/);
      // The connection string travels in the secret, never in the file.
      expect(source).not.toContain('pw@db');
      // The runtime is the image's last layer, baked into the image (copy=True), not mounted at each start.
      const layers = source.split('\n').filter((l) => /^image = image\./.test(l));
      expect(layers.at(-1)).toBe('image = image.add_local_dir(LOCAL_RUNTIME / "dist", f"{RUNTIME_DIR}/dist", copy=True)');
      expect(source).not.toMatch(/add_local_dir\([^)]*\)(?<!copy=True\))\n/);
      // Python DAG files need python3 with pendulum; the authoring package ships when the package has it.
      expect(source).toContain('.pip_install("pendulum", "jinja2")');
      expect(source).toContain('SHIP_PYTHON = False');
      // CONFIG_JSON evaluates, in Python, to the JSON of the deployed config.
      const printed = execFileSync('python3', ['-c', `import ast,sys;src=open(sys.argv[1]).read();tree=ast.parse(src)
for node in tree.body:
    if getattr(node,'targets',None) and node.targets[0].id=='CONFIG_JSON': print(ast.literal_eval(node.value))`, file]).toString();
      expect(JSON.parse(printed).executor).toEqual({ parallelism: 7, task_timeout: 1800 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('escapes any string as a Python literal Python reads back exactly', () => {
    const nasty = 'a "quoted" \\ back\nnew\ttab \u0000 é 😀 \' """ __APP_NAME__';
    const out = execFileSync('python3', ['-c', `import ast,sys;sys.stdout.buffer.write(ast.literal_eval(sys.argv[1]).encode('utf-8','surrogatepass'))`, pythonString(nasty)]);
    expect(out.toString('utf8')).toBe(nasty);
  });

  it('refuses values that are not what they claim', () => {
    const config = modalConfig();
    config.executor = { parallelism: 1.5, task_timeout: 60 };
    expect(() => renderModalApp({ env: 'dev', config, nodeVersion: '20.19.2' })).toThrow(/parallelism/);
    expect(() => renderModalApp({ env: 'dev', config: modalConfig(), nodeVersion: '20"; import os' })).toThrow(/nodeVersion/);
  });
});

describe('the modal CLI version and the deploy (issue 12.4, 12.9)', () => {
  it('an old modal CLI is refused with one clear line before anything is created or deployed', async () => {
    for (const version of ['1.1.3', '1.2.6', '0.73.1']) {
      cli.cleanup();
      cli = installFakeModalCli({ version });
      fake.rpcLog.length = 0;
      const error = await provider('dev', modalConfig()).create(modalConfig(), progress).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModalCliVersionError);
      expect((error as Error).message).toBe(
        `the modal CLI is version ${version}; airflow-serverless needs 1.4.0 or newer: run \`pip install -U "modal>=1.4.0"\` (Modal needs Python 3.10 or newer)`,
      );
      expect(cli.invocations().map((argv) => argv[0])).toEqual(['--version']);
      expect(fake.rpcLog.filter((m) => m.endsWith('GetOrCreate'))).toEqual([]);
    }
    expect(parseModalVersion('modal client version: 1.4.2')).toEqual([1, 4, 2]);
    expect(parseModalVersion('1.10')).toEqual([1, 10, 0]);
  });

  it('the fake CLI imports the rendered app under a stub with Modal\'s signatures: an unknown argument fails the deploy', async () => {
    const app = renderModalApp({ env: 'dev', config: modalConfig(), nodeVersion: '20.19.2' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-stub-'));
    try {
      const good = path.join(dir, 'good.py');
      fs.writeFileSync(good, app);
      const out = execFileSync(path.join(cli.binDir, 'modal'), ['deploy', good, '--name', 'x', '--strategy', 'recreate'], { encoding: 'utf8' });
      expect(out).toContain('Created objects: run_task, tick, ui');
      const bad = path.join(dir, 'bad.py');
      fs.writeFileSync(bad, app.replace('scaledown_window=TICK_SCALEDOWN_SECONDS', 'scaledown_windows=TICK_SCALEDOWN_SECONDS'));
      expect(() => execFileSync(path.join(cli.binDir, 'modal'), ['deploy', bad, '--name', 'x'], { stdio: 'pipe' })).toThrow(/scaledown_windows/);
      expect(() => execFileSync(path.join(cli.binDir, 'modal'), ['deploy', good, '--strategy', 'blue-green'], { stdio: 'pipe' })).toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ModalProvider.create / destroy', () => {
  it('creates volume, dict, secret, deploys, and initialises SQLite through the first tick', async () => {
    const p = provider('dev', modalConfig());
    expect(await p.exists()).toBe(false);
    await p.create(modalConfig(), progress);

    expect(fake.volumeByName('airflow-dags-dev', 'staging')!.version).toBe(2);
    expect(fake.dictByName('airflow-state-dev', 'staging')).toBeDefined();
    expect(fake.secretByName('airflow-secrets-dev', 'staging')!.values).toEqual({
      MODAL_TOKEN_ID: 'ak-test-id',
      MODAL_TOKEN_SECRET: 'as-very-secret',
    });
    const deploy = cli.invocations().find((argv) => argv[0] === 'deploy')!;
    expect(deploy.slice(2)).toEqual(['--name', 'airflow-serverless-dev', '--strategy', 'recreate', '-e', 'staging']);
    const build = path.join(home, 'envs/dev/modal-build');
    expect(deploy[1]).toBe(path.join(build, 'modal_app.py'));
    expect(fs.existsSync(path.join(build, 'runtime/dist/providers/modal/entrypoints/tick.js'))).toBe(true);
    expect(fs.existsSync(path.join(build, 'runtime/dist/providers/modal/entrypoints/tick.js.map'))).toBe(false);
    // The Python side ships beside dist/ (src/python-package.ts resolves it there), without its tests.
    expect(fs.existsSync(path.join(build, 'runtime/python/task_runner.py'))).toBe(true);
    expect(fs.existsSync(path.join(build, 'runtime/python/airflow_serverless/runtime/runner.py'))).toBe(true);
    expect(fs.existsSync(path.join(build, 'runtime/python/tests'))).toBe(false);
    expect(fs.existsSync(path.join(build, 'runtime/python/airflow/__pycache__'))).toBe(false);
    expect(fs.readFileSync(path.join(build, 'runtime/package-lock.json'), 'utf8')).toBe('{"lockfileVersion":3}');
    expect(fake.callsOf('tick')).toHaveLength(1);
    expect(await p.exists()).toBe(true);

    // The RPCs, in order, that create issues (reads of the profile are local).
    const creates = fake.rpcLog.filter((m) => /GetOrCreate$|FunctionGet$|FunctionMap|FunctionGetOutputs/.test(m));
    expect(creates).toEqual([
      'AppGetOrCreate', // exists() before
      'VolumeGetOrCreate',
      'DictGetOrCreate',
      'SecretGetOrCreate',
      'FunctionGet',
      'FunctionMap',
      'FunctionGetOutputs',
      'AppGetOrCreate', // exists() after
    ]);
    // Progress: one line per step, the deploy output streamed, no secret anywhere.
    expect(steps).toContain('checking the modal CLI');
    expect(steps).toContain('  modal: ✓ App deployed! 🎉');
    expect(steps.join('\n')).not.toContain('as-very-secret');
  });

  it('re-running create updates in place: same objects, new deploy, secret rewritten', async () => {
    const p = provider('dev', modalConfig());
    await p.create(modalConfig(), progress);
    const volumeId = fake.volumeByName('airflow-dags-dev', 'staging')!.volumeId;
    const dictId = fake.dictByName('airflow-state-dev', 'staging')!.dictId;
    await (await p.stateDict()).put('keep', 1);

    // Switching to Postgres: its schema is created from the CLI, here against a closed port, so create
    // fails at that last step, after everything on Modal was updated.
    const postgres = modalConfig({ database: { type: 'postgres', connection_string: 'postgres://u:pw@127.0.0.1:1/x' } });
    const q = provider('dev', postgres);
    const error = await q.create(postgres, progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('pw');
    expect(fake.volumeByName('airflow-dags-dev', 'staging')!.volumeId).toBe(volumeId);
    expect(fake.dictByName('airflow-state-dev', 'staging')!.dictId).toBe(dictId);
    expect(await (await q.stateDict()).get('keep')).toBe(1);
    expect(fake.appByName('airflow-serverless-dev', 'staging')!.deployments).toBe(2);
    expect(fake.secretByName('airflow-secrets-dev', 'staging')!.values.AIRFLOW_SERVERLESS_DATABASE_URL).toBe('postgres://u:pw@127.0.0.1:1/x');
    expect(steps.join('\n')).not.toContain('pw@');
  });

  it('destroy stops the app and keeps data; --delete-data removes volume, dict and secret', async () => {
    const p = provider('dev', modalConfig());
    await p.create(modalConfig(), progress);
    await p.destroy({ deleteData: false }, progress);
    expect(fake.appByName('airflow-serverless-dev', 'staging')!.state).toBe('stopped');
    expect(fake.rpcLog).toContain('AppStop');
    expect(fake.volumeByName('airflow-dags-dev', 'staging')).toBeDefined();
    expect(await p.exists()).toBe(false);

    await p.destroy({ deleteData: true }, progress);
    expect(fake.volumeByName('airflow-dags-dev', 'staging')).toBeUndefined();
    expect(fake.dictByName('airflow-state-dev', 'staging')).toBeUndefined();
    expect(fake.secretByName('airflow-secrets-dev', 'staging')).toBeUndefined();
    expect(steps).toContain('  airflow-serverless-dev was not deployed');
    // Again: nothing left, nothing fails.
    await p.destroy({ deleteData: true }, progress);
    await expect(p.volume().list('dags')).rejects.toThrow(/^environment not found: run create/);
  });

  it('a missing modal CLI is one line that says how to install it', async () => {
    const p = provider('dev', modalConfig(), { env: { PATH: '/nonexistent', MODAL_TOKEN_ID: 'a', MODAL_TOKEN_SECRET: 'b' }, runCommand: undefined });
    const error = await p.create(modalConfig(), progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalCliMissingError);
    expect((error as Error).message).toBe(
      'the `modal` command is not installed: run `pip install "modal>=1.4"` (Python 3.10 or newer) and then `modal token new`',
    );
    expect(fake.rpcLog).not.toContain('VolumeGetOrCreate');
  });

  it('missing credentials are one line, before anything is created', async () => {
    const p = provider('dev', modalConfig(), { env: { PATH: `${cli.binDir}:${process.env.PATH}` } });
    const error = await p.create(modalConfig(), progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalCredentialsMissingError);
    expect((error as Error).message).toMatch(/^no Modal credentials: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, or run `modal token new`/);
    expect(fake.rpcLog).toEqual([]);
  });

  it('a failed deploy and a failed first tick are clear errors', async () => {
    const failing = installFakeModalCli({ deployExitCode: 1 });
    try {
      const p = provider('dev', modalConfig(), { env: { PATH: `${failing.binDir}:${process.env.PATH}`, MODAL_TOKEN_ID: 'a', MODAL_TOKEN_SECRET: 'b' } });
      await expect(p.create(modalConfig(), progress)).rejects.toThrow(/^modal deploy failed \(exit code 1\)/);
    } finally {
      failing.cleanup();
    }
    fake.onFunction('tick', () => {
      throw new Error('schema boom');
    });
    const p = provider('dev', modalConfig());
    const error = await p.create(modalConfig(), progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModalDeployError);
    expect((error as Error).message).toMatch(/^the first tick failed \(.*schema boom.*\); see `modal app logs airflow-serverless-dev`/);
  });

  it('ports of an environment that was never created say run create', async () => {
    const p = provider('nope', modalConfig());
    await expect(p.stateDict()).rejects.toBeInstanceOf(ModalEnvironmentNotFoundError);
    await expect(p.volume().get('dags/x.yaml')).rejects.toThrow(/^environment not found: run create/);
  });
});
