import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskPayload } from '../src/executor/protocol.js';
import { TICK_REQUESTED_KEY } from '../src/executor/protocol.js';
import { readProcessStat } from '../src/process-table.js';
import { pythonExecutable } from '../src/python-package.js';
import { isScript } from '../src/worker/find-on-path.js';
import { localEnvironmentPaths } from '../src/providers/local/paths.js';
import type { LocalEnvironmentPaths } from '../src/providers/local/paths.js';
import { LocalTaskSpawner, parseCallId, requestLocalTick, type LocalTaskSpawnerOptions } from '../src/providers/local/spawner.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';
import { listenForWake, SchedulerAlreadyRunningError } from '../src/providers/local/wake.js';

const DIST_PROCESS_GROUP = path.resolve(import.meta.dirname, '../dist/worker/process-group.js');

/**
 * Like a real task process, through its forking helper: an operator (a grandchild of the task process) that
 * records its pid, and on SIGTERM records that it got it and exits. The task process ignores SIGTERM, so
 * only a cancel that finds the operator's group itself can deliver one (the helper's SIGKILL on the task
 * process's death would leave no record).
 */
const HELPER_OPERATOR = `
async function startHelperOperator(dir) {
  process.on('SIGTERM', () => {});
  const { runProcessGroup } = await import(${JSON.stringify(DIST_PROCESS_GROUP)});
  const log = dir + '/operator.log';
  const command = 'trap "echo TERM > ' + dir + '/operator-term; exit 0" TERM; echo $$ > ' + dir + '/operator; while :; do sleep 0.05; done';
  void runProcessGroup({ command: 'bash', args: ['-c', command], env: { PATH: process.env.PATH }, cwd: dir,
    outputFd: fs.openSync(log, 'a'), outputPath: log, timeoutSeconds: null });
}
`;

/** A stand-in task process: records that it started, then waits for the test's `release` file. */
const FAKE_TASK = `
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
${HELPER_OPERATOR}
const dir = process.env.FAKE_TASK_DIR;
const payloadFile = process.argv[process.argv.indexOf('--payload') + 1];
const payload = JSON.parse(fs.readFileSync(payloadFile, 'utf8'));
if (payload.task_id === 'helper_operator') await startHelperOperator(dir);
if (payload.task_id === 'stubborn') {
  // Like an operator: its own process group, and it ignores SIGTERM; the task process ignores it too.
  process.on('SIGTERM', () => {});
  const operator = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], { stdio: 'ignore', detached: true });
  fs.writeFileSync(path.join(dir, 'operator'), String(operator.pid));
}
if (payload.task_id === 'with_child') {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'grandchild'), String(child.pid));
}
if (payload.task_id === 'env') fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify(process.env));
// Written aside and renamed: a test that sees the file by name reads the whole pid.
fs.writeFileSync(path.join(dir, '.pid-' + payload.task_id), String(process.pid));
fs.renameSync(path.join(dir, '.pid-' + payload.task_id), path.join(dir, 'started-' + payload.task_id));
const timer = setInterval(() => { if (fs.existsSync(path.join(dir, 'release'))) process.exit(0); }, 20);
`;

/** A stand-in warm worker: announces itself, then runs each try like FAKE_TASK, over IPC. */
const FAKE_WARM_WORKER = `
import fs from 'node:fs';
import path from 'node:path';
${HELPER_OPERATOR}
const dir = process.env.FAKE_TASK_DIR;
process.on('disconnect', () => process.exit(0));
process.on('message', async (message) => {
  if (message.payload.task_id === 'helper_operator') await startHelperOperator(dir);
  fs.writeFileSync(path.join(dir, '.pid-' + message.payload.task_id), String(process.pid));
  fs.renameSync(path.join(dir, '.pid-' + message.payload.task_id), path.join(dir, 'started-' + message.payload.task_id));
  const timer = setInterval(() => {
    if (!fs.existsSync(path.join(dir, 'release'))) return;
    clearInterval(timer);
    process.send({ type: 'done', callId: message.callId });
  }, 20);
});
process.send({ type: 'ready' });
`;

