/**
 * tick at scale: 1,000 DAG manifests of 10 tasks each (chain or fan-out; cron schedules whose start_date
 * is far in the future, so nothing is ever due). Times the first tick (parse + sync of everything) and
 * idle ticks (nothing changed, nothing due), in-process through runTick() with the local provider's ports,
 * in a fresh child process whose peak RSS is read at the end. Baseline in the same run: reading and
 * yaml.parse()-ing the same 1,000 files, so the ratio is the tick's cost beyond parsing. Runs on SQLite
 * and on PostgreSQL (in a schema created and dropped here), or says why Postgres was skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import {
  bashTask,
  cli,
  createEnvironment,
  median,
  mib,
  ms,
  printTable,
  ratio,
  registerAsyncCleanup,
  removeTempDir,
  run,
  seconds,
  taskId,
  tempDir,
  verdict,
} from './lib.mjs';

const DAGS = Number(process.env.BENCH_SCALE_DAGS ?? 1000);
const TASKS_PER_DAG = 10;
const IDLE_TICKS = 5;
const TARGET_FIRST_MS = 2000;
const TARGET_IDLE_MS = 50;
const CHILD = fileURLToPath(new URL('./scale-child.mjs', import.meta.url));

function manifest(index) {
  const dagId = `scale_${String(index).padStart(4, '0')}`;
  const fanOut = index % 2 === 0;
  const tasks = {};
  for (let i = 1; i <= TASKS_PER_DAG; i++) {
    const upstream = i === 1 ? [] : fanOut ? [taskId(1)] : [taskId(i - 1)];
    tasks[taskId(i)] = bashTask(`echo ${dagId} step ${i}`, upstream);
  }
  return YAML.stringify({
    [dagId]: {
      description: `${fanOut ? 'fan-out' : 'chain'} of ${TASKS_PER_DAG} tasks`,
      schedule: `${index % 60} ${index % 24} * * *`,
      start_date: '2099-01-01',
      catchup: false,
      tags: ['bench', fanOut ? 'fan-out' : 'chain'],
      default_args: { owner: 'bench', retries: 1, retry_delay: '5m' },
      tasks,
    },
  });
}

export function writeManifests(dagsDir) {
  fs.mkdirSync(dagsDir, { recursive: true });
  for (let i = 1; i <= DAGS; i++) fs.writeFileSync(path.join(dagsDir, `scale_${String(i).padStart(4, '0')}.yaml`), manifest(i));
}

async function child(args) {
  const result = await run(process.execPath, [CHILD, ...args], { timeoutMs: 180_000 });
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

/** A dedicated schema, reached through the URL's `options=-c search_path=...` so the CLI lands there too. */
async function preparePostgres() {
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const pg = (await import('pg')).default;
  const schema = `bench_scale_${process.pid}_${Date.now().toString(36)}`;
  const connect = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    await client.connect();
    return client;
  };
  try {
    const client = await connect();
    try {
      await client.query(`CREATE SCHEMA "${schema}"`);
    } finally {
      await client.end();
    }
  } catch (error) {
    return { skipped: error.message || error.code || String(error) };
  }
  const drop = registerAsyncCleanup(async () => {
    const client = await connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  const withPath = new URL(url);
  const options = [withPath.searchParams.get('options'), `-c search_path=${schema}`].filter(Boolean).join(' ');
  withPath.searchParams.set('options', options);
  return { connectionString: withPath.toString(), schema, drop };
}

async function measureBackend(label, databaseYaml) {
  const home = tempDir(`scale-${label}`);
  try {
    const env = 'scale';
    await createEnvironment(home, env, `${databaseYaml}scheduler:\n  interval_seconds: 60\n`);
    const dagsDir = path.join(home, 'envs', env, 'vol', 'dags');
    writeManifests(dagsDir);
    const tick = await child(['tick', '--home', home, '--env', env, '--idle', String(IDLE_TICKS)]);
    // For context: the same idle tick through the CLI, Node and oclif start-up included.
    const cliTick = await cli(home, ['tick', '--env', env, '--json']);
    return { label, dagsDir, tick, cliTickMs: cliTick.ms, home };
  } catch (error) {
    removeTempDir(home);
    throw error;
  }
}

function checkFirstTick(label, tick) {
  const problems = [];
  if (tick.first.manifestsParsed !== DAGS) problems.push(`parsed ${tick.first.manifestsParsed} of ${DAGS} manifests`);
  if (tick.first.importErrors > 0) problems.push(`${tick.first.importErrors} import errors`);
  if (tick.first.runsCreated > 0) problems.push(`${tick.first.runsCreated} runs created (expected none due)`);
  if (tick.idle && tick.idle.manifestsParsed > 0) problems.push(`idle tick re-parsed ${tick.idle.manifestsParsed} manifests`);
  if (problems.length > 0) console.log(`  *** ${label}: ${problems.join('; ')}`);
  return problems;
}

export async function benchScale() {
  console.log(`\n== tick at scale: ${DAGS} manifests × ${TASKS_PER_DAG} tasks, nothing due; SQLite and PostgreSQL ==`);
  const backends = [];
  const sqlite = await measureBackend('sqlite', '');
  backends.push(sqlite);

  // Baseline: read + yaml.parse of the same files, in a fresh process each time (median of three).
  const baselines = [];
  for (let i = 0; i < 3; i++) baselines.push(await child(['baseline', '--dir', sqlite.dagsDir]));
  const baseline = { ms: median(baselines.map((b) => b.ms)), cpuMs: median(baselines.map((b) => b.cpuMs)), maxRssKiB: median(baselines.map((b) => b.maxRssKiB)), files: baselines[0].files };
  removeTempDir(sqlite.home);

  let postgresSkipped = null;
  const pg = await preparePostgres();
  if (pg.skipped) {
    postgresSkipped = pg.skipped;
    console.log(`  postgres: skipped (${pg.skipped})`);
  } else {
    try {
      const measured = await measureBackend('postgres', `database:\n  type: postgres\n  connection_string: ${JSON.stringify(pg.connectionString)}\n`);
      removeTempDir(measured.home);
      backends.push(measured);
    } finally {
      await pg.drop();
    }
  }

  const columns = backends.map((b) => (b.label === 'sqlite' ? 'SQLite' : 'PostgreSQL'));
  const cell = (f) => backends.map((b) => f(b.tick, b));
  const rows = [
    ['first tick (parse + sync of all)', ...cell((t) => `${seconds(t.firstMs)} (${ratio(t.firstMs / baseline.ms)} baseline)`), ms(baseline.ms)],
    ['  CPU time (user + system)', ...cell((t) => `${seconds(t.firstCpuMs)} (${ratio(t.firstCpuMs / baseline.cpuMs)} baseline)`), ms(baseline.cpuMs)],
    ['idle tick (median of 5)', ...cell((t) => ms(median(t.idleMs))), ''],
    ['  CPU time (median)', ...cell((t) => ms(median(t.idleCpuMs))), ''],
    ['idle ticks (each)', ...cell((t) => t.idleMs.map((v) => v.toFixed(0)).join(' ') + ' ms'), ''],
    ['peak RSS (whole process)', ...cell((t) => `${mib(t.maxRssKiB)} (+${mib(t.maxRssKiB - baseline.maxRssKiB)})`), mib(baseline.maxRssKiB)],
    ['module import (before the tick)', ...cell((t) => ms(t.importMs)), ''],
    ['CLI `tick` wall, idle (with start-up)', ...cell((_, b) => seconds(b.cliTickMs)), ''],
  ];
  if (postgresSkipped) {
    columns.push('PostgreSQL');
    rows.forEach((row, i) => row.splice(row.length - 1, 0, i === 0 ? 'skipped' : ''));
  }
  printTable(`tick at scale (${DAGS} DAGs × ${TASKS_PER_DAG} tasks)`, ['measure', ...columns, 'baseline: read + yaml.parse'], rows);

  const verdicts = [];
  for (const b of backends) {
    const problems = checkFirstTick(b.label, b.tick);
    const idle = median(b.tick.idleMs);
    verdicts.push(
      verdict(
        `scale (${b.label})`,
        problems.length === 0 && b.tick.firstMs <= TARGET_FIRST_MS && idle <= TARGET_IDLE_MS,
        `first tick ${seconds(b.tick.firstMs)} (target ≤ 2 s, ${ratio(b.tick.firstMs / baseline.ms)} parse-only), ` +
          `idle tick ${ms(idle)} (target ≤ ${TARGET_IDLE_MS} ms), peak RSS ${mib(b.tick.maxRssKiB)}` +
          (problems.length ? ` — ${problems.join('; ')}` : ''),
      ),
    );
  }
  if (postgresSkipped) console.log(`postgres: skipped (${postgresSkipped})`);
  return {
    dags: DAGS,
    baseline,
    backends: backends.map((b) => ({ label: b.label, ...b.tick, cliTickMs: b.cliTickMs })),
    postgresSkipped,
    verdicts,
    verdict: { name: 'scale', met: verdicts.every((v) => v.met), text: verdicts.map((v) => `${v.name.slice(7, -1)}: ${v.met ? 'met' : 'MISSED'}`).join(', ') },
  };
}
