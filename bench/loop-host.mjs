/**
 * Hosts the local scheduler loop (dist/runtime/scheduler-loop.js) the way `scheduler --env E --until-idle`
 * does, minus oclif, plus one thing: a referenced keep-alive timer while the loop runs. It is the wide
 * benchmark's fallback when the CLI's loop process exits early (Node exit code 13, "unsettled top-level
 * await": the loop waited on a promise that only unref'd handles could settle), so the benchmark still
 * measures the same loop code. Prints one JSON line: the loop's result, the tick count and the loop's own CPU time.
 *
 *   node bench/loop-host.mjs --home DIR --env NAME --timeout SEC
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { importDist } from './lib.mjs';

const { values } = parseArgs({ options: { home: { type: 'string' }, env: { type: 'string' }, timeout: { type: 'string' } } });
if (!values.home || !values.env) {
  console.error('usage: loop-host.mjs --home DIR --env NAME [--timeout SEC]');
  process.exit(2);
}
process.env.AIRFLOW_SERVERLESS_HOME = values.home;

const { parseConfig } = await importDist('config/index.js');
const { localEnvironmentPaths } = await importDist('providers/local/paths.js');
const { runSchedulerLoop } = await importDist('runtime/scheduler-loop.js');
const { silentLogger } = await importDist('logger.js');

const paths = localEnvironmentPaths(values.env, values.home);
const config = parseConfig(fs.readFileSync(paths.config, 'utf8'), paths.config, process.env);
const keepAlive = setInterval(() => {}, 1000);
let ticks = 0;
try {
  const result = await runSchedulerLoop({
    env: values.env,
    config,
    home: values.home,
    logger: silentLogger,
    untilIdle: true,
    timeoutSeconds: values.timeout ? Number(values.timeout) : null,
    onTick: () => ticks++,
  });
  // The loop's own CPU, apart from its task processes (children's CPU is not in process.cpuUsage()).
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ...result, ticks, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
} finally {
  clearInterval(keepAlive);
}
