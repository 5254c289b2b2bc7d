/**
 * Runs the Python side's own unit tests (python/tests, stdlib unittest) inside `npm test`: the
 * authoring package, the parse worker and the task runner. A failing Python test fails this test with
 * unittest's report as the message.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_PACKAGE_DIR, pythonExecutable } from '../src/python-package.js';

function runUnittest(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // -t python: tests import as `tests.x` with python/ (our `airflow` package) first on sys.path.
    const child = spawn(pythonExecutable(), ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
      cwd: PYTHON_PACKAGE_DIR,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('python/tests (unittest)', () => {
  it('passes', { timeout: 300_000 }, async () => {
    const { code, output } = await runUnittest();
    if (code !== 0) expect.fail(`python -m unittest failed (exit ${code}):\n${output}`);
    expect(output).toMatch(/^OK/m);
  });
});
