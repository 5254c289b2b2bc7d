import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimKey, type TaskRecord } from '../src/executor/protocol.js';
import { readXcom, runTaskFunction, writeXcom } from '../src/worker/index.js';
import { findPythonInterpreter } from '../src/worker/find-on-path.js';
import { preferForkingHelper, setPythonHelperExitGrace, sharedForkingHelper } from '../src/worker/forking-helper.js';
import { groupAlive } from '../src/worker/process-group.js';
import { logPath, xcomPath } from '../src/volume-layout.js';
import { RUN_ID, bashTask, createHarness, makePayload, processExists, type Harness } from './worker-harness.js';

let harness: Harness;
afterEach(() => harness?.cleanup());

function run(h: Harness, payload: ReturnType<typeof makePayload>, callId: string | null = 'call-1') {
  return runTaskFunction(payload, { dict: h.dict, volume: h.volume, requestTick: h.requestTick, callId, hostname: 'test-host' });
}

const returnValue = (h: Harness, taskId = 't') =>
  readXcom(h.root, { dag_id: 'd', run_id: RUN_ID, task_id: taskId, map_index: -1 }, 'return_value');

describe('claiming a try', () => {
  const markerTask = (h: Harness) => bashTask({ bash_command: `echo ran >> ${path.join(h.root, 'marker')}` });
  const ran = (h: Harness) => (fs.existsSync(path.join(h.root, 'marker')) ? fs.readFileSync(path.join(h.root, 'marker'), 'utf8').trim().split('\n').length : 0);

  it('runs nothing when there is no dispatch record', async () => {
    harness = createHarness();
    expect(await run(harness, makePayload(markerTask(harness)))).toBeNull();
    expect(ran(harness)).toBe(0);
  });

  it('runs nothing when the record carries another token', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload, { token: 'someone-else' });
    expect(await run(harness, payload)).toBeNull();
    expect(ran(harness)).toBe(0);
    expect(await harness.dict.get(claimKey(payload))).toBeUndefined();
  });

  it('runs nothing when the record is not QUEUED (a try never runs twice)', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload, { status: 'SUCCESS' });
    expect(await run(harness, payload)).toBeNull();
    expect(ran(harness)).toBe(0);
  });

  it('runs nothing when the record is for another try', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload, { try_number: 2 });
    expect(await run(harness, payload)).toBeNull();
    expect(ran(harness)).toBe(0);
  });

  it('runs nothing when the try is already claimed', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload);
    await harness.dict.put(claimKey(payload), { token: payload.token, call_id: 'other', claimed_at: 'x' });
    expect(await run(harness, payload)).toBeNull();
    expect(ran(harness)).toBe(0);
    expect((await harness.dict.get<TaskRecord>(payload.key))?.status).toBe('QUEUED');
  });

  it('a claimer that read QUEUED and stalled while the other spawn ran, reported and was reconciled runs nothing', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload);
    // The stalled claimer's read happened; before it writes its claim, the whole other life of the try
    // passes: claimed, ran, reported, and the tick recorded it and deleted report and claim.
    const dict = harness.dict;
    const putIfAbsent = dict.putIfAbsent.bind(dict);
    dict.putIfAbsent = async (key, value) => {
      if (key === claimKey(payload) && (await dict.get(payload.key)) !== undefined) {
        await putIfAbsent(key, { token: payload.token, call_id: 'other', claimed_at: 'x' });
        await dict.put(payload.key, { ...(await dict.get<TaskRecord>(payload.key))!, status: 'SUCCESS' });
        await dict.delete(payload.key);
        await dict.delete(claimKey(payload));
      }
      return putIfAbsent(key, value);
    };
    expect(await run(harness, payload)).toBeNull();
    expect(ran(harness)).toBe(0);
    // Its late claim is taken back: nothing of the try is left in the dict.
    expect(await dict.get(claimKey(payload))).toBeUndefined();
  });

  it('two spawns of the same try: exactly one runs', async () => {
    harness = createHarness();
    const payload = makePayload(markerTask(harness));
    await harness.dispatch(payload);
    const results = await Promise.all([run(harness, payload, 'call-a'), run(harness, payload, 'call-b')]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(ran(harness)).toBe(1);
    const claim = await harness.dict.get<{ call_id: string }>(claimKey(payload));
    expect(claim?.call_id).toBe(results.find((r) => r !== null)?.call_id);
  });
});

