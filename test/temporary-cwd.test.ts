/**
 * A BashOperator try's temporary working folder (src/worker/temporary-cwd.ts): fresh and private for each
 * try; a process that keeps them hands an emptied one to its next try only while it is exactly what
 * mkdtemp made, and removes what it kept when asked (at exit).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { giveBackTemporaryCwd, keepTemporaryCwds, removeKeptTemporaryCwds, takeTemporaryCwd } from '../src/worker/temporary-cwd.js';

const taken: string[] = [];
function take(): string {
  const dir = takeTemporaryCwd();
  taken.push(dir);
  return dir;
}

afterEach(() => {
  keepTemporaryCwds(false);
  for (const dir of taken.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function isPrivateEmptyDir(dir: string): boolean {
  const stat = fs.lstatSync(dir);
  return stat.isDirectory() && (stat.mode & 0o777) === 0o700 && fs.readdirSync(dir).length === 0;
}

it('by default each try gets a new private empty airflowtmp folder, removed when given back, contents and all', () => {
  const first = take();
  expect(path.dirname(first)).toBe(os.tmpdir());
  expect(path.basename(first)).toMatch(/^airflowtmp/);
  expect(isPrivateEmptyDir(first)).toBe(true);
  fs.writeFileSync(path.join(first, 'left-behind'), 'x');
  giveBackTemporaryCwd(first);
  expect(fs.existsSync(first)).toBe(false);
  const second = take();
  expect(second).not.toBe(first);
  giveBackTemporaryCwd(second);
  expect(fs.existsSync(second)).toBe(false);
});

describe('in a process that keeps them', () => {
  it('hands an emptied folder to the next try and removes the kept ones when asked', () => {
    keepTemporaryCwds();
    const first = take();
    giveBackTemporaryCwd(first);
    expect(fs.existsSync(first)).toBe(true);
    expect(take()).toBe(first);
    expect(isPrivateEmptyDir(first)).toBe(true);
    giveBackTemporaryCwd(first);
    removeKeptTemporaryCwds();
    expect(fs.existsSync(first)).toBe(false);
  });

  it.each([
    ['holds a file', (dir: string) => fs.writeFileSync(path.join(dir, 'left-behind'), 'x')],
    ['holds a folder', (dir: string) => fs.mkdirSync(path.join(dir, 'sub'))],
    ['is no longer private', (dir: string) => fs.chmodSync(dir, 0o755)],
    [
      'was replaced by a link',
      (dir: string) => {
        fs.rmdirSync(dir);
        fs.symlinkSync(os.tmpdir(), dir);
      },
    ],
    ['is gone', (dir: string) => fs.rmdirSync(dir)],
  ])('never hands on a folder that %s: it is removed and a new one made', (_what, change) => {
    keepTemporaryCwds();
    const first = take();
    change(first);
    giveBackTemporaryCwd(first);
    const second = take();
    expect(second).not.toBe(first);
    expect(isPrivateEmptyDir(second)).toBe(true);
    // Removed: a link itself, never what it points to.
    expect(fs.existsSync(first) && fs.lstatSync(first).isSymbolicLink()).toBe(false);
    expect(fs.existsSync(first)).toBe(false);
    expect(fs.existsSync(os.tmpdir())).toBe(true);
  });
});
