/**
 * A killed try's work never runs on: the operator's process group dies with its task process (its forking
 * helper ends it, or the per-start guard where perl is missing), and what is left of a dead try is ended
 * from its dispatch record before its retry.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './helpers/cli.js';
import type { TaskRecord } from '../src/executor/protocol.js';
import { silentLogger } from '../src/logger.js';
import { readProcessStat, signalGroup } from '../src/process-table.js';
import { endRecordedOperatorGroup } from '../src/providers/local/end-try.js';
import { Heartbeat } from '../src/worker/heartbeat.js';
import { runTaskFunction } from '../src/worker/index.js';
import { groupAlive, runProcessGroup } from '../src/worker/process-group.js';
import { MemoryStateDict } from './fakes/ports.js';
import { bashTask, createHarness, makePayload, processExists, pythonFileTask, queuedRecord } from './worker-harness.js';

const DIST_PROCESS_GROUP = path.resolve(import.meta.dirname, '../dist/worker/process-group.js');
const DIST_WORKER = path.resolve(import.meta.dirname, '../dist/worker/index.js');

/** A stand-in task process: runs one command through runProcessGroup and records the group's id. */
const TASK_PROCESS = `
import fs from 'node:fs';
const { runProcessGroup } = await import(${JSON.stringify(DIST_PROCESS_GROUP)});
const [dir, command] = process.argv.slice(2);
const fd = fs.openSync(dir + '/out.log', 'a');
await runProcessGroup({ command: 'bash', args: ['-c', command], env: process.env, cwd: dir, outputFd: fd, timeoutSeconds: null,
  onSpawn: (pgid) => fs.writeFileSync(dir + '/pgid', String(pgid)) });
`;

/**
 * A stand-in warm worker: one process running tries one after another, so its forking helper was started
 * by an earlier try and serves the later ones. Each argument is one try's command.
 */
const WARM_TASK_PROCESS = `
import fs from 'node:fs';
const { runProcessGroup } = await import(${JSON.stringify(DIST_PROCESS_GROUP)});
const [dir, ...commands] = process.argv.slice(2);
const fd = fs.openSync(dir + '/out.log', 'a');
for (const [i, command] of commands.entries()) {
  await runProcessGroup({ command: 'bash', args: ['-c', command], env: process.env, cwd: dir, outputFd: fd, outputPath: dir + '/out.log',
    timeoutSeconds: null, onSpawn: (pgid) => fs.writeFileSync(dir + '/pgid-' + i, String(pgid)) });
}
`;

