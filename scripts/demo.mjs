// The demo: a throwaway local environment, the example DAGs (Python DAG files and YAML manifests), one
// scheduler run until idle, a summary.
// `npm run demo` (builds first). Exits 0 only if every example run succeeded. No cloud account needed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repo, 'examples/dags');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'airflow-serverless-demo-'));
const env = { ...process.env, AIRFLOW_SERVERLESS_HOME: home };
const ENV_NAME = 'demo';
const keep = process.argv.includes('--keep');

function cli(args, { quiet = false } = {}) {
  if (!quiet) process.stderr.write(`\n$ airflow-serverless ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/run.js'), ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`airflow-serverless ${args[0]} failed (exit ${result.status})`);
  }
  if (!quiet) process.stderr.write(result.stderr.split('\n').filter((l) => !l.startsWith('tick ')).join('\n'));
  return result.stdout;
}

const json = (args) => JSON.parse(cli([...args, '--json'], { quiet: true }));
const seconds = (s) => (s === null || s === undefined ? '' : `${Number(s).toFixed(2)}s`);

const started = Date.now();
let succeeded = false;
/** The "where are the logs" lines, shown only when the environment is kept. */
let keptHint = [];
try {
  const config = path.join(home, 'config.yaml');
  fs.writeFileSync(config, 'provider: local\nscheduler:\n  interval_seconds: 1\nexecutor:\n  parallelism: 4\n');
  cli(['create', '--env', ENV_NAME, '--config', config]);
  for (const file of fs.readdirSync(examples).filter((f) => f.endsWith('.py') || f.endsWith('.yaml')).sort()) {
    cli(['dags', 'create', '--env', ENV_NAME, '--file', path.join(examples, file)]);
  }
  const triggered = [
    cli(['dags', 'trigger', '--env', ENV_NAME, '--dag-id', 'xcom_pipeline']).trim(),
    cli(['dags', 'trigger', '--env', ENV_NAME, '--dag-id', 'branching', '--conf', '{"mode": "full"}']).trim(),
    cli(['dags', 'trigger', '--env', ENV_NAME, '--dag-id', 'tutorial_taskflow', '--conf', '{"currency": "USD"}']).trim(),
    cli(['dags', 'trigger', '--env', ENV_NAME, '--dag-id', 'setup_teardown']).trim(),
  ];
  process.stderr.write(`triggered: ${triggered.join(', ')}\n`);
  cli(['scheduler', '--env', ENV_NAME, '--until-idle', '--timeout', '120']);

  const runs = json(['runs', 'list', '--env', ENV_NAME]).dag_runs;
  console.log('\n== Summary ==');
  for (const run of runs) {
    console.log(`\n${run.dag_id}  ${run.dag_run_id}  ${run.state.toUpperCase()}  (${run.run_type}, ${seconds(run.duration)})`);
    for (const ti of json(['tasks', 'list', '--env', ENV_NAME, '--dag-id', run.dag_id, '--run-id', run.dag_run_id]).task_instances) {
      const tries = ti.try_number > 1 ? `  tries: ${ti.try_number}` : '';
      console.log(`  ${ti.task_id.padEnd(20)} ${String(ti.state).padEnd(10)} ${seconds(ti.duration).padStart(7)}${tries}`);
    }
  }
  const xcomRun = triggered[0];
  console.log('\nXCom, as the last task of xcom_pipeline printed it:');
  const log = cli(['tasks', 'logs', '--env', ENV_NAME, '--dag-id', 'xcom_pipeline', '--run-id', xcomRun, '--task-id', 'report'], { quiet: true });
  console.log(`  ${log.split('\n').find((l) => l.startsWith('summary=')) ?? '(not found)'}`);
  console.log('\nThe TaskFlow example (a Python DAG file), as its load task printed it:');
  const taskflowLog = cli(['tasks', 'logs', '--env', ENV_NAME, '--dag-id', 'tutorial_taskflow', '--run-id', triggered[2], '--task-id', 'load'], { quiet: true });
  console.log(`  ${taskflowLog.split('\n').find((l) => l.includes('orders, total')) ?? '(not found)'}`);
  // Printed only if the environment survives the demo: a command pointing at a removed home would fail.
  keptHint = [
    `Logs: ${path.join(home, 'envs', ENV_NAME, 'vol', 'logs')}`,
    `Read one: AIRFLOW_SERVERLESS_HOME=${home} airflow-serverless tasks logs --env ${ENV_NAME} --dag-id xcom_pipeline --run-id '${xcomRun}' --task-id summarise`,
  ];

  const expected = { hourly_etl: 1, xcom_pipeline: 1, branching: 1, weekly_backfill: 7, tutorial_taskflow: 1, setup_teardown: 1, branching_groups: 1 };
  const failures = [];
  for (const [dagId, count] of Object.entries(expected)) {
    const ok = runs.filter((r) => r.dag_id === dagId && r.state === 'success').length;
    if (ok < count) failures.push(`${dagId}: ${ok}/${count} successful runs`);
  }
  const notSucceeded = runs.filter((r) => r.state !== 'success');
  if (notSucceeded.length > 0) failures.push(`runs not successful: ${notSucceeded.map((r) => `${r.dag_id}/${r.dag_run_id}=${r.state}`).join(', ')}`);
  succeeded = failures.length === 0;
  console.log(`\n${succeeded ? 'Demo succeeded' : `Demo FAILED: ${failures.join('; ')}`} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
} catch (error) {
  console.error(`Demo FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  if (keep || !succeeded) {
    console.log(`Environment kept in ${home}`);
    for (const line of keptHint) console.log(line);
  } else {
    try {
      execFileSync(process.execPath, [path.join(repo, 'bin/run.js'), 'destroy', '--env', ENV_NAME, '--force'], { env, stdio: 'ignore' });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
    console.log('(throwaway environment removed; pass --keep to keep it)');
  }
}
process.exitCode = succeeded ? 0 : 1;
