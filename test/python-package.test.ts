/**
 * Runs the Python side's own unit tests (python/tests, stdlib unittest) inside `npm test`: the
 * authoring package, the parse worker and the task runner. A failing Python test fails this test with
 * unittest's report as the message. Also which interpreter runs parsing and tasks.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PYTHON_PACKAGE_DIR, pythonExecutable, resolvePython } from '../src/python-package.js';
import { findPythonInterpreter } from '../src/worker/find-on-path.js';

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

describe('the interpreter for parsing and tasks', () => {
  const real = findPythonInterpreter();
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-python-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.skipIf(real === null)("behind a version manager's shim script, is the interpreter the shim picks, asked once", () => {
    // A shim as pyenv writes them: a script that execs the interpreter it chooses.
    fs.writeFileSync(path.join(dir, 'python3'), `#!/bin/sh\nexec ${real} "$@"\n`, { mode: 0o755 });
    const resolved = resolvePython({ PATH: `${dir}:/usr/bin:/bin` });
    expect(path.isAbsolute(resolved)).toBe(true);
    expect(fs.realpathSync(resolved)).toBe(fs.realpathSync(real!));
  });

  it('is plain `python3` when PATH holds the interpreter itself, or no python3 at all', () => {
    fs.symlinkSync(real ?? '/bin/true', path.join(dir, 'python3'));
    expect(resolvePython({ PATH: dir })).toBe('python3');
    expect(resolvePython({ PATH: path.join(dir, 'missing') })).toBe('python3');
  });
});