const until = <T>(probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> => eventually(probe, timeoutMs);

describe('operator process groups', () => {
  let dir: string;
  const groups: number[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-pdeath-'));
    fs.writeFileSync(path.join(dir, 'task.mjs'), TASK_PROCESS);
  });
  afterEach(() => {
    for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(process.platform !== 'linux')('die with their task process, background children included, before finishing their work', async () => {
    // The work comes after a pause, in a second command (bash forks the first one), with a background child.
    const command = `sleep 60 & echo $! > ${dir}/background; sleep 3; echo WORK >> ${dir}/work`;
    const task = spawn(process.execPath, [path.join(dir, 'task.mjs'), dir, command], { stdio: 'ignore' });
    const pgid = await until(() => fs.existsSync(path.join(dir, 'pgid')) && fs.existsSync(path.join(dir, 'background')) && Number(fs.readFileSync(path.join(dir, 'pgid'), 'utf8')));
    groups.push(pgid);
    const background = Number(fs.readFileSync(path.join(dir, 'background'), 'utf8'));
    expect(readProcessStat(background)?.pgrp).toBe(pgid);
    task.kill('SIGKILL');
    // Well before the 3 s of work are up (and the 60 s of the background child).
    await until(() => !groupAlive(pgid), 2_500);
    expect(fs.existsSync(path.join(dir, 'work'))).toBe(false);
  });

  it.skipIf(process.platform !== 'linux')('die with a warm worker, whose helper served its earlier tries, background children included', async () => {
    fs.writeFileSync(path.join(dir, 'warm.mjs'), WARM_TASK_PROCESS);
    const first = `echo $PPID > ${dir}/parent-0`;
    const second = `echo $PPID > ${dir}/parent-1; sleep 60 & echo $! > ${dir}/background; sleep 3; echo WORK >> ${dir}/work`;
    const worker = spawn(process.execPath, [path.join(dir, 'warm.mjs'), dir, first, second], { stdio: 'ignore' });
    const pgid = await until(() => fs.existsSync(path.join(dir, 'background')) && Number(fs.readFileSync(path.join(dir, 'pgid-1'), 'utf8')));
    groups.push(pgid);
    const parents = [0, 1].map((i) => fs.readFileSync(path.join(dir, `parent-${i}`), 'utf8'));
    expect(parents[1]).toBe(parents[0]);
    expect(Number(parents[0])).not.toBe(worker.pid);
    const background = Number(fs.readFileSync(path.join(dir, 'background'), 'utf8'));
    expect(readProcessStat(background)?.pgrp).toBe(pgid);
    worker.kill('SIGKILL');
    await until(() => !groupAlive(pgid), 2_500);
    expect(fs.existsSync(path.join(dir, 'work'))).toBe(false);
  });

  it('the command\'s exit code, death by signal and timeout come through', async () => {
    const fd = fs.openSync(path.join(dir, 'out.log'), 'a');
    const run = (command: string, timeoutSeconds: number | null = null) =>
      runProcessGroup({ command: 'bash', args: ['-c', command], env: process.env, cwd: dir, outputFd: fd, timeoutSeconds, killGraceMs: 1_000 });
    try {
      expect(await run('exit 3')).toMatchObject({ exitCode: 3, signal: null });
      expect(await run('kill -9 $$')).toMatchObject({ exitCode: -9, signal: 'SIGKILL' });
      expect(await run('sleep 30', 0.5)).toMatchObject({ exitCode: -15, signal: 'SIGTERM', timedOut: true });
      expect(await run('echo out; echo err >&2')).toMatchObject({ exitCode: 0 });
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.readFileSync(path.join(dir, 'out.log'), 'utf8')).toBe('out\nerr\n');
  });
});

describe.skipIf(process.platform !== 'linux')('endRecordedOperatorGroup', () => {
  const groups: number[] = [];
  afterEach(() => {
    for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
  });

  /** An unguarded group, as an operator whose helper was killed together with its task process would leave it. */
  function orphanGroup(): number {
    const child = spawn('bash', ['-c', 'sleep 60 & sleep 60'], { detached: true, stdio: 'ignore' });
    child.unref();
    groups.push(child.pid!);
    return child.pid!;
  }

  function record(pgid: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
    return {
      dag_id: 'd', task_id: 't', run_id: 'r', map_index: -1, try_number: 1, status: 'RUNNING', token: 'x', queued_at: '',
      hostname: os.hostname(), operator_pgid: pgid, operator_start: readProcessStat(pgid)!.startTime, ...overrides,
    };
  }

  it('kills the whole recorded group on this host and waits until it is gone', async () => {
    const pgid = orphanGroup();
    await until(() => (fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => readProcessStat(Number(p))?.pgrp === pgid).length >= 3 ? true : undefined));
    expect(await endRecordedOperatorGroup(record(pgid))).toBe(true);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('leaves the group alone when the record names another host, or another process now has the id', async () => {
    const pgid = orphanGroup();
    expect(await endRecordedOperatorGroup(record(pgid, { hostname: 'elsewhere' }))).toBe(false);
    expect(await endRecordedOperatorGroup(record(pgid, { operator_start: readProcessStat(pgid)!.startTime - 1 }))).toBe(false);
    expect(await endRecordedOperatorGroup(record(pgid, { operator_pgid: undefined }))).toBe(false);
    expect(groupAlive(pgid)).toBe(true);
  });
});

describe('the task function', () => {
  it("records the operator's process group in the RUNNING record as soon as it runs, not at the next heartbeat", async () => {
    const harness = createHarness();
    try {
      const release = path.join(harness.root, 'release');
      // Heartbeats 30 s apart: only the immediate refresh can publish the group while the command waits.
      const payload = makePayload(bashTask({ bash_command: `echo $$ > ${harness.root}/pid; while [ ! -f ${release} ]; do sleep 0.05; done` }));
      await harness.dispatch(payload);
      harness.dict.onPut = (_key, value) => {
        if (value.status === 'RUNNING' && value.operator_pgid !== undefined) fs.writeFileSync(release, JSON.stringify(value));
      };
      const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, requestTick: harness.requestTick, callId: 'c', hostname: 'h' });
      expect(final?.status).toBe('SUCCESS');
      const running = JSON.parse(fs.readFileSync(release, 'utf8')) as TaskRecord;
      // The group's leader is bash itself (or, without perl, a guard with bash inside its group).
      expect(running.operator_pgid).toBeGreaterThan(1);
      if (process.platform === 'linux') expect(running.operator_start).toBeGreaterThan(0);
    } finally {
      harness.cleanup();
    }
  });
});

describe('Heartbeat.refresh', () => {
  it('beats again right after a beat in flight, so a field added meanwhile is published', async () => {
    const dict = new MemoryStateDict();
    const record: TaskRecord = { dag_id: 'd', task_id: 't', run_id: 'r', map_index: -1, try_number: 1, status: 'RUNNING', token: 'x', queued_at: '' };
    await dict.put('k', record);
    let releaseGet: () => void = () => {};
    const originalGet = dict.get.bind(dict);
    // The first beat's read waits until released: it is "in flight" while the field is added.
    let gets = 0;
    dict.get = (async (key: string) => {
      if (gets++ === 0) await new Promise<void>((resolve) => (releaseGet = resolve));
      return originalGet(key);
    }) as typeof dict.get;
    const puts: TaskRecord[] = [];
    const originalPut = dict.put.bind(dict);
    dict.put = async (key: string, value: unknown) => {
      puts.push(JSON.parse(JSON.stringify(value)) as TaskRecord);
      await originalPut(key, value);
    };
    const heartbeat = new Heartbeat({ dict, key: 'k', record, intervalSeconds: 3600, clock: { now: () => new Date() }, logger: silentLogger, onLost: () => {} });
    heartbeat.start();
    heartbeat.refresh(); // beat 1 starts and waits in its read
    record.operator_pgid = 4242;
    heartbeat.refresh(); // must not be lost
    releaseGet();
    await until(() => puts.length >= 2);
    await heartbeat.stop();
    expect(puts.at(-1)?.operator_pgid).toBe(4242);
  });
});

/**
 * A real task process for a Python DAG file's task: the task function (from dist/) with an in-memory state
 * dict whose every write is appended to records.jsonl, so the test sees the RUNNING record the tick would.
 */
const PYTHON_TASK_PROCESS = `
import fs from 'node:fs';
const { runTaskFunction } = await import(${JSON.stringify(DIST_WORKER)});
const [dir] = process.argv.slice(2);
const { payload, queued, root } = JSON.parse(fs.readFileSync(dir + '/payload.json', 'utf8'));
const data = new Map([[payload.key, queued]]);
const dict = {
  async get(key) { return data.get(key); },
  async getMany(keys) { return new Map(keys.filter((k) => data.has(k)).map((k) => [k, data.get(k)])); },
  async put(key, value) { data.set(key, value); fs.appendFileSync(dir + '/records.jsonl', JSON.stringify(value) + '\\n'); },
  async putIfAbsent(key, value) { if (data.has(key)) return false; await this.put(key, value); return true; },
  async delete(key) { return data.delete(key); },
  async entries(prefix) { return [...data].filter(([k]) => k.startsWith(prefix)).sort(); },
};
const volume = { root, async reload() {}, async commit() {} };
await runTaskFunction(payload, { dict, volume, requestTick: async () => {}, callId: 'c' });
`;

/** A Python DAG file whose two tasks (a BashOperator, a TaskFlow @task) do their work after 3 s. */
function pythonDagFile(dir: string): string {
  return `import os, time
from datetime import datetime
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator

with DAG("pdeath", schedule=None, start_date=datetime(2024, 1, 1)):
    BashOperator(task_id="bash", bash_command="echo $$ > ${dir}/worker.pid; sleep 3; echo WORK >> ${dir}/work")

    @task
    def slow():
        with open("${dir}/worker.pid", "w") as handle:
            handle.write(str(os.getpid()))
        time.sleep(3)
        with open("${dir}/work", "a") as handle:
            handle.write("WORK\\n")

    slow()
`;
}

describe.skipIf(process.platform !== 'linux')('a Python DAG file task whose task process dies', () => {
  let dir: string;
  let harness: ReturnType<typeof createHarness>;
  const groups: number[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-pdeath-py-'));
    fs.writeFileSync(path.join(dir, 'task.mjs'), PYTHON_TASK_PROCESS);
    harness = createHarness();
    fs.writeFileSync(path.join(harness.root, 'dags', 'pdeath.py'), pythonDagFile(dir));
  });
  afterEach(() => {
    for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    harness.cleanup();
  });

  /**
   * Starts the task process and waits until the task's work is under way: the runner's BashOperator child
   * (or the @task's Python) wrote its pid. Returns the task process, that pid and the recorded group.
   */
  async function startTask(taskId: string) {
    const base = makePayload(pythonFileTask(taskId));
    const payload = makePayload(pythonFileTask(taskId), { dag_id: 'pdeath', dag: { ...base.dag, dag_id: 'pdeath', fileloc: 'pdeath.py' } });
    fs.writeFileSync(path.join(dir, 'payload.json'), JSON.stringify({ payload, queued: queuedRecord(payload, '2024-01-02T00:00:01.000Z'), root: harness.root }));
    const taskProcess = spawn(process.execPath, [path.join(dir, 'task.mjs'), dir], { stdio: 'ignore' });
    const worker = await until(() => {
      const text = fs.existsSync(path.join(dir, 'worker.pid')) ? fs.readFileSync(path.join(dir, 'worker.pid'), 'utf8').trim() : '';
      return text !== '' && Number(text);
    });
    const records = () =>
      fs.readFileSync(path.join(dir, 'records.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as TaskRecord);
    const running = await until(() => records().find((record) => record.status === 'RUNNING' && record.operator_pgid !== undefined));
    groups.push(running.operator_pgid!);
    // The work runs inside the recorded group, which the group kill and the tick's endTry reach.
    expect(readProcessStat(worker)?.pgrp).toBe(running.operator_pgid);
    return { taskProcess, worker, running };
  }

  for (const taskId of ['bash', 'slow']) {
    it(`${taskId === 'bash' ? 'BashOperator' : '@task'}: its work dies with the SIGKILLed task process, before it is done`, async () => {
      const { taskProcess, worker, running } = await startTask(taskId);
      taskProcess.kill('SIGKILL');
      // Well before the 3 s of work are up.
      await until(() => !groupAlive(running.operator_pgid!), 2_500);
      expect(processExists(worker)).toBe(false);
      expect(fs.existsSync(path.join(dir, 'work'))).toBe(false);
    });
  }

  it("BashOperator: the tick's end of a zombie (its recorded group) ends the runner's bash too", async () => {
    const { taskProcess, worker, running } = await startTask('bash');
    try {
      expect(await endRecordedOperatorGroup(running)).toBe(true);
      expect(groupAlive(running.operator_pgid!)).toBe(false);
      expect(processExists(worker)).toBe(false);
      expect(fs.existsSync(path.join(dir, 'work'))).toBe(false);
    } finally {
      taskProcess.kill('SIGKILL');
    }
  });
});