function payload(taskId: string): TaskPayload {
  return { key: `task:d:${taskId}:r:-1:1`, task_id: taskId, dag_id: 'd', run_id: 'r', map_index: -1, try_number: 1 } as TaskPayload;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('LocalTaskSpawner', () => {
  let dir: string;
  let paths: LocalEnvironmentPaths;
  let dict: SqliteStateDict;
  let spawner: LocalTaskSpawner;

  /** A spawner of FAKE_TASK cold processes (two slots unless `overrides` says otherwise). */
  function fakeTaskSpawner(overrides: Partial<LocalTaskSpawnerOptions> = {}): LocalTaskSpawner {
    return new LocalTaskSpawner({
      paths,
      parallelism: 2,
      dict,
      command: [process.execPath, path.join(dir, 'fake-task.mjs')],
      childEnv: { FAKE_TASK_DIR: dir },
      ...overrides,
    });
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-spawn-'));
    paths = localEnvironmentPaths('spawn-test', path.join(dir, 'home'));
    fs.mkdirSync(paths.root, { recursive: true });
    fs.writeFileSync(path.join(dir, 'fake-task.mjs'), FAKE_TASK);
    dict = new SqliteStateDict(paths.stateDict);
    spawner = fakeTaskSpawner();
  });
  afterEach(async () => {
    fs.writeFileSync(path.join(dir, 'release'), '');
    await spawner.waitForChildren(10_000);
    const grandchild = path.join(dir, 'grandchild');
    if (fs.existsSync(grandchild)) {
      try {
        process.kill(Number(fs.readFileSync(grandchild, 'utf8')), 'SIGKILL');
      } catch {
        // Already gone (the expected case).
      }
    }
    await dict.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const started = (): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('started-'));

  it('runs at most `parallelism` children; the next spawn waits for a slot', async () => {
    const first = await spawner.spawn(payload('a'));
    const second = await spawner.spawn(payload('b'));
    let thirdDone = false;
    const third = spawner.spawn(payload('c')).then((id) => {
      thirdDone = true;
      return id;
    });
    await until(() => started().length === 2);
    expect(thirdDone).toBe(false);
    expect(spawner.inFlight().sort()).toEqual([first, second].sort());
    expect(parseCallId(first)?.pid).toBe(Number(fs.readFileSync(path.join(dir, 'started-a'), 'utf8')));

    fs.writeFileSync(path.join(dir, 'release'), '');
    const thirdId = await third;
    expect(thirdId).toMatch(/^local-\d+$/);
    expect(await spawner.waitForChildren(10_000)).toBe(true);
    expect(started().sort()).toEqual(['started-a', 'started-b', 'started-c']);
  });

  it("passes a task process no secret of the scheduler, but the Python interpreter the tick parses with", async () => {
    process.env['AIRFLOW_SERVERLESS_PYTHON'] = '/opt/python3.12/bin/python3';
    process.env['SCHEDULER_SECRET_FOR_TEST'] = 'hunter2';
    try {
      await spawner.spawn(payload('env'));
      await until(() => started().length === 1);
    } finally {
      delete process.env['AIRFLOW_SERVERLESS_PYTHON'];
      delete process.env['SCHEDULER_SECRET_FOR_TEST'];
    }
    const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8')) as Record<string, string>;
    expect(env['AIRFLOW_SERVERLESS_PYTHON']).toBe('/opt/python3.12/bin/python3');
    expect(env['AIRFLOW_SERVERLESS_HOME']).toBe(paths.home);
    expect(env['SCHEDULER_SECRET_FOR_TEST']).toBeUndefined();
  });

  it('passes the interpreter it worked out itself when none is named (a shim is resolved once, here)', async () => {
    delete process.env['AIRFLOW_SERVERLESS_PYTHON'];
    await spawner.spawn(payload('env'));
    await until(() => started().length === 1);
    const env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8')) as Record<string, string>;
    expect(env['AIRFLOW_SERVERLESS_PYTHON']).toBe(pythonExecutable());
    const python = env['AIRFLOW_SERVERLESS_PYTHON']!;
    if (path.isAbsolute(python)) expect(isScript(python)).toBe(false);
  });

  it('cancel kills the whole process group of a try', async () => {
    const callId = await spawner.spawn(payload('with_child'));
    await until(() => started().length === 1 && fs.existsSync(path.join(dir, 'grandchild')));
    const grandchild = Number(fs.readFileSync(path.join(dir, 'grandchild'), 'utf8'));
    expect(alive(grandchild)).toBe(true);
    await spawner.cancel(callId);
    expect(await spawner.waitForChildren(10_000)).toBe(true);
    await until(() => !alive(grandchild));
  });

  it('cancel resolves only once the try and its operator groups are gone, SIGKILLing what ignores SIGTERM', async () => {
    const quick = fakeTaskSpawner({ parallelism: 1, cancelGraceMs: 300 });
    const callId = await quick.spawn(payload('stubborn'));
    await until(() => started().length === 1 && fs.existsSync(path.join(dir, 'operator')));
    const task = parseCallId(callId)!.pid;
    const operator = Number(fs.readFileSync(path.join(dir, 'operator'), 'utf8'));
    expect([alive(task), alive(operator)]).toEqual([true, true]);
    await quick.cancel(callId);
    // No waiting here: the next try may start the moment cancel returns.
    const running = (pid: number) => alive(pid) && !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    expect([running(task), running(operator)]).toEqual([false, false]);
  });

  /** Starts a try whose operator runs through the forking helper, cancels it, and checks what the operator got. */
  async function cancelHelperOperator(target: LocalTaskSpawner): Promise<void> {
    const callId = await target.spawn(payload('helper_operator'));
    const operatorFile = path.join(dir, 'operator');
    await until(() => fs.existsSync(operatorFile) && fs.readFileSync(operatorFile, 'utf8').endsWith('\n'));
    const operator = Number(fs.readFileSync(operatorFile, 'utf8'));
    expect(readProcessStat(readProcessStat(operator)!.ppid)?.ppid).toBe(parseCallId(callId)!.pid);
    await target.cancel(callId);
    expect(fs.existsSync(path.join(dir, 'operator-term'))).toBe(true);
    expect(alive(operator)).toBe(false);
  }

  it.skipIf(process.platform !== 'linux')("cancel reaches a cold try's operator started through its forking helper", async () => {
    const graceful = fakeTaskSpawner({ parallelism: 1, cancelGraceMs: 1_000 });
    await cancelHelperOperator(graceful);
  });

  it.skipIf(process.platform !== 'linux')("cancel reaches a warm worker's operator started through its forking helper", async () => {
    fs.writeFileSync(path.join(dir, 'fake-warm.mjs'), FAKE_WARM_WORKER);
    const warmSpawner = new LocalTaskSpawner({
      paths,
      parallelism: 1,
      dict,
      warmWorkers: 1,
      warmCommand: [process.execPath, path.join(dir, 'fake-warm.mjs')],
      childEnv: { FAKE_TASK_DIR: dir },
      cancelGraceMs: 1_000,
    });
    try {
      warmSpawner.startWarmWorkers();
      await until(() => warmSpawner.idleWarmWorkers() === 1);
      await cancelHelperOperator(warmSpawner);
    } finally {
      await warmSpawner.close();
    }
  });

  it('hands tries to an idle warm worker, starts cold processes beyond it, and reuses it afterwards', async () => {
    fs.writeFileSync(path.join(dir, 'fake-warm.mjs'), FAKE_WARM_WORKER);
    const warmSpawner = fakeTaskSpawner({ warmWorkers: 1, warmCommand: [process.execPath, path.join(dir, 'fake-warm.mjs')] });
    try {
      warmSpawner.startWarmWorkers();
      await until(() => warmSpawner.idleWarmWorkers() === 1);
      const warmId = await warmSpawner.spawn(payload('a'));
      const coldId = await warmSpawner.spawn(payload('b'));
      await until(() => started().length === 2);
      const warmPid = Number(fs.readFileSync(path.join(dir, 'started-a'), 'utf8'));
      expect(warmId).toBe(`local-${warmPid}-1`);
      expect(parseCallId(warmId)).toEqual({ pid: warmPid, warmTry: 1 });
      expect(coldId).toMatch(/^local-\d+$/);
      expect(coldId).not.toBe(`local-${warmPid}`);

      fs.writeFileSync(path.join(dir, 'release'), '');
      expect(await warmSpawner.waitForChildren(10_000)).toBe(true);
      // A finished try's call id no longer reaches the worker, which may be running another try.
      await warmSpawner.cancel(warmId);
      expect(alive(warmPid)).toBe(true);
      expect(await warmSpawner.spawn(payload('c'))).toBe(`local-${warmPid}-2`);
      expect(await warmSpawner.waitForChildren(10_000)).toBe(true);
    } finally {
      await warmSpawner.close();
    }
    const warmPid = Number(fs.readFileSync(path.join(dir, 'started-a'), 'utf8'));
    await until(() => !alive(warmPid));
  });

  it('stops starting warm workers that keep exiting before they are ready, and runs tries in cold processes', async () => {
    // A warm worker that cannot start (a broken install, say): it notes each start and dies at once.
    fs.writeFileSync(
      path.join(dir, 'broken-warm.mjs'),
      "import fs from 'node:fs'; fs.appendFileSync(process.env.FAKE_TASK_DIR + '/warm-starts', 'x'); process.exit(1);\n",
    );
    const brokenSpawner = fakeTaskSpawner({ warmWorkers: 1, warmCommand: [process.execPath, path.join(dir, 'broken-warm.mjs')] });
    const starts = () => (fs.existsSync(path.join(dir, 'warm-starts')) ? fs.readFileSync(path.join(dir, 'warm-starts'), 'utf8').length : 0);
    try {
      brokenSpawner.startWarmWorkers();
      await until(() => starts() >= 3);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(starts()).toBe(3);
      expect(await brokenSpawner.spawn(payload('a'))).toMatch(/^local-\d+$/);
      await until(() => started().includes('started-a'));
      fs.writeFileSync(path.join(dir, 'release'), '');
      expect(await brokenSpawner.waitForChildren(10_000)).toBe(true);
      expect(starts()).toBe(3);
    } finally {
      await brokenSpawner.close();
    }
  });

  it('close waits for idle warm workers to exit (they close the state dict on the way out)', async () => {
    // Like the real warm worker, it has cleanup to do after the disconnect before it is gone.
    const slowExit = `
import fs from 'node:fs';
import path from 'node:path';
process.on('disconnect', () => setTimeout(() => {
  fs.writeFileSync(path.join(process.env.FAKE_TASK_DIR, 'exited-' + process.pid), '');
  process.exit(0);
}, 150));
process.send({ type: 'ready' });
`;
    fs.writeFileSync(path.join(dir, 'slow-exit-warm.mjs'), slowExit);
    const warmSpawner = new LocalTaskSpawner({
      paths,
      parallelism: 2,
      dict,
      warmWorkers: 2,
      warmCommand: [process.execPath, path.join(dir, 'slow-exit-warm.mjs')],
      childEnv: { FAKE_TASK_DIR: dir },
    });
    warmSpawner.startWarmWorkers();
    await until(() => warmSpawner.idleWarmWorkers() === 2);
    await warmSpawner.close();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('exited-'))).toHaveLength(2);
  });

  it("passes a warm worker's tick request, sent with its done, to onTickRequested once the slot is free", async () => {
    // Each try asks for a tick except the one of task 'quiet'.
    fs.writeFileSync(
      path.join(dir, 'tick-warm.mjs'),
      `process.on('disconnect', () => process.exit(0));
process.on('message', (m) => process.send({ type: 'done', callId: m.callId, status: 'SUCCESS', tick: m.payload.task_id !== 'quiet' }));
process.send({ type: 'ready' });
`,
    );
    const requests: Array<{ inFlight: number }> = [];
    const warmSpawner: LocalTaskSpawner = new LocalTaskSpawner({
      paths,
      parallelism: 1,
      dict,
      warmWorkers: 1,
      warmCommand: [process.execPath, path.join(dir, 'tick-warm.mjs')],
      onTickRequested: () => requests.push({ inFlight: warmSpawner.inFlight().length }),
    });
    try {
      warmSpawner.startWarmWorkers();
      await until(() => warmSpawner.idleWarmWorkers() === 1);
      await warmSpawner.spawn(payload('loud'));
      await until(() => requests.length === 1);
      await warmSpawner.spawn(payload('quiet'));
      await until(() => warmSpawner.inFlight().length === 0);
      await warmSpawner.spawn(payload('loud'));
      await until(() => requests.length === 2);
    } finally {
      await warmSpawner.close();
    }
    // The pass a request starts can fill the slot the try just left.
    expect(requests).toEqual([{ inFlight: 0 }, { inFlight: 0 }]);
    // The loop serves the request itself: nothing is written to the dict for it.
    expect(await dict.get(TICK_REQUESTED_KEY)).toBeUndefined();
  });

  it('cancel ignores call ids that are not ours', async () => {
    await spawner.cancel('modal-fc-123');
    await spawner.cancel(`local-${process.pid}`); // Our own pid does not lead its own group: never signalled.
    expect(alive(process.pid)).toBe(true);
  });

  it('requestTick records the request and wakes a listening loop; a second loop is refused', async () => {
    let wakes = 0;
    let onWake = (): void => {};
    const listener = await listenForWake(paths, () => {
      wakes++;
      onWake();
    });
    try {
      // The refused loop's probe is itself a (harmless) wake-up.
      await expect(listenForWake(paths, () => {})).rejects.toThrow(SchedulerAlreadyRunningError);
      await until(() => wakes === 1);
      const wokeUp = new Promise<void>((resolve) => (onWake = resolve));
      await requestLocalTick(paths, dict);
      await wokeUp;
      expect(wakes).toBe(2);
      expect(typeof (await dict.get(TICK_REQUESTED_KEY))).toBe('string');
    } finally {
      await listener.close();
    }
  });
});
