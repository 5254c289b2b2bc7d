/**
 * Bounded chaos: random SIGKILLs of the scheduler loop, of task processes and of operators while a few runs
 * go. At the end every run is final, every succeeded task's work was done exactly once, and no process is
 * left. Task processes are killed only while their operator is well inside its work (its `sleep` started
 * under a second ago, the work comes after 1.5 s): a try killed after its work but before its report is
 * retried and does the work again, as in Airflow (docs/architecture.md), and that is not what this tests.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listProcesses, readProcessStat } from '../src/process-table.js';
import type { DagRunJson, TaskInstanceJson } from '../src/service/shapes.js';
import { CliSandbox, eventually, exited } from './helpers/cli.js';

/** Linux's USER_HZ: /proc start times are in these ticks (100 on every architecture Node runs on). */
const TICKS_PER_SECOND = 100;

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Pids of processes whose environment holds `marker` (every operator process of this test's DAG). */
function markedProcesses(marker: string): number[] {
  return (listProcesses() ?? []).filter((p) => readText(`/proc/${p.pid}/environ`)?.includes(marker)).map((p) => p.pid);
}

const cmdline = (pid: number) => (readText(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ');

/** Seconds since boot, to age processes by their start time. */
function uptimeSeconds(): number {
  return Number((readText('/proc/uptime') ?? '0').split(' ')[0]);
}

/** The task process (cold or warm worker) above an operator process. */
function taskProcessOf(pid: number): number | null {
  for (let current = readProcessStat(pid); current !== null && current.ppid > 1; current = readProcessStat(current.ppid)) {
    if (/task-main\.js|warm-worker\.js/.test(cmdline(current.ppid))) return current.ppid;
  }
  return null;
}

/** A sandbox whose commands see the Postgres URL in TEST_PG_URL (the config interpolates it). */
class PostgresSandbox extends CliSandbox {
  constructor(private readonly pgUrl: string) {
    super();
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, TEST_PG_URL: this.pgUrl };
  }
}

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const BACKENDS = [{ name: 'sqlite' }, ...(DATABASE_URL ? [{ name: 'postgres' }] : [])];

describe.runIf(process.platform === 'linux').each(BACKENDS)('chaos on $name', ({ name }) => {
  let sandbox: CliSandbox;
  let admin: pg.Client | null = null;
  let schema = '';
  beforeEach(async () => {
    if (name === 'sqlite') {
      sandbox = new CliSandbox();
      return;
    }
    schema = `chaos_${randomBytes(6).toString('hex')}`;
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const url = new URL(DATABASE_URL!);
    sandbox = new PostgresSandbox(`${url.toString()}${url.search ? '&' : '?'}options=-c%20search_path%3D${schema}`);
  });
  afterEach(async () => {
    try {
      await sandbox.cleanup();
    } finally {
      if (admin) {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
        admin = null;
      }
    }
  });

  it('random SIGKILLs of scheduler, task processes and operators: every run final, work done once, no process left', async () => {
    const marker = `CHAOS_${process.pid}_${Date.now()}`;
    const work = path.join(sandbox.dir, 'work');
    fs.mkdirSync(work);
    const database = name === 'postgres' ? 'database:\n  type: postgres\n  connection_string: ${TEST_PG_URL}\n' : '';
    await sandbox.ok(['create', '--env', 'chaos', '--config', sandbox.writeConfig(`  task_instance_heartbeat_timeout: 6\nexecutor:\n  parallelism: 4\n${database}`)]);
    const task = (name: string, deps: string[]) =>
      `    ${name}:
      operator: BashOperator
      env: {${marker}: "1"}
      append_env: true
      bash_command: 'sleep 1.5; echo "$AIRFLOW_CTX_TRY_NUMBER" >> ${work}/{{ run_id }}.${name}'
${deps.length > 0 ? `      dependencies: [${deps.join(', ')}]\n` : ''}`;
    const manifest = sandbox.writeFile(
      'dags/chaos.yaml',
      `chaos:
  schedule: "@daily"
  start_date: 2025-01-01
  end_date: 2025-01-03
  catchup: true
  default_args: {retries: 4, retry_delay: 0s}
  tasks:
${task('a', [])}${task('b', ['a'])}${task('c', ['a'])}${task('d', ['b', 'c'])}`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'chaos', '--file', manifest]);

    let seed = 0x2545f491;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const kills = { scheduler: 0, task: 0, operator: 0 };
    let scheduler = sandbox.start(['scheduler', '--env', 'chaos', '--interval', '0.2']);
    const chaosEnds = Date.now() + 15_000;
    while (Date.now() < chaosEnds) {
      await new Promise((resolve) => setTimeout(resolve, 300 + random() * 500));
      const roll = random();
      if (roll < 0.15) {
        scheduler.kill('SIGKILL');
        await exited(scheduler);
        kills.scheduler++;
        scheduler = sandbox.start(['scheduler', '--env', 'chaos', '--interval', '0.2']);
        continue;
      }
      const now = uptimeSeconds();
      // Operators in the first second of their 1.5 s sleep: their work cannot have happened yet.
      const young = markedProcesses(marker).filter((pid) => {
        const stat = readProcessStat(pid);
        return stat !== null && cmdline(pid).startsWith('sleep') && now - stat.startTime / TICKS_PER_SECOND < 1.0;
      });
      if (young.length === 0) continue;
      const sleeper = young[Math.floor(random() * young.length)]!;
      if (roll < 0.65) {
        const victim = taskProcessOf(sleeper);
        if (victim === null) continue;
        process.kill(victim, 'SIGKILL');
        kills.task++;
      } else {
        // The operator itself: the bash running the command (the sleep's parent).
        const bash = readProcessStat(sleeper)?.ppid;
        if (bash === undefined || !/(^|\/)bash /.test(cmdline(bash))) continue;
        process.kill(bash, 'SIGKILL');
        kills.operator++;
      }
    }
    scheduler.kill('SIGKILL');
    await exited(scheduler);
    const finish = await sandbox.run(['scheduler', '--env', 'chaos', '--until-idle', '--timeout', '90', '--interval', '0.2']);
    expect(finish.code, finish.stderr).toBe(0);
    expect(kills.task + kills.operator, JSON.stringify(kills)).toBeGreaterThanOrEqual(3);

    const runs = (await sandbox.json<{ dag_runs: DagRunJson[] }>(['runs', 'list', '--env', 'chaos'])).dag_runs;
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      expect(['success', 'failed'], run.dag_run_id).toContain(run.state);
      const tis = (await sandbox.json<{ task_instances: TaskInstanceJson[] }>(['tasks', 'list', '--env', 'chaos', '--dag-id', 'chaos', '--run-id', run.dag_run_id]))
        .task_instances;
      for (const ti of tis.filter((t) => t.state === 'success')) {
        const lines = (readText(path.join(work, `${run.dag_run_id}.${ti.task_id}`)) ?? '').split('\n').filter(Boolean);
        // Done exactly once, by the try recorded as the success.
        expect(lines, `${run.dag_run_id} ${ti.task_id} ${JSON.stringify(kills)}`).toEqual([String(ti.try_number)]);
      }
    }
    // Nothing of the environment runs on: no operator, no task process or warm worker (they carry the
    // sandbox's home in their environment), nothing naming the sandbox.
    const leftovers = () => [
      ...markedProcesses(marker),
      ...markedProcesses(`AIRFLOW_SERVERLESS_HOME=${sandbox.home}`),
      ...(listProcesses() ?? []).filter((p) => p.pid !== process.pid && cmdline(p.pid).includes(sandbox.dir)).map((p) => p.pid),
    ];
    await eventually(() => leftovers().length === 0, 15_000).catch(() => {
      throw new Error(`processes left: ${leftovers().map((pid) => `${pid} ${cmdline(pid)}`).join('; ')}`);
    });
  }, 120_000);
});