describe('BashOperator', () => {
  it('succeeds and pushes the last line of merged stdout+stderr, right-stripped', async () => {
    harness = createHarness();
    const payload = makePayload(bashTask({ bash_command: 'echo first; echo second >&2; echo "last   "' }));
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({ status: 'SUCCESS', exit_code: 0, call_id: 'call-1', hostname: 'test-host', pid: process.pid });
    expect(returnValue(harness)).toMatchObject({ dag_id: 'd', run_id: RUN_ID, task_id: 't', map_index: -1, key: 'return_value', value: 'last' });
    expect(await harness.dict.get(payload.key)).toEqual(final);
    expect(harness.tickRequests).toBe(1);
  });

  it('pushes "" for empty output and nothing when do_xcom_push is off', async () => {
    harness = createHarness();
    const silent = makePayload(bashTask({ bash_command: 'true' }));
    await harness.dispatch(silent);
    await run(harness, silent);
    expect(returnValue(harness)?.value).toBe('');

    const quiet = makePayload(bashTask({ bash_command: 'echo hi', do_xcom_push: false }, { task_id: 'q' }));
    await harness.dispatch(quiet);
    expect((await run(harness, quiet))?.status).toBe('SUCCESS');
    expect(returnValue(harness, 'q')).toBeUndefined();
  });

  it('exit 99 skips; a custom skip code skips; no XCom on skip', async () => {
    harness = createHarness();
    const p99 = makePayload(bashTask({ bash_command: 'echo before; exit 99' }));
    await harness.dispatch(p99);
    expect(await run(harness, p99)).toMatchObject({ status: 'SKIPPED', exit_code: 99 });
    expect(returnValue(harness)).toBeUndefined();

    const custom = makePayload(bashTask({ bash_command: 'exit 3', skip_on_exit_code: [3] }, { task_id: 'c' }));
    await harness.dispatch(custom);
    expect(await run(harness, custom)).toMatchObject({ status: 'SKIPPED', exit_code: 3 });
  });

  it('a non-zero exit fails with Airflow\'s message', async () => {
    harness = createHarness();
    const payload = makePayload(bashTask({ bash_command: 'echo oops; exit 1' }));
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({
      status: 'FAILED',
      exit_code: 1,
      error: 'Bash command failed. The command returned a non-zero exit code 1.',
    });
    expect(final?.no_retry).toBeUndefined();
    expect(returnValue(harness)).toBeUndefined();
  });

  it('env replaces the environment unless append_env; env null inherits; AIRFLOW_CTX_* always present', async () => {
    harness = createHarness();
    const command = 'echo "${FOO:-unset}|${HOME:-nohome}|${AIRFLOW_CTX_DAG_ID}"';
    const home = process.env['HOME'] ?? '';
    expect(home).not.toBe('');
    const cases: Array<[string, Record<string, string> | null, boolean, string]> = [
      ['replace', { FOO: 'bar' }, false, 'bar|nohome|d'],
      ['append', { FOO: 'bar' }, true, `bar|${home}|d`],
      ['inherit', null, false, `unset|${home}|d`],
    ];
    for (const [taskId, env, appendEnv, expected] of cases) {
      const payload = makePayload(bashTask({ bash_command: command, env, append_env: appendEnv }, { task_id: taskId }));
      await harness.dispatch(payload);
      expect((await run(harness, payload))?.status).toBe('SUCCESS');
      expect(returnValue(harness, taskId)?.value, taskId).toBe(expected);
    }
  });

  it('exports the AIRFLOW_CTX_* variables', async () => {
    harness = createHarness();
    const names = ['DAG_ID', 'TASK_ID', 'LOGICAL_DATE', 'TRY_NUMBER', 'DAG_RUN_ID', 'DAG_OWNER'];
    const payload = makePayload(bashTask({ bash_command: `echo "${names.map((n) => `$AIRFLOW_CTX_${n}`).join('|')}"`, env: { ONLY: 'this' } }), {
      try_number: 2,
    });
    await harness.dispatch(payload);
    await run(harness, payload);
    expect(returnValue(harness)?.value).toBe(`d|t|2024-01-01T00:00:00+00:00|2|${RUN_ID}|data-team`);
  });

  it('each try exports its own run\'s logical date (a warm worker runs tries of many runs in turn)', async () => {
    harness = createHarness();
    const dates = ['2024-01-01T00:00:00.000Z', '2024-03-05T06:07:08.000Z', '2024-01-01T00:00:00.000Z'];
    const seen: unknown[] = [];
    for (const [i, logical] of dates.entries()) {
      const runId = `manual__${i}`;
      const payload = makePayload(bashTask({ bash_command: 'echo "$AIRFLOW_CTX_LOGICAL_DATE"' }), {
        run_id: runId,
        run: { ...makePayload(bashTask({})).run, run_id: runId, logical_date: logical },
      });
      await harness.dispatch(payload);
      await run(harness, payload);
      seen.push(readXcom(harness.root, { dag_id: 'd', run_id: runId, task_id: 't', map_index: -1 }, 'return_value')?.value);
    }
    expect(seen).toEqual(['2024-01-01T00:00:00+00:00', '2024-03-05T06:07:08+00:00', '2024-01-01T00:00:00+00:00']);
  });

  it('runs in cwd when given, else in a fresh temporary folder removed afterwards; a missing cwd fails', async () => {
    harness = createHarness();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-cwd-'));
    try {
      const given = makePayload(bashTask({ bash_command: 'pwd', cwd: workDir }, { task_id: 'given' }));
      await harness.dispatch(given);
      await run(harness, given);
      expect(returnValue(harness, 'given')?.value).toBe(fs.realpathSync(workDir));
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }

    const fresh = makePayload(bashTask({ bash_command: 'pwd' }, { task_id: 'fresh' }));
    await harness.dispatch(fresh);
    await run(harness, fresh);
    const used = String(returnValue(harness, 'fresh')?.value);
    expect(path.basename(used)).toMatch(/^airflowtmp/);
    expect(fs.existsSync(used)).toBe(false);

    // A host that takes the after-report housekeeping (a warm worker) gets the removal handed over: the
    // folder is still there when the final record is, and goes when the host runs what it was given.
    const handed: Array<() => void> = [];
    const deferred = makePayload(bashTask({ bash_command: 'pwd' }, { task_id: 'deferred' }));
    await harness.dispatch(deferred);
    const record = await runTaskFunction(deferred, {
      dict: harness.dict,
      volume: harness.volume,
      requestTick: harness.requestTick,
      callId: 'call-1',
      afterReport: (cleanup) => handed.push(cleanup),
    });
    expect(record?.status).toBe('SUCCESS');
    const kept = String(returnValue(harness, 'deferred')?.value);
    expect(path.basename(kept)).toMatch(/^airflowtmp/);
    expect(fs.existsSync(kept)).toBe(true);
    expect(handed).toHaveLength(1);
    handed[0]!();
    expect(fs.existsSync(kept)).toBe(false);

    const missing = makePayload(bashTask({ bash_command: 'pwd', cwd: '/no/such/dir' }, { task_id: 'missing' }));
    await harness.dispatch(missing);
    expect(await run(harness, missing)).toMatchObject({ status: 'FAILED', error: 'Can not find the cwd: /no/such/dir' });
  });

  it('renders templated fields with Airflow\'s context', async () => {
    harness = createHarness();
    writeXcom(harness.root, { dag_id: 'd', run_id: RUN_ID, task_id: 'a', map_index: -1 }, 'return_value', 'from-a', new Date());
    const command =
      "echo '{{ ds }}|{{ params.x }}|{{ params.y }}|{{ dag_run.conf.y }}|{{ macros.ds_add(ds, 3) }}|{{ ti.xcom_pull(task_ids=\"a\") }}|{{ ti.try_number }}|'\"$MSG\"";
    const payload = makePayload(bashTask({ bash_command: command, env: { MSG: '{{ task.task_id }}-{{ ts_nodash }}' }, append_env: true }));
    await harness.dispatch(payload);
    expect((await run(harness, payload))?.status).toBe('SUCCESS');
    // params.y comes from dag_run.conf: conf overrides params (dag_run_conf_overrides_params).
    expect(returnValue(harness)?.value).toBe('2024-01-01|1|from-conf|from-conf|2024-01-04|from-a|1|t-20240101T000000');
    const log = fs.readFileSync(path.join(harness.root, logPath(payload)), 'utf8');
    expect(log).toContain("echo '2024-01-01|1|from-conf|from-conf|2024-01-04|from-a|1|'\\\"$MSG\\\"");
  });

  it('a bash_command ending in .sh is a template file found next to the DAG file', async () => {
    harness = createHarness();
    fs.mkdirSync(path.join(harness.root, 'dags/team/scripts'), { recursive: true });
    fs.writeFileSync(path.join(harness.root, 'dags/team/scripts/report.sh'), 'echo "report for {{ ds }}"\n');
    const base = makePayload(bashTask({ bash_command: 'scripts/report.sh' }));
    const payload = { ...base, dag: { ...base.dag, fileloc: 'team/pipeline.yaml' } };
    await harness.dispatch(payload);
    expect((await run(harness, payload))?.status).toBe('SUCCESS');
    expect(returnValue(harness)?.value).toBe('report for 2024-01-01');

    const missing = makePayload(bashTask({ bash_command: 'nowhere.sh' }, { task_id: 'm' }));
    await harness.dispatch(missing);
    const final = await run(harness, missing);
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true });
    expect(final?.error).toMatch(/Template file not found: 'nowhere.sh'/);
  });

  it('a template error fails the try without retry and runs nothing', async () => {
    harness = createHarness();
    const marker = path.join(harness.root, 'marker');
    const payload = makePayload(bashTask({ bash_command: `touch ${marker}; echo {{ ds | no_such_filter }}` }));
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true });
    expect(final?.error).toMatch(/no_such_filter/);
    expect(fs.existsSync(marker)).toBe(false);
    // Nothing ran, so the record never said RUNNING: straight from QUEUED to FAILED.
    expect(harness.dict.puts.map(({ value }) => value.status)).toEqual(['FAILED']);
  });

  it('an undefined name fails the try without retry, naming it (StrictUndefined), and runs nothing', async () => {
    harness = createHarness();
    const marker = path.join(harness.root, 'marker');
    const payload = makePayload(bashTask({ bash_command: `touch ${marker}; echo {{ params.x }} {{ typo_ds }}` }));
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({ status: 'FAILED', no_retry: true });
    expect(final?.error).toContain("UndefinedError: 'typo_ds' is undefined");
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('the try\'s lifecycle', () => {
  it.skipIf(process.platform !== 'linux' || findPythonInterpreter() === null)(
    'a command over by the time its start is reported goes from QUEUED to its final record, naming its group',
    async () => {
      // The Python helper with a long exit grace: `true` certainly ends before its start is reported.
      sharedForkingHelper()?.close();
      preferForkingHelper('python');
      const defaultGrace = setPythonHelperExitGrace(10_000);
      try {
        harness = createHarness();
        const payload = makePayload(bashTask({ bash_command: 'true' }));
        await harness.dispatch(payload);
        const final = await runTaskFunction(payload, { dict: harness.dict, volume: harness.volume, callId: 'c', requestTick: harness.requestTick });
        expect(harness.dict.puts.map((put) => put.value.status)).toEqual(['SUCCESS']);
        expect(final?.operator_pgid).toBeGreaterThan(1);
        expect(final?.operator_start).toBeGreaterThan(0);
      } finally {
        sharedForkingHelper()?.close();
        setPythonHelperExitGrace(defaultGrace);
        preferForkingHelper('perl');
      }
    },
  );

  it('writes RUNNING, then commits log and XCom, then the final record, then asks for a tick', async () => {
    harness = createHarness();
    // Still running when its start is reported (a command over by then writes no RUNNING record).
    const payload = makePayload(bashTask({ bash_command: 'echo hello; sleep 0.2' }));
    await harness.dispatch(payload);
    const events: string[] = [];
    harness.dict.onPut = (_key, value) => events.push(`put:${value.status}`);
    harness.volume.onCommit = () => {
      events.push('commit');
      // At commit time the log and the XCom exist, and the record does not yet say done.
      expect(fs.existsSync(path.join(harness.root, logPath(payload)))).toBe(true);
      expect(fs.existsSync(path.join(harness.root, xcomPath(payload, 'return_value')))).toBe(true);
    };
    const tickBefore = harness.tickRequests;
    const originalTick = harness.requestTick;
    const final = await runTaskFunction(payload, {
      dict: harness.dict,
      volume: harness.volume,
      callId: 'c',
      requestTick: async () => {
        events.push('tick');
        await originalTick();
      },
    });
    // One RUNNING put, once the operator's process group exists: it names the group (for the tick to end if we die).
    expect(events).toEqual(['put:RUNNING', 'commit', 'put:SUCCESS', 'tick']);
    expect(harness.tickRequests).toBe(tickBefore + 1);
    const runningRecord = harness.dict.puts[0]?.value;
    expect(runningRecord).toMatchObject({ status: 'RUNNING', token: payload.token, call_id: 'c', pid: process.pid });
    expect(runningRecord?.operator_pgid).toBeGreaterThan(1);
    expect(runningRecord?.started_at).toBeDefined();
    expect(final?.ended_at).toBeDefined();
    expect(final?.started_at).toBe(runningRecord?.started_at);
  });

  it('writes a log with header, output and footer at the Airflow-style path', async () => {
    harness = createHarness();
    const payload = makePayload(bashTask({ bash_command: 'echo out-line; echo err-line >&2' }), { try_number: 2 });
    await harness.dispatch(payload);
    await run(harness, payload);
    const file = path.join(harness.root, `logs/dag_id=d/run_id=${RUN_ID}/task_id=t/attempt=2.log`);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(index(/Try 2 of 3/)).toBeGreaterThanOrEqual(0);
    expect(index(/Running command: .*echo out-line/)).toBeGreaterThan(index(/Try 2 of 3/));
    expect(index(/^out-line$/)).toBeGreaterThan(index(/Running command/));
    expect(index(/^err-line$/)).toBeGreaterThan(index(/^out-line$/));
    expect(index(/Task finished: SUCCESS after [\d.]+ s, exit code 0/)).toBeGreaterThan(index(/^err-line$/));
  });

  it('clears the task\'s earlier XComs before a new try', async () => {
    harness = createHarness();
    const id = { dag_id: 'd', run_id: RUN_ID, task_id: 't', map_index: -1 };
    writeXcom(harness.root, id, 'return_value', 'old', new Date());
    writeXcom(harness.root, id, 'other', 'old', new Date());
    const payload = makePayload(bashTask({ bash_command: 'echo new', do_xcom_push: false }), { try_number: 2 });
    await harness.dispatch(payload);
    await run(harness, payload);
    expect(readXcom(harness.root, id, 'return_value')).toBeUndefined();
    expect(readXcom(harness.root, id, 'other')).toBeUndefined();
  });

  it('heartbeats advance while the operator runs and stop when it ends', async () => {
    harness = createHarness();
    const beatSeen = path.join(harness.root, 'beats-seen');
    const payload = makePayload(bashTask({ bash_command: `while [ ! -f ${beatSeen} ]; do sleep 0.05; done; echo done` }), {
      heartbeat_seconds: 0.1,
    });
    await harness.dispatch(payload);
    const beats: string[] = [];
    harness.dict.onPut = (_key, value) => {
      if (value.status !== 'RUNNING') return;
      beats.push(String(value.heartbeat_at));
      // Let the command finish once two heartbeats after the RUNNING write have landed.
      if (beats.length === 3) fs.writeFileSync(beatSeen, '');
    };
    const final = await run(harness, payload);
    expect(final?.status).toBe('SUCCESS');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < beats.length; i++) expect(Date.parse(beats[i] ?? '')).toBeGreaterThanOrEqual(Date.parse(beats[i - 1] ?? ''));
    expect(Date.parse(beats[2] ?? '')).toBeGreaterThan(Date.parse(beats[0] ?? ''));
    // No heartbeat may land after the final record (it would turn SUCCESS back into RUNNING).
    const putsAtEnd = harness.dict.puts.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(harness.dict.puts.length).toBe(putsAtEnd);
    expect((await harness.dict.get<TaskRecord>(payload.key))?.status).toBe('SUCCESS');
  });

  it('a timeout kills the whole process group and fails the try', async () => {
    harness = createHarness();
    const pidFile = path.join(harness.root, 'pids');
    const payload = makePayload(bashTask({ bash_command: `sleep 1000 & echo $! > ${pidFile}; echo $$ >> ${pidFile}; sleep 1000` }), {
      timeout_seconds: 1,
    });
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({ status: 'FAILED', error: 'Task timed out after 1 seconds' });
    expect(final?.no_retry).toBeUndefined();
    const pids = fs.readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(processExists(pid), `pid ${pid}`).toBe(false);
  });

  it('stops the operator and leaves the record alone when the record is taken away', async () => {
    harness = createHarness();
    const payload = makePayload(bashTask({ bash_command: 'sleep 1000' }), { heartbeat_seconds: 0.1 });
    await harness.dispatch(payload);
    let operatorGroup: number | undefined;
    harness.dict.onPut = (key, value) => {
      // The tick decides the try's fate (e.g. marked failed by an operator): the record changes under us
      // once the operator's group runs (the RUNNING record names it).
      if (value.status === 'RUNNING' && value.operator_pgid !== undefined && operatorGroup === undefined) {
        operatorGroup = value.operator_pgid;
        void harness.dict.put(key, { ...value, status: 'FAILED', error: 'marked failed' });
      }
    };
    const final = await run(harness, payload);
    expect(final).toBeNull();
    expect((await harness.dict.get<TaskRecord>(payload.key))?.error).toBe('marked failed');
    expect(operatorGroup).toBeDefined();
    expect(groupAlive(operatorGroup!)).toBe(false);
  });

  it('an unexpected failure (volume commit) still ends in a FAILED record', async () => {
    harness = createHarness();
    harness.volume.failCommit = true;
    const payload = makePayload(bashTask({ bash_command: 'echo fine' }));
    await harness.dispatch(payload);
    const final = await run(harness, payload);
    expect(final).toMatchObject({ status: 'FAILED', error: 'Volume commit failed: Error: volume unavailable' });
    expect(await harness.dict.get(payload.key)).toEqual(final);
  });

  it('an empty operator succeeds at once', async () => {
    harness = createHarness();
    const task = { ...bashTask({}), operator: 'empty' as const, args: {} };
    const payload = makePayload(task);
    await harness.dispatch(payload);
    expect(await run(harness, payload)).toMatchObject({ status: 'SUCCESS' });
  });
});
