/**
 * `npm run demo` as the README offers it: it succeeds, removes its throwaway environment, and then does not
 * point the user at that removed environment (a "Read one: ... tasks logs" command that could only fail).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

function runDemo(): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.mjs')], { cwd: REPO_ROOT, timeout: 240_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout });
    });
  });
}

describe('npm run demo', () => {
  it('succeeds and names no path of the environment it removed', async () => {
    const { code, stdout } = await runDemo();
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/Demo succeeded/);
    expect(stdout).toMatch(/throwaway environment removed/);
    const homes = stdout.match(/\/[^\s']*airflow-serverless-demo-[^\s/']+/g) ?? [];
    for (const home of homes) expect(fs.existsSync(home), `${home} was removed`).toBe(false);
    expect(homes, stdout).toEqual([]);
    expect(stdout).not.toMatch(/Read one:/);
  }, 300_000);
});
