/**
 * `npm test`'s first step (the `pretest` script): makes sure what the browser tests need is on this
 * machine, so the README's `npm ci && npm test` passes on a fresh machine, not only in CI.
 *
 * The browser tests drive Debian's Chromium through playwright-core (never a downloaded browser build).
 * When it is missing and we are root on a Debian-like machine, install it with apt-get, saying so; when we
 * cannot, fail here with one clear line instead of letting the browser tests fail (or skip) later.
 * `CHROMIUM_PATH` names another binary, as in test/helpers/browser.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function fail(message) {
  console.error(`test setup: ${message}`);
  process.exit(1);
}

/** Runs a command with its output shown only when it fails (apt-get is loud). */
function runQuietly(program, args) {
  const result = spawnSync(program, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    fail(`\`${program} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
}

function hasProgram(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

if (fs.existsSync(chromiumPath)) process.exit(0);

if (process.env.CHROMIUM_PATH) {
  fail(`CHROMIUM_PATH=${chromiumPath} does not exist; the browser tests need a Chromium binary there.`);
}
if (!hasProgram('apt-get')) {
  fail(`Chromium is missing at ${chromiumPath} and there is no apt-get to install it; install Chromium, or set CHROMIUM_PATH.`);
}
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  fail(`Chromium is missing at ${chromiumPath}; install it as root (\`apt-get update && apt-get install -y chromium\`), then run npm test again.`);
}

console.log('test setup: Chromium is missing; installing Debian\'s chromium for the browser tests (apt-get update && apt-get install -y chromium; about a minute)');
// Another apt-get on the machine holds the dpkg lock for a while: wait for it rather than fail.
const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
runQuietly('apt-get', [...lockWait, 'update', '-qq']);
runQuietly('apt-get', [...lockWait, 'install', '-y', '-qq', 'chromium']);
if (!fs.existsSync(chromiumPath)) fail(`apt-get installed chromium, but ${chromiumPath} is still missing.`);
console.log(`test setup: chromium installed (${chromiumPath})`);
