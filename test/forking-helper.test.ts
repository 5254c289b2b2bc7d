/**
 * The forking helper (src/worker/forking-helper*.ts) through runProcessGroup: what the started command gets
 * (environment, cwd, stdin, log, process group), what comes back (exit code, signal, exec and start
 * failures), one helper serving many starts in a row and at once, and what happens to the groups when the
 * helper sees EOF or is killed; for both programs (Perl, and Python's posix_spawn). Also the fallbacks where
 * perl is missing.
 */

const PYTHON = findPythonInterpreter();
const KINDS: HelperKind[] = PYTHON === null ? ['perl'] : ['perl', 'python'];
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './helpers/cli.js';
import { readProcessStat, signalGroup } from '../src/process-table.js';
import { findPythonInterpreter } from '../src/worker/find-on-path.js';
import { PRCTL_SYSCALL, preferForkingHelper, sharedForkingHelper, type HelperKind } from '../src/worker/forking-helper.js';
import { FORKING_HELPER_PROGRAM } from '../src/worker/forking-helper-program.js';
import { PYTHON_FORKING_HELPER_PROGRAM } from '../src/worker/forking-helper-python.js';
import { groupAlive, ProcessStartError, runProcessGroup, type ProcessGroupOptions } from '../src/worker/process-group.js';

const DIST_PROCESS_GROUP = path.resolve(import.meta.dirname, '../dist/worker/process-group.js');
const DIST_FORKING_HELPER = path.resolve(import.meta.dirname, '../dist/worker/forking-helper.js');

const until = <T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> => eventually(probe, timeoutMs);

/** A request as the task process frames it: `<byte length>\n` and the fields joined by NUL. */
function frameRequest(fields: readonly string[]): string {
  const body = fields.join('\0');
  return `${Buffer.byteLength(body)}\n${body}`;
}

/** An `S` request's fields: start `argv` in `dir` with its output appended to `log`, on our PATH. */
function startRequest(id: string, dir: string, log: string, argv: readonly string[]): string[] {
  return ['S', id, dir, log, String(argv.length), ...argv, `PATH=${process.env['PATH']}`];
}

/**
 * A helper program talked to directly over its pipes (the tests of the protocol itself): its replies as
 * they were read (one string per read), and a way to send it requests. `extraArgs` follow the usual ones.
 */
