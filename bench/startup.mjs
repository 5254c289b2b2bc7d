/**
 * startup: what every command a user types (and every tick on Modal) pays before it does anything.
 * `airflow-serverless --version` and `dags list --env E` (an environment holding the examples, parsed by
 * one tick) against `node -e 0`, the floor of any Node program. The three are interleaved round by round,
 * so a busy moment on the shared machine hits all of them alike; medians of the rounds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli, createEnvironment, median, ms, printTable, ratio, removeTempDir, REPO_ROOT, run, tempDir, verdict } from './lib.mjs';

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
const TARGET_VERSION = 2;
const TARGET_DAGS_LIST = 4;

export async function benchStartup() {
  const home = tempDir('startup');
  try {
    const env = 'startup';
    await createEnvironment(home, env, 'provider: local\n');
    const examples = path.join(REPO_ROOT, 'examples', 'dags');
    for (const file of fs.readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
      await cli(home, ['dags', 'create', '--env', env, '--file', path.join(examples, file)]);
    }
    await cli(home, ['tick', '--env', env]);

    const cases = {
      'node -e 0': () => run(process.execPath, ['-e', '0']),
      '--version': () => cli(home, ['--version']),
      [`dags list --env ${env}`]: () => cli(home, ['dags', 'list', '--env', env]),
    };
    const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    // One warm-up round: the first start reads everything from disk.
    for (const start of Object.values(cases)) await start();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, start] of Object.entries(cases)) samples[name].push((await start()).ms);
    }

    const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
    const floor = medians['node -e 0'];
    const versionRatio = medians['--version'] / floor;
    const listRatio = medians[`dags list --env ${env}`] / floor;
    printTable(
      `startup: ${ROUNDS} interleaved rounds, median wall time`,
      ['command', 'median', 'min', 'vs node -e 0', 'target'],
      Object.entries(samples).map(([name, values]) => [
        name,
        ms(medians[name]),
        ms(Math.min(...values)),
        ratio(medians[name] / floor),
        name === '--version' ? `≤ ${TARGET_VERSION}×` : name.startsWith('dags list') ? `≤ ${TARGET_DAGS_LIST}×` : '',
      ]),
    );
    const verdicts = [
      verdict('startup --version', versionRatio <= TARGET_VERSION, `${ms(medians['--version'])} = ${ratio(versionRatio)} node -e 0 (${ms(floor)}); target ≤ ${TARGET_VERSION}×`),
      verdict(
        'startup dags list',
        listRatio <= TARGET_DAGS_LIST,
        `${ms(medians[`dags list --env ${env}`])} = ${ratio(listRatio)} node -e 0; target ≤ ${TARGET_DAGS_LIST}×`,
      ),
    ];
    return { rounds: ROUNDS, median_ms: medians, ratios: { version: versionRatio, dags_list: listRatio }, verdicts };
  } finally {
    removeTempDir(home);
  }
}
