/**
 * Issue 9.7: a Python DAG file through the fake Modal path, end to end. The file and the local module it
 * imports are uploaded by the real upload path (`uploadDagFile`, what `dags create --file` runs) through
 * the Modal provider into the fake's volume; the run is triggered with conf by `triggerDag`; the tick and
 * run_task entrypoints run in-process as the fake's functions would in containers, with a mount that
 * stands in for the launcher's reload/commit between the fake volume and the folder the containers see;
 * the results are read back as the CLI reads them (the committed database, the state dict, the volume).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { KEY_PREFIX } from '../src/executor/protocol.js';
import { PYTHON_PACKAGE_DIR, pythonExecutable } from '../src/python-package.js';
import { silentLogger } from '../src/logger.js';
import { ModalConnection } from '../src/providers/modal/client.js';
import { runModalTask } from '../src/providers/modal/entrypoints/task.js';
import { runModalTick } from '../src/providers/modal/entrypoints/tick.js';
import { ParseWorker } from '../src/parse/parse-worker.js';
import { prepareBuildFolder } from '../src/providers/modal/build.js';
import { createModalProvider, type ModalProvider } from '../src/providers/modal/index.js';
import { ModalStateDict } from '../src/providers/modal/state-dict.js';
import type { VolumeSync } from '../src/providers/modal/volume-mount.js';
import { listEnvironmentDags, triggerDag, uploadDagFile } from '../src/service/dags.js';
import type { Environment } from '../src/service/environments.js';
import { listRuns } from '../src/service/runs.js';
import { listRunTasks, readTaskLog } from '../src/service/tasks.js';
import { xcomPath } from '../src/volume-layout.js';
import { FakeModal, type FakeVolume } from './fakes/modal-api.js';
import { MODAL_TEST_APP, MODAL_TEST_DICT, makeVolumeRoot, modalContainerEnv, modalTestConfig } from './fakes/modal-container.js';
import { openFilesUnder } from './fakes/modal-volume.js';

const VOLUME = 'airflow-dags-dev';

/** Airflow's TaskFlow tutorial shape, a classic BashOperator with `{{ ds }}`, conf read in a PythonOperator, a branch. */
const DAG_FILE = `"""
### Orders by region

TaskFlow tasks pass the orders on by XCom; classic operators read the run's conf and branch on it.
"""
import pendulum

from airflow.operators.bash import BashOperator
from airflow.operators.python import BranchPythonOperator, PythonOperator
from airflow.sdk import Param, dag, task

from order_helpers import parse_orders, region_label


@dag(
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["modal"],
    params={"region": Param("eu", type="string", enum=["eu", "us"])},
)
def modal_orders():
    @task()
    def extract():
        return parse_orders('{"1001": 301.27, "1002": 433.21, "1003": 502.22}')

    @task(multiple_outputs=True)
    def summarise(orders: dict):
        return {"total": round(sum(orders.values()), 2), "count": len(orders)}

    def read_conf(**context):
        region = context["dag_run"].conf.get("region", "eu")
        print(f"region from conf: {region}")
        return region_label(region)

    def choose(ti):
        return "ship_us" if ti.xcom_pull(task_ids="read_conf") == "US" else "ship_eu"

    conf = PythonOperator(task_id="read_conf", python_callable=read_conf)
    branch = BranchPythonOperator(task_id="choose_region", python_callable=choose)
    ship_eu = BashOperator(task_id="ship_eu", bash_command="echo shipping EU orders of {{ ds }}")
    ship_us = BashOperator(task_id="ship_us", bash_command="echo shipping US orders of {{ ds }} to {{ dag_run.conf['city'] }}")

    @task(trigger_rule="none_failed_min_one_success")
    def report(total, count, ds=None):
        line = f"{count} orders, total {total:.2f} on {ds}"
        print(line)
        return line

    summary = summarise(extract())
    conf >> branch >> [ship_eu, ship_us]
    [ship_eu, ship_us] >> report(summary["total"], summary["count"])


modal_orders()
`;

/** The local module the DAG file imports from its own folder: it must travel with the upload. */
const HELPER_MODULE = `import json


def parse_orders(text):
    return json.loads(text)


def region_label(code):
    return code.upper()
`;

