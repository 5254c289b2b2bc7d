/**
 * Builds dist/ once per vitest run, for tests that run real processes (the CLI, task processes, racing
 * dict writers, the UI server). Skipped when dist/ is newer than src/; which test files were selected does
 * not matter, so a targeted run can never use a stale build.
 * Type errors do not stop the emit (tsc still writes JavaScript); `npm test` type-checks separately, and
 * the engineers' shared checkout often holds someone's half-finished file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const stampFile = path.join(repoRoot, 'dist/.test-build-stamp');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const stamp = fs.existsSync(stampFile) ? fs.statSync(stampFile).mtimeMs : 0;
  if (stamp > newestSourceMtime(path.join(repoRoot, 'src'))) return;
  try {
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
  } catch (error) {
    const output = String((error as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(`global-setup: tsc reported type errors (JavaScript was still emitted):\n${output.slice(0, 2000)}\n`);
  }
  try {
    execFileSync(process.execPath, ['scripts/build-assets.mjs'], { cwd: repoRoot, stdio: 'pipe' });
  } catch (error) {
    // The UI bundle is someone else's work in progress more often than not; CLI tests don't need it.
    const output = String((error as { stderr?: Buffer }).stderr ?? '');
    process.stderr.write(`global-setup: building assets failed (CLI tests go on):\n${output.slice(0, 1000)}\n`);
  }
  // The CLI runs from its bundle and oclif.manifest.json (scripts/build-cli.mjs), built from src/ like dist/.
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: repoRoot, stdio: 'pipe' });
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, new Date().toISOString());
}
