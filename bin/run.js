#!/usr/bin/env node
// `--version` alone is answered here, from package.json, in the words oclif uses (its `userAgent`):
// loading oclif and the CLI bundle only to print one line cost about as much again as Node's own start.
// Where oclif would name the platform differently (WSL, Windows, 32-bit x86), oclif answers as usual.
// test/cli-startup.test.ts checks the line against oclif's.
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';

function versionLine() {
  if (process.argv.length !== 3 || process.argv[2] !== '--version') return null;
  const plain = (platform() === 'linux' && !/microsoft/i.test(release())) || platform() === 'darwin';
  if (!plain || arch() === 'ia32') return null;
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return `${pjson.name}/${pjson.version} ${platform()}-${arch()} node-${process.version}\n`;
}

const version = versionLine();
if (version !== null) {
  process.stdout.write(version);
} else {
  // The CLI is built into dist/cli-bundle/ by `npm run build` (scripts/build-cli.mjs says why it is bundled).
  let cli;
  try {
    cli = await import('../dist/cli-bundle/main.js');
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('cli-bundle')) {
      console.error('Error: airflow-serverless is not built: run `npm run build` first');
      process.exit(1);
    }
    throw error;
  }
  await cli.main();
}