let fake: FakeModal;
let volume: FakeVolume;
let volumeRoot: string;
let home: string;
let localDags: string;
let environment: Environment;
let openAtSync: string[];

const sha = (bytes: Uint8Array): string => crypto.createHash('sha256').update(bytes).digest('hex');

/**
 * The launcher's reload and commit between the fake's volume and the folder the containers see. All
 * containers share one folder here (one process), so the folder is always at least as new as the volume:
 * a reload brings in what others committed and the folder lacks (the CLI's uploads); a commit publishes
 * the files that differ. Open files under the mount at a sync are recorded (Modal refuses such a sync).
 */
const mount: VolumeSync = {
  async request(operation) {
    openAtSync.push(...openFilesUnder(volumeRoot));
    if (operation === 'reload') {
      for (const relative of volume.files.keys()) {
        const local = path.join(volumeRoot, relative);
        if (fs.existsSync(local)) continue;
        fs.mkdirSync(path.dirname(local), { recursive: true });
        fs.writeFileSync(local, fake.readFile(volume, relative)!);
      }
    } else if (operation === 'commit') {
      const client = environment.provider.volume();
      for (const entry of fs.readdirSync(volumeRoot, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const relative = path.relative(volumeRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
        const bytes = fs.readFileSync(path.join(volumeRoot, relative));
        const stored = fake.readFile(volume, relative);
        if (stored === undefined || sha(stored) !== sha(bytes)) await client.put(relative, bytes);
      }
      await client.commit();
    }
  },
};

const common = () => ({ grpcMiddleware: [fake.middleware], volumeSync: mount, logger: silentLogger, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });

beforeEach(async () => {
  fake = await new FakeModal().start();
  fake.deployApp(MODAL_TEST_APP, ['tick', 'run_task', 'ui']);
  volume = fake.createVolume(VOLUME, 2);
  const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
  await ModalStateDict.open(connection, MODAL_TEST_DICT, { create: true });
  connection.close();
  volumeRoot = makeVolumeRoot();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-home-'));
  localDags = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-local-dags-'));
  openAtSync = [];
  const config = modalTestConfig();
  const provider = createModalProvider('dev', config, {
    home,
    env: { MODAL_TOKEN_ID: 'ak-cli', MODAL_TOKEN_SECRET: 'as-cli' },
    grpcMiddleware: [fake.middleware],
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
  });
  environment = { name: 'dev', home, configFile: path.join(home, 'envs/dev/config.yaml'), config, provider };
});

afterEach(async () => {
  await (environment.provider as ModalProvider).close();
  await fake.close();
  for (const dir of [volumeRoot, home, localDags]) fs.rmSync(dir, { recursive: true, force: true });
});

it('uploads a Python DAG file with its local module, triggers it with conf, and runs it to Airflow\'s results through tick and run_task', async () => {
  // run_task containers start when the test lets them: in this one process a task's open log would show up
  // in a tick's open-file check (on Modal they are different containers).
  let releaseTasks!: () => void;
  let tasksMayRun = new Promise<void>((resolve) => (releaseTasks = resolve));
  // One container at a time, for the same reason: another task's open log is not this container's.
  let containers = Promise.resolve();
  fake.onFunction('run_task', async (args, _kwargs, ctx) => {
    await tasksMayRun;
    const previous = containers;
    let exited!: () => void;
    containers = new Promise<void>((resolve) => (exited = resolve));
    await previous;
    try {
      return await runTaskContainer(args, ctx.callId);
    } finally {
      exited();
    }
  });
  const runTaskContainer = async (args: unknown[], callId: string): Promise<unknown> => {
    const file = path.join(os.tmpdir(), `payload-${callId}.json`);
    fs.writeFileSync(file, args[0] as string);
    await mount.request('reload');
    const record = await runModalTask({ env: modalContainerEnv(volumeRoot, { AIRFLOW_SERVERLESS_PAYLOAD_FILE: file, AIRFLOW_SERVERLESS_CALL_ID: callId }), ...common() });
    await mount.request('commit');
    return { exit_code: 0, status: record?.status ?? null };
  };
  // Requested ticks (after the upload, the trigger, each task) are driven below, one at a time.
  fake.onFunction('tick', () => ({ exit_code: 0 }));
  const tick = async (): Promise<void> => {
    await mount.request('reload');
    const outcome = await runModalTick({ env: modalContainerEnv(volumeRoot, { AIRFLOW_SERVERLESS_CALL_ID: `fc-tick-${fake.callsOf('tick').length}` }), ...common() });
    expect(outcome.ran).toBe(true);
    await mount.request('commit');
  };

  fs.writeFileSync(path.join(localDags, 'modal_orders.py'), DAG_FILE);
  fs.writeFileSync(path.join(localDags, 'order_helpers.py'), HELPER_MODULE);
  const steps: string[] = [];
  const upload = await uploadDagFile(environment, path.join(localDags, 'modal_orders.py'), 'create', { step: (m) => steps.push(m) });
  expect(upload).toMatchObject({ fileloc: 'modal_orders.py', dags: [{ dag_id: 'modal_orders', tasks: 7 }], callables: ['order_helpers.py'] });
  expect(Buffer.from(fake.readFile(volume, 'dags/modal_orders.py')!).toString('utf8')).toBe(DAG_FILE);
  expect(Buffer.from(fake.readFile(volume, 'dags/order_helpers.py')!).toString('utf8')).toBe(HELPER_MODULE);
  expect(fake.callsOf('tick').length).toBeGreaterThanOrEqual(1);

  // Before any tick parsed it, the file on the volume is known by a parse of a download of the volume's
  // Python files: another file declaring the same DAG id is refused, and nothing of it is uploaded.
  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-other-dags-'));
  try {
    fs.writeFileSync(path.join(other, 'orders_again.py'), 'from airflow.sdk import DAG\n\ndag = DAG("modal_orders", schedule=None)\n');
    await expect(uploadDagFile(environment, path.join(other, 'orders_again.py'), 'create', { step: () => {} })).rejects.toThrow(
      'DAG "modal_orders" is already declared in modal_orders.py; DAG ids must be unique in an environment',
    );
  } finally {
    fs.rmSync(other, { recursive: true, force: true });
  }
  expect(fake.readFile(volume, 'dags/orders_again.py')).toBeUndefined();

  // Triggered at once, as a user does after `dags create`: no tick has parsed the file yet, so the CLI
  // knows the DAG (and checks the conf against its params) from its own parse of the volume's copy. The
  // first tick parses it in the container (the parse worker runs there) and creates the run.
  const logicalDate = new Date('2025-03-04T05:06:07.000Z');
  await expect(triggerDag(environment, 'modal_orders', { conf: { region: 'mars' }, logicalDate })).rejects.toThrow(/^DAG "modal_orders": .*region/);
  const triggered = await triggerDag(environment, 'modal_orders', { conf: { region: 'us', city: 'Boston' }, logicalDate });
  const runId = triggered.dag_run_id;
  expect(runId).toBe('manual__2025-03-04T05:06:07+00:00');

  let ticks = 0;
  for (;;) {
    await tick();
    ticks++;
    const [run] = await listRuns(environment, { dagId: 'modal_orders' });
    if (run && (run.state === 'success' || run.state === 'failed')) break;
    expect(ticks, 'the run should finish within a bounded number of ticks').toBeLessThan(12);
    // Let the tasks this tick dispatched run (each in its own container), then hold the next ones back.
    const pending = fake.callsOf('run_task').filter((call) => call.status === 'running');
    releaseTasks();
    await Promise.all(pending.map((call) => call.done));
    tasksMayRun = new Promise<void>((resolve) => (releaseTasks = resolve));
  }

  const [run] = await listRuns(environment, { dagId: 'modal_orders' });
  expect(run).toMatchObject({ dag_run_id: runId, state: 'success', conf: { region: 'us', city: 'Boston' } });
  const states = Object.fromEntries((await listRunTasks(environment, 'modal_orders', runId)).map((ti) => [ti.task_id, ti.state]));
  expect(states).toEqual({
    extract: 'success',
    summarise: 'success',
    read_conf: 'success',
    choose_region: 'success',
    ship_us: 'success',
    ship_eu: 'skipped',
    report: 'success',
  });
  // Every try ran in a run_task call of its own, and each succeeded; the skipped branch never started.
  const calls = fake.callsOf('run_task');
  expect(calls).toHaveLength(6);
  expect(calls.map((call) => call.status)).toEqual(Array(6).fill('success'));
  expect(calls.map((call) => (call.result as { status: string }).status)).toEqual(Array(6).fill('SUCCESS'));

  // XComs as Airflow pushes them, read from the committed volume.
  const xcom = async (taskId: string, key = 'return_value'): Promise<unknown> => {
    const bytes = await environment.provider.volume().get(xcomPath({ dag_id: 'modal_orders', run_id: runId, task_id: taskId, map_index: -1 }, key));
    return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as { value: unknown }).value;
  };
  const prefix = `xcom/modal_orders/${runId}/`;
  const keys = [...volume.files.keys()].filter((file) => file.startsWith(prefix)).map((file) => file.slice(prefix.length));
  expect(keys.sort()).toEqual([
    'choose_region/return_value.json',
    'extract/return_value.json',
    'read_conf/return_value.json',
    'report/return_value.json',
    'ship_us/return_value.json',
    'summarise/count.json',
    'summarise/return_value.json',
    'summarise/total.json',
  ]);
  expect(await xcom('extract')).toEqual({ '1001': 301.27, '1002': 433.21, '1003': 502.22 });
  expect(await xcom('summarise', 'total')).toBe(1236.7);
  expect(await xcom('summarise', 'count')).toBe(3);
  expect(await xcom('summarise')).toEqual({ total: 1236.7, count: 3 });
  expect(await xcom('read_conf')).toBe('US');
  expect(await xcom('choose_region')).toBe('ship_us');
  expect(await xcom('ship_us')).toBe('shipping US orders of 2025-03-04 to Boston');
  expect(await xcom('ship_eu')).toBeUndefined();
  expect(await xcom('report')).toBe('3 orders, total 1236.70 on 2025-03-04');

  // Log lines, read as `tasks logs` reads them.
  const log = async (taskId: string): Promise<string> => (await readTaskLog(environment, { dagId: 'modal_orders', runId, taskId })).content;
  expect(await log('read_conf')).toContain('region from conf: us');
  expect(await log('ship_us')).toContain('shipping US orders of 2025-03-04 to Boston');
  expect(await log('report')).toContain('3 orders, total 1236.70 on 2025-03-04');
  await expect(readTaskLog(environment, { dagId: 'modal_orders', runId, taskId: 'ship_eu' })).rejects.toThrow(/was skipped/);

  // Nothing left behind: no dispatch record, no claim, no open file at any sync.
  const connection = new ModalConnection({ tokenId: 'a', tokenSecret: 'b', grpcMiddleware: [fake.middleware] });
  const dict = await ModalStateDict.open(connection, MODAL_TEST_DICT, { create: false });
  expect(await dict.entries(KEY_PREFIX.task)).toEqual([]);
  expect(await dict.entries(KEY_PREFIX.claim)).toEqual([]);
  connection.close();
  expect(openAtSync).toEqual([]);
  // Neither the tick's parse nor a task's import left bytecode (or anything else) in the dags folder.
  expect([...volume.files.keys()].filter((file) => file.startsWith('dags/')).sort()).toEqual(['dags/modal_orders.py', 'dags/order_helpers.py']);
  expect(fs.readdirSync(path.join(volumeRoot, 'dags')).sort()).toEqual(['modal_orders.py', 'order_helpers.py']);
  console.log(`modal python DAG: ${ticks} ticks, ${calls.length} run_task calls`);
});

it('the Python side as the image ships it (the build folder\'s runtime/python) parses the DAG file with its local module', async () => {
  // A package root with a stand-in dist/ (the build only checks the entrypoints are there) and the real python/.
  const packageRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-pkg-'));
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modal-build-'));
  try {
    const entrypoints = path.join(packageRoot, 'dist/providers/modal/entrypoints');
    fs.mkdirSync(entrypoints, { recursive: true });
    for (const name of ['tick', 'task', 'ui']) fs.writeFileSync(path.join(entrypoints, `${name}.js`), '// stub\n');
    fs.writeFileSync(path.join(packageRoot, 'package.json'), '{"name":"airflow-serverless"}');
    fs.cpSync(PYTHON_PACKAGE_DIR, path.join(packageRoot, 'python'), { recursive: true });
    prepareBuildFolder({ buildDir, packageRoot, app: { env: 'dev', config: modalTestConfig(), nodeVersion: '20.19.2' } });
    const shipped = path.join(buildDir, 'runtime/python');
    expect(fs.existsSync(path.join(shipped, 'tests'))).toBe(false);

    fs.writeFileSync(path.join(localDags, 'modal_orders.py'), DAG_FILE);
    fs.writeFileSync(path.join(localDags, 'order_helpers.py'), HELPER_MODULE);
    const worker = new ParseWorker({ dagsDir: localDags, timeoutSeconds: 30, command: [pythonExecutable(), path.join(shipped, 'parse_worker.py')] });
    let answer: Awaited<ReturnType<ParseWorker['parse']>>;
    try {
      answer = await worker.parse('modal_orders.py');
    } finally {
      await worker.close();
    }
    expect(answer).toMatchObject({ ok: true, modules: ['order_helpers.py'] });
    const [raw] = (answer as { dags: Array<{ dag_id: string; tasks: Array<{ task_id: string }> }> }).dags;
    expect(raw!.dag_id).toBe('modal_orders');
    expect(raw!.tasks.map((task) => task.task_id).sort()).toEqual(['choose_region', 'extract', 'read_conf', 'report', 'ship_eu', 'ship_us', 'summarise']);
  } finally {
    for (const dir of [packageRoot, buildDir]) fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("a DAG file's top-level code, run by the tick's parse worker, sees neither the workspace token nor the database URL", async () => {
  // What a DAG file saw at import time comes back as its DAG's description.
  fs.writeFileSync(
    path.join(volumeRoot, 'dags/env_probe.py'),
    [
      'import os',
      'from airflow.sdk import DAG',
      '',
      'seen = " ".join(f"{name}={os.environ.get(name, \'none\')}" for name in ("MODAL_TOKEN_SECRET", "AIRFLOW_SERVERLESS_DATABASE_URL"))',
      'dag = DAG("env_probe", schedule=None, description=seen)',
      '',
    ].join('\n'),
  );
  // In a container the secret is in process.env, which the parse worker inherits.
  const saved = { ...process.env };
  Object.assign(process.env, modalContainerEnv(volumeRoot, { AIRFLOW_SERVERLESS_DATABASE_URL: 'postgres://secret@db/x' }));
  try {
    const outcome = await runModalTick({ env: process.env, ...common() });
    expect(outcome.ran).toBe(true);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  const { SqliteBackend } = await import('../src/db/sqlite.js');
  const db = new SqliteBackend({ file: path.join(volumeRoot, 'data/airflow.db'), readonly: true });
  try {
    expect(await db.get('SELECT description FROM dag WHERE dag_id = ?', ['env_probe'])).toEqual({
      description: 'MODAL_TOKEN_SECRET=none AIRFLOW_SERVERLESS_DATABASE_URL=none',
    });
  } finally {
    await db.close();
  }
});

it('a DAG file importing a package the image lacks is an import error `dags list` shows with its traceback; the other DAG file still parses', async () => {
  // Put on the volume as a file from an older version or another machine would be (the upload refuses it).
  const client = environment.provider.volume();
  await client.put('dags/needs_package.py', Buffer.from('from airflow.sdk import DAG\n\nimport package_not_in_the_image\n\ndag = DAG("needs_package", schedule=None)\n'));
  await client.put('dags/modal_orders.py', Buffer.from(DAG_FILE));
  await client.put('dags/order_helpers.py', Buffer.from(HELPER_MODULE));
  await client.commit();
  await mount.request('reload');
  expect((await runModalTick({ env: modalContainerEnv(volumeRoot), ...common() })).ran).toBe(true);
  await mount.request('commit');

  const listing = await listEnvironmentDags(environment);
  expect(listing.dags.map((dag) => dag.dag_id)).toEqual(['modal_orders']);
  expect(listing.import_errors).toHaveLength(1);
  expect(listing.import_errors[0]!.filename).toBe('needs_package.py');
  expect(listing.import_errors[0]!.stack_trace).toMatch(/needs_package\.py", line 3/);
  expect(listing.import_errors[0]!.stack_trace).toContain("ModuleNotFoundError: No module named 'package_not_in_the_image'");
  expect(listing.unparsed_files).toEqual([]);
});
