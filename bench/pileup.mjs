// Measures what piles up (issue 11.5): the volume and the state dict of a local environment before and
// after 2,000 tasks (20 daily runs of a 100-task DAG), and after `db clean`. Standalone:
// `node bench/pileup.mjs` (dist/ must be built). Prints one table; the temp home is removed on exit.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const repo = path.resolve(import.meta.dirname, '..');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-pileup-'));
const env = { ...process.env, AIRFLOW_SERVERLESS_HOME: home };
const cli = (...args) => execFileSync(process.execPath, [path.join(repo, 'bin/run.js'), ...args], { env, cwd: home, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
const root = path.join(home, 'envs', 'pile');

function folderSize(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
    files++;
  }
  return { bytes, files };
}

function measure(label) {
  const volume = folderSize(path.join(root, 'vol'));
  const dictFiles = ['state.db', 'state.db-wal', 'state.db-shm'].map((f) => path.join(root, f)).filter((f) => fs.existsSync(f));
  const dictBytes = dictFiles.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  const db = new Database(path.join(root, 'state.db'), { readonly: true });
  const keys = db.prepare('SELECT COUNT(*) AS n FROM kv').get().n;
  db.close();
  const logBytes = fs.existsSync(path.join(root, 'task-processes.log')) ? fs.statSync(path.join(root, 'task-processes.log')).size : 0;
  const payloads = fs.existsSync(path.join(root, 'payloads')) ? fs.readdirSync(path.join(root, 'payloads')).length : 0;
  return { label, volume_bytes: volume.bytes, volume_files: volume.files, dict_bytes: dictBytes, dict_keys: keys, process_log_bytes: logBytes, payload_files: payloads };
}

try {
  fs.writeFileSync(path.join(home, 'config.yaml'), 'provider: local\nscheduler:\n  interval_seconds: 1\nexecutor:\n  parallelism: 8\n');
  cli('create', '--env', 'pile', '--config', path.join(home, 'config.yaml'));
  const tasks = Array.from({ length: 100 }, (_, i) => `    t${i}:\n      operator: BashOperator\n      bash_command: echo "{{ ti.task_id }} for {{ ds }}"\n`).join('');
  fs.writeFileSync(path.join(home, 'pile.yaml'), `pile:\n  schedule: "@daily"\n  start_date: 2025-01-01\n  end_date: 2025-01-20\n  catchup: true\n  max_active_runs: 4\n  max_active_tasks: 16\n  tasks:\n${tasks}`);
  cli('dags', 'create', '--env', 'pile', '--file', path.join(home, 'pile.yaml'));
  const rows = [measure('before (DAG uploaded)')];
  const started = Date.now();
  cli('scheduler', '--env', 'pile', '--until-idle', '--timeout', '1800');
  const seconds = (Date.now() - started) / 1000;
  const runs = JSON.parse(cli('runs', 'list', '--env', 'pile', '--json')).dag_runs;
  rows.push(measure(`after 2,000 tasks (${runs.filter((r) => r.state === 'success').length}/${runs.length} runs succeeded, ${seconds.toFixed(0)} s)`));
  const cleaned = cli('db', 'clean', '--env', 'pile', '--clean-before-timestamp', '2999-01-01T00:00:00Z', '--yes');
  rows.push(measure('after db clean (all tables)'));
  console.table(rows);
  console.log(cleaned.trim());
} finally {
  fs.rmSync(home, { recursive: true, force: true });
}