function startHelperProgram(kind: HelperKind, extraArgs: readonly string[] = []) {
  const program =
    kind === 'perl'
      ? ['perl', '-e', FORKING_HELPER_PROGRAM, '0', String(process.pid)]
      : [PYTHON!, '-I', '-S', '-c', PYTHON_FORKING_HELPER_PROGRAM, '1', String(process.pid)];
  const child = spawn(program[0]!, [...program.slice(1), ...extraArgs], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { child, chunks, replies: () => chunks.join(''), request: (fields: readonly string[]) => child.stdin.write(frameRequest(fields)) };
}

function alive(pid: number): boolean {
  const stat = readProcessStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

describe.skipIf(process.platform !== 'linux').each(KINDS)('the forking helper in %s', (kind) => {
  beforeAll(() => {
    sharedForkingHelper()?.close();
    preferForkingHelper(kind);
  });
  afterAll(() => {
    sharedForkingHelper()?.close();
    preferForkingHelper('perl');
  });
  let dir: string;
  let logPath: string;
  let fd: number;
  const groups: number[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-forker-'));
    logPath = path.join(dir, 'out.log');
    fd = fs.openSync(logPath, 'a+');
  });
  afterEach(() => {
    for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const log = () => fs.readFileSync(logPath, 'utf8');
  const options = (overrides: Partial<ProcessGroupOptions> = {}): ProcessGroupOptions => ({
    command: 'bash',
    args: ['-c', 'true'],
    env: { PATH: process.env['PATH'] },
    cwd: dir,
    outputFd: fd,
    outputPath: logPath,
    timeoutSeconds: null,
    killGraceMs: 1_000,
    onSpawn: (pgid) => groups.push(pgid),
    ...overrides,
  });
  const bash = (command: string, overrides: Partial<ProcessGroupOptions> = {}) => runProcessGroup(options({ args: ['-c', command], ...overrides }));

  it('runs in its interpreter, with an empty environment of its own', async () => {
    await bash('true');
    const helper = sharedForkingHelper();
    expect(helper?.pid).toBeGreaterThan(1);
    expect(helper?.interpreter.kind).toBe(kind);
    expect(fs.readlinkSync(`/proc/${helper!.pid}/exe`)).toMatch(kind === 'perl' ? /perl/ : /python/);
    expect(fs.readFileSync(`/proc/${helper!.pid}/environ`, 'utf8')).toBe('');
  });

  it('gives the command exactly its environment, found on that environment\'s PATH', async () => {
    // `env` as the leader itself (a bash would add PWD, SHLVL and _ of its own).
    const env = { PATH: process.env['PATH'], SPACES_AND_LINES: 'a b\nc=d', EMPTY: '', LEFT_OUT: undefined };
    expect(await runProcessGroup(options({ command: 'env', args: ['-0'], env }))).toMatchObject({ exitCode: 0 });
    const entries = log().split('\0').filter(Boolean).sort();
    expect(entries).toEqual(['EMPTY=', `PATH=${process.env['PATH']}`, 'SPACES_AND_LINES=a b\nc=d']);
  });

  it('runs in its cwd, in a group it leads, stdin from /dev/null, output appended between our own lines', async () => {
    fs.writeSync(fd, 'header\n');
    const command = 'pwd; echo "group $(cut -d" " -f5 /proc/$$/stat) pid $$"; readlink /proc/$$/fd/0; echo err >&2';
    let pgid = 0;
    const result = await bash(command, { onSpawn: (id) => (pgid = id) });
    fs.writeSync(fd, 'footer\n');
    expect(result).toEqual({ exitCode: 0, signal: null, timedOut: false, aborted: false, strayProcessesStopped: false });
    expect(log()).toBe(`header\n${fs.realpathSync(dir)}\ngroup ${pgid} pid ${pgid}\n/dev/null\nerr\nfooter\n`);
  });

  it('reports exit codes and deaths by signal; a command that cannot be executed exits 127 with the reason in the log', async () => {
    expect(await bash('exit 3')).toMatchObject({ exitCode: 3, signal: null });
    expect(await bash('kill -TERM $$')).toMatchObject({ exitCode: -15, signal: 'SIGTERM' });
    // A real-time signal has no name in Node: the number still makes the exit code.
    expect(await bash('kill -s RTMIN+2 $$')).toMatchObject({ exitCode: -(34 + 2), signal: null });
    expect(await runProcessGroup(options({ command: 'no-such-command-afs', args: [] }))).toMatchObject({ exitCode: 127, signal: null });
    expect(log()).toBe('no-such-command-afs: No such file or directory\n');
  });

  it('refuses to start (ProcessStartError, nothing runs) without its cwd, its log, or with a NUL in an argument', async () => {
    const marker = path.join(dir, 'ran');
    await expect(bash(`touch ${marker}`, { cwd: path.join(dir, 'missing') })).rejects.toThrow(ProcessStartError);
    await expect(bash(`touch ${marker}`, { cwd: path.join(dir, 'missing') })).rejects.toThrow(/chdir .*missing: No such file or directory/);
    await expect(bash(`touch ${marker}`, { outputPath: path.join(dir, 'missing', 'out.log') })).rejects.toThrow(/open .*out\.log: No such file/);
    await expect(bash('echo \0')).rejects.toThrow(ProcessStartError);
    expect(fs.existsSync(marker)).toBe(false);
    // The helper is still there for the next start.
    expect(await bash('exit 0')).toMatchObject({ exitCode: 0 });
  });

  it('without a path, opens the caller\'s descriptor', async () => {
    fs.writeSync(fd, 'header\n');
    expect(await bash('echo out', { outputPath: undefined })).toMatchObject({ exitCode: 0 });
    expect(log()).toBe('header\nout\n');
  });

  it("serves many starts in a row from one helper, each with its leader's start time, even a leader that ended at once", async () => {
    const starts = 60;
    const startTimes: Array<number | null> = [];
    for (let i = 0; i < starts; i++) {
      // Ends at once, and may be reaped before onSpawn runs: the start time comes with the pid.
      const result = await bash(`echo $PPID; exit ${i % 7}`, { onSpawn: (_pgid, startTime) => startTimes.push(startTime) });
      expect(result.exitCode).toBe(i % 7);
    }
    const parents = new Set(log().trim().split('\n'));
    const helper = sharedForkingHelper()!;
    expect([...parents]).toEqual([String(helper.pid)]);
    // In clock ticks since boot, like /proc's: never before the helper that started them.
    const helperStart = readProcessStat(helper.pid!)!.startTime;
    expect(startTimes.filter((start) => start !== null && start >= helperStart)).toHaveLength(starts);
  });

  it("says in the exit reply whether it forgot the group itself; a group with a process left waits for the caller's release", async () => {
    // Talks the protocol to the program directly: nothing but `true`, then a command that leaves a sleeper.
    const helper = startHelperProgram(kind);
    const start = (id: string, command: string) => helper.request(startRequest(id, dir, logPath, ['bash', '-c', command]));
    try {
      start('1', 'true');
      const done = await until(() => /^X 1 .*\n/m.exec(helper.replies())?.[0]);
      expect(done).toBe('X 1 0 - 1\n');
      expect(helper.replies()).toMatch(/^P 1 \d+ \d+$/m);
      const background = path.join(dir, 'background');
      start('2', `sleep 30 & echo $! > ${background}`);
      expect(await until(() => /^X 2 .*\n/m.exec(helper.replies())?.[0])).toBe('X 2 0 - 0\n');
      const sleeper = Number(fs.readFileSync(background, 'utf8'));
      groups.push(Number(/^P 2 (\d+)/m.exec(helper.replies())![1]));
      expect(alive(sleeper)).toBe(true);
      // Not forgotten: EOF (its task process gone) still ends that group.
      helper.child.stdin.end();
      await until(() => !alive(sleeper));
    } finally {
      helper.child.kill('SIGKILL');
    }
  });

  it.skipIf(kind !== 'python')('writes the start and the exit of a command that ends within its exit grace in one reply', async () => {
    // A grace of 10 s: `true` ends within it however loaded the machine is.
    const helper = startHelperProgram(kind, ['10']);
    try {
      helper.request(startRequest('1', dir, logPath, ['bash', '-c', 'true']));
      const reply = await until(() => helper.chunks.find((chunk) => chunk.includes('P 1 ')));
      expect(reply).toMatch(/^P 1 \d+ \d+\nX 1 0 - 1\n$/);
    } finally {
      helper.child.kill('SIGKILL');
    }
  });

  it("reads the start time after the command name's last parenthesis (a name may hold one)", async () => {
    const helper = startHelperProgram(kind);
    const script = path.join(dir, 'odd) name');
    fs.writeFileSync(script, '#!/bin/sh\nsleep 5\n', { mode: 0o755 });
    helper.request(startRequest('1', dir, logPath, [script]));
    try {
      const [, pid, start] = await until(() => /^P 1 (\d+) (\S+)$/m.exec(helper.replies()) ?? undefined);
      groups.push(Number(pid));
      expect(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('odd) name');
      expect(start).toBe(String(readProcessStat(Number(pid))!.startTime));
    } finally {
      helper.child.kill('SIGKILL');
    }
  });

  it('serves concurrent starts, each with its own group and status', async () => {
    const runs = Array.from({ length: 8 }, (_, i) => {
      let pgid = 0;
      const result = bash(`sleep 0.${8 - i}; exit ${i}`, { onSpawn: (id) => (pgid = id) }).then((r) => ({ ...r, pgid }));
      return result;
    });
    const results = await Promise.all(runs);
    expect(results.map((r) => r.exitCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(results.map((r) => r.pgid)).size).toBe(8);
  });

  it('still stops the group on timeout and abort, and stops what outlives the leader', async () => {
    expect(await bash('sleep 30', { timeoutSeconds: 0.3 })).toMatchObject({ exitCode: -15, signal: 'SIGTERM', timedOut: true });
    const abort = new AbortController();
    const aborted = bash('sleep 30', { abortSignal: abort.signal, onSpawn: () => abort.abort() });
    expect(await aborted).toMatchObject({ exitCode: -15, aborted: true });
    const background = path.join(dir, 'background');
    expect(await bash(`sleep 30 & echo $! > ${background}`)).toMatchObject({ exitCode: 0, strayProcessesStopped: true });
    expect(alive(Number(fs.readFileSync(background, 'utf8')))).toBe(false);
  });

  it('ignores SIGTERM while its task process lives (a cancel reaches the whole task group) and still reports the exit', async () => {
    const helper = sharedForkingHelper()!;
    const running = bash('sleep 0.5; exit 4');
    await until(() => groups.length > 0);
    process.kill(helper.pid!, 'SIGTERM');
    expect(await running).toMatchObject({ exitCode: 4 });
    expect(alive(helper.pid!)).toBe(true);
  });

  it('on EOF (its task process is gone) kills every group it started, background children included, and exits', async () => {
    const helper = sharedForkingHelper()!;
    const background = path.join(dir, 'background');
    const running = bash(`sleep 300 & echo $! > ${background}; sleep 300`);
    const bg = await until(() => fs.existsSync(background) && Number(fs.readFileSync(background, 'utf8')));
    const pgid = groups.at(-1)!;
    helper.close();
    expect(await running).toMatchObject({ exitCode: -9, signal: 'SIGKILL' });
    await until(() => !groupAlive(pgid) && !alive(bg) && !alive(helper.pid!));
    // The next start gets a new helper.
    expect(await bash('echo $PPID')).toMatchObject({ exitCode: 0 });
    expect(Number(log().trim())).toBe(sharedForkingHelper()!.pid);
    expect(sharedForkingHelper()!.pid).not.toBe(helper.pid);
  });

  it('killed itself, the runs it served end as killed and their groups are ended; the next start gets a new helper', async () => {
    const helper = sharedForkingHelper()!;
    const running = bash('sleep 300');
    await until(() => groups.length > 0);
    const pgid = groups.at(-1)!;
    process.kill(helper.pid!, 'SIGKILL');
    expect(await running).toMatchObject({ exitCode: -9, signal: 'SIGKILL' });
    await until(() => !groupAlive(pgid));
    expect(await bash('exit 6')).toMatchObject({ exitCode: 6 });
    expect(sharedForkingHelper()!.pid).not.toBe(helper.pid);
  });
});

/**
 * The helper under a bash stand-in for the task process, its requests through a FIFO that another process
 * also holds open: when the stand-in dies, the helper sees no EOF, so only the parent-death signal
 * (prctl PR_SET_PDEATHSIG) can make it end its groups.
 */
const FIFO_TASK_PROCESS = `
cd "$1"
mkfifo requests
sleep 300 > requests &
echo $! > holder
$HELPER "$2" $$ < requests > replies &
exec 4> requests
cat frame >&4
sleep 300
`;

describe.skipIf(process.platform !== 'linux' || PRCTL_SYSCALL[process.arch] === undefined).each(KINDS)('the forking helper in %s without EOF', (kind) => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-forker-pdeath-'));
  });
  afterEach(() => {
    const holder = path.join(dir, 'holder');
    if (fs.existsSync(holder)) signalGroup(-Number(fs.readFileSync(holder, 'utf8')), 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends its groups on the parent-death signal alone', async () => {
    fs.writeFileSync(path.join(dir, 'helper'), kind === 'perl' ? FORKING_HELPER_PROGRAM : PYTHON_FORKING_HELPER_PROGRAM);
    const helperCommand = kind === 'perl' ? 'perl helper' : `${PYTHON} -I -S helper`;
    const argv = ['bash', '-c', `echo $$ > ${dir}/operator; sleep 300`];
    fs.writeFileSync(path.join(dir, 'frame'), frameRequest(startRequest('1', dir, path.join(dir, 'out.log'), argv)));
    const deathArgument = kind === 'perl' ? String(PRCTL_SYSCALL[process.arch]) : '1';
    const task = spawn('bash', ['-c', FIFO_TASK_PROCESS, 'task', dir, deathArgument], { stdio: 'ignore', env: { ...process.env, HELPER: helperCommand } });
    const operator = await until(() => {
      const text = fs.existsSync(path.join(dir, 'operator')) ? fs.readFileSync(path.join(dir, 'operator'), 'utf8') : '';
      return text.endsWith('\n') && Number(text);
    });
    // The start reply may follow the operator's first line by the Python helper's exit grace.
    const replies = await until(() => {
      const text = fs.readFileSync(path.join(dir, 'replies'), 'utf8');
      return text.includes('P 1 ') && text.endsWith('\n') && text;
    });
    expect(replies).toMatch(new RegExp(`^R\nP 1 ${operator} \\d+\n$`));
    expect(readProcessStat(operator)?.pgrp).toBe(operator);
    task.kill('SIGKILL');
    await until(() => !alive(operator), 2_500);
    expect(alive(Number(fs.readFileSync(path.join(dir, 'holder'), 'utf8')))).toBe(true);
  });
});

/** A stand-in task process: one command through runProcessGroup (from dist/), its result on stdout. */
const TASK_PROCESS = `
import fs from 'node:fs';
const { runProcessGroup } = await import(${JSON.stringify(DIST_PROCESS_GROUP)});
const [dir] = process.argv.slice(2);
const fd = fs.openSync(dir + '/out.log', 'a');
const result = await runProcessGroup({ command: 'bash', args: ['-c', 'echo $PPID; read -r comm < /proc/$PPID/comm; echo "$comm"; exit 5'],
  env: { PATH: process.env.PATH }, cwd: dir, outputFd: fd, outputPath: dir + '/out.log', timeoutSeconds: null });
const { sharedForkingHelper } = await import(${JSON.stringify(DIST_FORKING_HELPER)});
fs.writeFileSync(dir + '/helper-kind', sharedForkingHelper()?.interpreter.kind ?? 'none');
console.log(JSON.stringify({ exitCode: result.exitCode, pid: process.pid }));
`;

describe.skipIf(process.platform !== 'linux')('where perl is missing', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-forker-fallback-'));
    fs.writeFileSync(path.join(dir, 'task.mjs'), TASK_PROCESS);
    fs.mkdirSync(path.join(dir, 'bin'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the stand-in with PATH holding only `programs` (name -> file); returns its result and the operator's parent. */
  function runWithOnly(programs: Record<string, string>) {
    for (const [name, file] of Object.entries(programs)) fs.symlinkSync(file, path.join(dir, 'bin', name));
    const task = spawnSync(process.execPath, [path.join(dir, 'task.mjs'), dir], { encoding: 'utf8', env: { PATH: path.join(dir, 'bin') } });
    expect(task.status, task.stderr).toBe(0);
    const [parent, comm] = fs.readFileSync(path.join(dir, 'out.log'), 'utf8').trim().split('\n');
    return { ...(JSON.parse(task.stdout) as { exitCode: number; pid: number }), parent: Number(parent), comm };
  }

  const bashPath = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();
  // The interpreter itself: a version manager's python3 on PATH is a script that needs more of PATH.
  const pythonPath = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim() ?? '';

  it.skipIf(pythonPath === '')('starts the command through the Python helper', () => {
    const result = runWithOnly({ bash: bashPath, python3: pythonPath });
    expect(result.exitCode).toBe(5);
    expect(result.comm).toMatch(/^python/);
    expect(result.parent).not.toBe(result.pid);
    // The helper outlives the start (a per-start guard would be the operator's parent only while it ran).
    expect(fs.readFileSync(path.join(dir, 'helper-kind'), 'utf8')).toBe('python');
  });

  it.skipIf(pythonPath === '')('with python3 only as a shim script, runs each command under the per-start Python guard', () => {
    const shim = path.join(dir, 'python3-shim');
    fs.writeFileSync(shim, `#!/bin/sh\nexec ${pythonPath} "$@"\n`, { mode: 0o755 });
    const result = runWithOnly({ bash: bashPath, python3: shim, sh: '/bin/sh' });
    expect(result.exitCode).toBe(5);
    expect(result.comm).toMatch(/^python/);
    expect(result.parent).not.toBe(result.pid);
    expect(fs.readFileSync(path.join(dir, 'helper-kind'), 'utf8')).toBe('none');
  });

  it('without python3 either, spawns the command itself', () => {
    const result = runWithOnly({ bash: bashPath });
    expect(result.exitCode).toBe(5);
    expect(result.parent).toBe(result.pid);
  });
});
