/**
 * End to end on the local provider through the real CLI: create, upload, trigger, run the scheduler loop,
 * and read the results back; then the crash cases: a task killed mid-run (a zombie, retried) and the
 * scheduler killed mid-tick (restarted: nothing lost, nothing run twice).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/executor/protocol.js';
import { readProcessStat } from '../src/process-table.js';
import { SqliteStateDict } from '../src/providers/local/state-dict.js';
import type { DagRunJson, TaskInstanceJson } from '../src/service/shapes.js';
import { groupAlive } from '../src/worker/process-group.js';
import { CliSandbox, EXAMPLES_DIR, eventually, exited } from './helpers/cli.js';

type Runs = { dag_runs: DagRunJson[] };
type Tasks = { task_instances: TaskInstanceJson[] };

function byTask(tasks: Tasks): Record<string, TaskInstanceJson> {
  return Object.fromEntries(tasks.task_instances.map((t) => [t.task_id, t]));
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

describe('local environment, end to end', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  it('runs the examples: templates, retries, XCom and branching', async () => {
    await sandbox.ok(['create', '--env', 'e2e', '--config', sandbox.writeConfig()]);
    for (const file of ['hourly_etl.yaml', 'xcom_pipeline.yaml', 'branching.yaml']) {
      await sandbox.ok(['dags', 'create', '--env', 'e2e', '--file', path.join(EXAMPLES_DIR, file)]);
    }
    const xcomRun = (await sandbox.ok(['dags', 'trigger', '--env', 'e2e', '--dag-id', 'xcom_pipeline'])).stdout.trim();
    expect(xcomRun).toMatch(/^manual__\d{4}-\d\d-\d\dT/);
    const branchRun = (
      await sandbox.ok(['dags', 'trigger', '--env', 'e2e', '--dag-id', 'branching', '--conf', '{"mode": "full"}', '--logical-date', '2025-03-04T05:06:07Z'])
    ).stdout.trim();
    expect(branchRun).toBe('manual__2025-03-04T05:06:07+00:00');

    const scheduler = await sandbox.run(['scheduler', '--env', 'e2e', '--until-idle', '--timeout', '120']);
    expect(scheduler.code, scheduler.stderr).toBe(0);

    const runs = await sandbox.json<Runs>(['runs', 'list', '--env', 'e2e']);
    expect(runs.dag_runs.map((r) => `${r.dag_id}:${r.state}`).sort()).toEqual([
      'branching:success',
      'hourly_etl:success',
      'xcom_pipeline:success',
    ]);

    // XCom: bash's last line -> python -> templated bash.
    const xcomTasks = byTask(await sandbox.json<Tasks>(['tasks', 'list', '--env', 'e2e', '--dag-id', 'xcom_pipeline', '--run-id', xcomRun]));
    expect(Object.values(xcomTasks).map((t) => t.state)).toEqual(['success', 'success', 'success']);
    const report = await sandbox.ok(['tasks', 'logs', '--env', 'e2e', '--dag-id', 'xcom_pipeline', '--run-id', xcomRun, '--task-id', 'report']);
    expect(report.stdout).toContain("summary={'table': 'events', 'rows': 42, 'doubled': 84, 'above_threshold': True}");

    // Branching: conf picked the full load; the other branch is skipped; the join still ran.
    const branchTasks = byTask(await sandbox.json<Tasks>(['tasks', 'list', '--env', 'e2e', '--dag-id', 'branching', '--run-id', branchRun]));
    expect(Object.fromEntries(Object.entries(branchTasks).map(([id, t]) => [id, t.state]))).toEqual({
      start: 'success',
      choose: 'success',
      full_load: 'success',
      incremental_load: 'skipped',
      join: 'success',
    });
    expect(branchTasks.full_load?.logical_date).toBe('2025-03-04T05:06:07.000Z');

    // Templates and retries on the scheduled hourly run.
    const etlRun = runs.dag_runs.find((r) => r.dag_id === 'hourly_etl');
    expect(etlRun?.run_type).toBe('scheduled');
    const etlTasks = byTask(await sandbox.json<Tasks>(['tasks', 'list', '--env', 'e2e', '--dag-id', 'hourly_etl', '--run-id', etlRun!.dag_run_id]));
    expect(etlTasks.transform).toMatchObject({ state: 'success', try_number: 2 });
    const extract = await sandbox.ok(['tasks', 'logs', '--env', 'e2e', '--dag-id', 'hourly_etl', '--run-id', etlRun!.dag_run_id, '--task-id', 'extract']);
    const ds = etlRun!.logical_date!.slice(0, 10);
    expect(extract.stdout).toContain(`extracting events for ${ds}`);
    // `{{ data_interval_start }}` prints as pendulum 3's str() does in Airflow 3: a space, not `T`.
    expect(extract.stdout).toMatch(new RegExp(`window: ${ds} \\d\\d:00:00\\+00:00 -> \\d{4}-\\d\\d-\\d\\d \\d\\d:00:00\\+00:00`));
    const firstTry = await sandbox.ok(['tasks', 'logs', '--env', 'e2e', '--dag-id', 'hourly_etl', '--run-id', etlRun!.dag_run_id, '--task-id', 'transform', '--try', '1']);
    expect(firstTry.stdout).toContain('upstream API timed out (simulated), try 1');
  });

  it('with a ten-minute interval, a finished run starts the next one at once, and a CLI trigger is served at once', async () => {
    // Finished tries only get the loop's narrow reports pass; what that cannot do (start a run queued behind
    // max_active_runs, apply a command) must still happen without waiting for the interval's full pass.
    await sandbox.ok(['create', '--env', 'narrow', '--config', sandbox.writeFile('narrow.yaml', 'provider: local\nscheduler:\n  interval_seconds: 600\n')]);
    const manifest = sandbox.writeFile(
      'one_at_a_time.yaml',
      `one_at_a_time:
  schedule: null
  start_date: 2024-01-01
  max_active_runs: 1
  tasks:
    first:
      operator: BashOperator
      bash_command: "true"
    second:
      operator: BashOperator
      bash_command: "true"
      dependencies: [first]
`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'narrow', '--file', manifest]);
    const trigger = (date: string) => sandbox.ok(['dags', 'trigger', '--env', 'narrow', '--dag-id', 'one_at_a_time', '--logical-date', date]);
    await trigger('2025-01-01T00:00:00Z');
    await trigger('2025-01-02T00:00:00Z');
    const succeeded = async (n: number) =>
      (await sandbox.json<Runs>(['runs', 'list', '--env', 'narrow'])).dag_runs.filter((r) => r.state === 'success').length >= n;

    const scheduler = sandbox.start(['scheduler', '--env', 'narrow', '--timeout', '120']);
    try {
      await eventually(() => succeeded(2), 60_000);
      await trigger('2025-01-03T00:00:00Z');
      await eventually(() => succeeded(3), 60_000);
    } finally {
      scheduler.kill('SIGTERM');
      await exited(scheduler);
    }
    // `tick N: ...` lines: finished tries were served by narrow passes, and a tick that finished a run
    // held a full pass (a reports pass escalates to one within the same tick).
    const ticks = scheduler.output.stderr.split('\n').filter((line) => line.startsWith('tick '));
    expect(ticks.some((line) => /reportsReconciled=/.test(line) && !/fullPass/.test(line)), scheduler.output.stderr).toBe(true);
    expect(ticks.filter((line) => /runsFinished=/.test(line)).every((line) => /\bfullPass\b/.test(line)), scheduler.output.stderr).toBe(true);
  });

  it('a task process killed with SIGKILL is detected as a zombie and retried', async () => {
    const marker = path.join(sandbox.dir, 'tries.txt');
    const orphanPids = path.join(sandbox.dir, 'orphans.txt');
    await sandbox.ok(['create', '--env', 'zombie', '--config', sandbox.writeConfig('  task_instance_heartbeat_timeout: 3\n')]);
    const manifest = sandbox.writeFile(
      'dags/zombie.yaml',
      `zombie_dag:
  schedule: null
  start_date: 2025-01-01
  default_args:
    retries: 1
    retry_delay: 0s
  tasks:
    sleeper:
      operator: BashOperator
      bash_command: |
        echo "try $AIRFLOW_CTX_TRY_NUMBER" >> ${marker}
        if [ "$AIRFLOW_CTX_TRY_NUMBER" = "1" ]; then echo $$ >> ${orphanPids}; sleep 120; fi
        echo done
`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'zombie', '--file', manifest]);
    const runId = (await sandbox.ok(['dags', 'trigger', '--env', 'zombie', '--dag-id', 'zombie_dag'])).stdout.trim();
    const scheduler = sandbox.start(['scheduler', '--env', 'zombie', '--until-idle', '--timeout', '120']);
    try {
      await eventually(() => fs.existsSync(orphanPids));
      const dict = new SqliteStateDict(path.join(sandbox.envRoot('zombie'), 'state.db'));
      const running = await eventually(async () =>
        (await dict.entries<TaskRecord>('task:zombie_dag:sleeper:')).map(([, r]) => r).find((r) => r.status === 'RUNNING' && r.try_number === 1),
      );
      await dict.close();
      const pid = Number(/^local-(\d+)/.exec(running.call_id ?? '')?.[1]);
      expect(pid).toBeGreaterThan(0);
      const operatorPgid = readProcessStat(Number(fs.readFileSync(orphanPids, 'utf8').trim()))!.pgrp;
      process.kill(pid, 'SIGKILL');
      // The operator's group (bash and its `sleep 120`) dies with its task process, long before the
      // zombie is detected: the killed try's work never runs on beside its retry.
      await eventually(() => !groupAlive(operatorPgid), 10_000);

      expect(await exited(scheduler), scheduler.output.stderr).toBe(0);
    } finally {
      // Only if the group outlived its task process (the assertion above failed).
      for (const orphan of fs.readFileSync(orphanPids, 'utf8').split('\n').filter(Boolean)) killQuietly(-Number(orphan));
    }
    expect(fs.readFileSync(marker, 'utf8')).toBe('try 1\ntry 2\n');
    const tasks = byTask(await sandbox.json<Tasks>(['tasks', 'list', '--env', 'zombie', '--dag-id', 'zombie_dag', '--run-id', runId]));
    expect(tasks.sleeper).toMatchObject({ state: 'success', try_number: 2 });
    const runs = await sandbox.json<Runs>(['runs', 'list', '--env', 'zombie']);
    expect(runs.dag_runs.map((r) => r.state)).toEqual(['success']);
  });

  it('a scheduler killed with SIGKILL mid-tick and restarted loses and duplicates nothing', async () => {
    const lines = path.join(sandbox.dir, 'lines.txt');
    await sandbox.ok(['create', '--env', 'crash', '--config', sandbox.writeConfig('executor:\n  parallelism: 4\n')]);
    const append = (task: string): string =>
      `      operator: BashOperator\n      bash_command: 'echo "{{ run_id }} ${task} $AIRFLOW_CTX_TRY_NUMBER" >> ${lines}'\n`;
    const fanOut = ['b1', 'b2', 'b3', 'b4', 'b5'];
    const manifest = sandbox.writeFile(
      'dags/crash.yaml',
      `crash_dag:
  schedule: "@daily"
  start_date: 2025-01-01
  end_date: 2025-01-03
  catchup: true
  max_active_runs: 3
  tasks:
    a:
${append('a')}${fanOut.map((t) => `    ${t}:\n${append(t)}      dependencies: [a]\n`).join('')}    c:
${append('c')}      dependencies: [${fanOut.join(', ')}]
`,
    );
    await sandbox.ok(['dags', 'create', '--env', 'crash', '--file', manifest]);

    // Kill the loop at different points: during its first tick (parsing, creating runs), and later
    // after a few ticks, while tasks it dispatched are running.
    for (const ticksBeforeKill of [0, 1, 2, 3, 5]) {
      const scheduler = sandbox.start(['scheduler', '--env', 'crash', '--interval', '0.2']);
      await eventually(() => {
        const started = scheduler.output.stderr.includes('started');
        const ticks = (scheduler.output.stderr.match(/^tick \d+:/gm) ?? []).length;
        return started && ticks >= ticksBeforeKill ? true : scheduler.exitCode !== null ? true : undefined;
      });
      scheduler.kill('SIGKILL');
      await exited(scheduler);
    }
    const finish = await sandbox.run(['scheduler', '--env', 'crash', '--until-idle', '--timeout', '120', '--interval', '0.2']);
    expect(finish.code, finish.stderr).toBe(0);

    const runs = await sandbox.json<Runs>(['runs', 'list', '--env', 'crash']);
    expect(runs.dag_runs.map((r) => `${r.dag_run_id}:${r.state}`)).toEqual([
      'scheduled__2025-01-01T00:00:00+00:00:success',
      'scheduled__2025-01-02T00:00:00+00:00:success',
      'scheduled__2025-01-03T00:00:00+00:00:success',
    ]);
    const ran = fs.readFileSync(lines, 'utf8').trim().split('\n').sort();
    const expected = runs.dag_runs.flatMap((r) => ['a', ...fanOut, 'c'].map((t) => `${r.dag_run_id} ${t} 1`)).sort();
    expect(ran).toEqual(expected);
  });
});
