/**
 * The measured process of the scale benchmark: one fresh Node process per measurement, so its peak RSS
 * (process.resourceUsage().maxRSS) belongs to that measurement alone. Prints one JSON line.
 *
 *   node bench/scale-child.mjs baseline --dir DAGS_DIR
 *       reads and yaml.parse()s every manifest: the cost of parsing alone.
 *   node bench/scale-child.mjs tick --home HOME --env ENV [--idle N]
 *       builds the local provider's ports, runs runTick() once on the untouched environment (the first
 *       tick: parse + sync of everything), then N more with nothing changed (idle ticks).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { importDist } from './lib.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dir: { type: 'string' }, home: { type: 'string' }, env: { type: 'string' }, idle: { type: 'string' } },
});

function manifestFiles(dir) {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  return files.sort();
}

async function baseline(dir) {
  const YAML = (await import('yaml')).default;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const files = manifestFiles(dir);
  let dags = 0;
  for (const file of files) dags += Object.keys(YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}).length;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, files: files.length, dags };
}

async function ticks(home, env, idleTicks) {
  process.env.AIRFLOW_SERVERLESS_HOME = home;
  const importStarted = performance.now();
  const { parseConfig } = await importDist('config/index.js');
  const { openDatabase } = await importDist('db/open.js');
  const { localEnvironmentPaths } = await importDist('providers/local/paths.js');
  const { SqliteStateDict } = await importDist('providers/local/state-dict.js');
  const { LocalVolumeMount } = await importDist('providers/local/volume.js');
  const { LocalTaskSpawner } = await importDist('providers/local/spawner.js');
  const { systemClock } = await importDist('providers/ports.js');
  const { runTick, defaultOwner } = await importDist('scheduler/tick.js');
  const { DATABASE_FILE } = await importDist('volume-layout.js');
  const importMs = performance.now() - importStarted;

  const paths = localEnvironmentPaths(env, home);
  const config = parseConfig(fs.readFileSync(paths.config, 'utf8'), paths.config, process.env);
  const db = openDatabase(config.database, {
    sqliteFile: path.join(paths.volume, DATABASE_FILE),
    applicationName: `airflow-serverless-${env}-bench`,
  });
  const dict = new SqliteStateDict(paths.stateDict);
  const deps = {
    db,
    dict,
    spawner: new LocalTaskSpawner({ paths, parallelism: config.executor.parallelism, dict }),
    clock: systemClock,
    config,
    volume: new LocalVolumeMount(paths.volume),
    owner: defaultOwner(),
  };
  try {
    // CPU time beside wall time: on a shared machine the wall clock also counts waiting for a core.
    const timed = async () => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await runTick(deps);
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, result };
    };
    const first = await timed();
    const rssAfterFirstKiB = process.memoryUsage().rss / 1024;
    const idle = [];
    for (let i = 0; i < idleTicks; i++) idle.push(await timed());
    return {
      importMs,
      firstMs: first.ms,
      firstCpuMs: first.cpuMs,
      first: first.result,
      idleMs: idle.map((t) => t.ms),
      idleCpuMs: idle.map((t) => t.cpuMs),
      idle: idle.at(-1)?.result,
      rssAfterFirstKiB,
    };
  } finally {
    await db.close();
    await dict.close();
  }
}

const [mode] = positionals;
let output;
if (mode === 'baseline' && values.dir) output = await baseline(values.dir);
else if (mode === 'tick' && values.home && values.env) output = await ticks(values.home, values.env, Number(values.idle ?? 5));
else {
  console.error('usage: scale-child.mjs baseline --dir DIR | tick --home HOME --env ENV [--idle N]');
  process.exit(2);
}
// resourceUsage().maxRSS is in KiB on Linux and macOS.
process.stdout.write(`${JSON.stringify({ ...output, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
process.exit(0);
