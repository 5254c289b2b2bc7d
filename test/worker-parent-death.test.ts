/**
 * A killed try's work never runs on: the operator's process group dies with its task process (the
 * parent-death guard), and what is left of a dead try is ended from its dispatch record before its retry.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/executor/protocol.js';
import { silentLogger } from '../src/logger.js';
import { readProcessStat, signalGroup } from '../src/process-table.js';
import { endRecordedOperatorGroup } from '../src/providers/local/end-try.js';
import { Heartbeat } from '../src/worker/heartbeat.js';
import { runTaskFunction } from '../src/worker/index.js';
import { groupAlive, runProcessGroup } from '../src/worker/process-group.js';
import { MemoryStateDict } from './fakes/ports.js';
import { bashTask, createHarness, makePayload } from './worker-harness.js';

const DIST_PROCESS_GROUP = path.resolve(import.meta.dirname, '../dist/worker/process-group.js');

/** A stand-in task process: runs one command through runProcessGroup and records the group's id. */
const TASK_PROCESS = `
import fs from 'node:fs';
const { runProcessGroup } = await import(${JSON.stringify(DIST_PROCESS_GROUP)});
const [dir, command] = process.argv.slice(2);
const fd = fs.openSync(dir + '/out.log', 'a');
await runProcessGroup({ command: 'bash', args: ['-c', command], env: process.env, cwd: dir, outputFd: fd, timeoutSeconds: null,
  onSpawn: (pgid) => fs.writeFileSync(dir + '/pgid', String(pgid)) });
`;

async function until<T>(probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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

  it('the guard passes the command\'s exit code, death by signal and timeout through', async () => {
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

  /** An unguarded group, as an operator whose guard died with its task process would leave it. */
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
      // The group's leader is the guard (Linux) or bash itself; bash runs inside that group either way.
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
