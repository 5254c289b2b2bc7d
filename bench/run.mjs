/**
 * Benchmarks of airflow-serverless (`npm run bench`, which builds first). Each benchmark reports a ratio
 * against a baseline measured in the same run, a table, and a one-line verdict against its target.
 *
 *   node bench/run.mjs                 all of them
 *   node bench/run.mjs startup|chain|wide|scale|task_start|python_scale  one (or several: `node bench/run.mjs chain scale`)
 *
 * Exits 0 even when a target is missed (the verdict says MISSED); exits 1 only when a benchmark could not
 * run at all. Results also go to bench/results/latest.json (gitignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupAll, DIST, installCleanupHandlers, REPO_ROOT } from './lib.mjs';

const BENCHMARKS = {
  startup: async () => (await import('./startup.mjs')).benchStartup(),
  chain: async () => (await import('./chain.mjs')).benchChain(),
  wide: async () => (await import('./wide.mjs')).benchWide(),
  scale: async () => (await import('./scale.mjs')).benchScale(),
  task_start: async () => (await import('./task-start.mjs')).benchTaskStart(),
  python_scale: async () => (await import('./python-scale.mjs')).benchPythonScale(),
};

function machineFacts() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load_average: os.loadavg().map((l) => +l.toFixed(2)),
  };
}

async function main() {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; use one or more of: ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(DIST, 'scheduler', 'tick.js'))) {
    console.error('dist/ is missing: run `npm run build` first (or `npm run bench`, which builds)');
    process.exit(2);
  }
  installCleanupHandlers();
  const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);
  const facts = machineFacts();
  console.log('airflow-serverless benchmarks');
  console.log(
    `machine: ${facts.cores} cores (${facts.cpu}), ${facts.memory_gib} GiB, node ${facts.node}, ${facts.platform}, load average ${facts.load_average.join(' ')}`,
  );

  const results = { machine: facts, started_at: new Date().toISOString(), benchmarks: {} };
  const verdicts = [];
  let broken = 0;
  for (const name of names) {
    const started = Date.now();
    try {
      const result = await BENCHMARKS[name]();
      results.benchmarks[name] = result;
      verdicts.push(...(result.verdicts ?? [result.verdict]));
    } catch (error) {
      broken++;
      console.error(`\n*** ${name}: could not run: ${error.stack ?? error.message}`);
      results.benchmarks[name] = { error: error.message };
      verdicts.push({ name, met: false, text: `could not run: ${error.message.split('\n')[0]}` });
    } finally {
      // Anything a failed benchmark left behind goes now, not at exit.
      await cleanupAll();
    }
    console.log(`(${name} took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }

  console.log('\nSummary');
  for (const v of verdicts) console.log(`  ${v.met ? 'MET   ' : 'MISSED'}  ${v.name}: ${v.text}`);
  results.finished_at = new Date().toISOString();
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n(results: bench/results/latest.json)`);
  return broken > 0 ? 1 : 0;
}

main().then(
  async (code) => {
    await cleanupAll();
    process.exit(code);
  },
  async (error) => {
    console.error(error.stack ?? error.message);
    await cleanupAll();
    process.exit(1);
  },
);
