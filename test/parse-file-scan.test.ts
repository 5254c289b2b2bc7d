/** The dags folder scan: unchanged files (same stat stamp) are not read again; any rewrite is seen. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { contentHash, scanDagFiles } from '../src/parse/file-scan.js';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('reads a file once while its stamp holds, and again after a same-size rewrite with its mtime put back', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-scan-'));
  const file = path.join(dir, 'etl.py');
  fs.writeFileSync(file, 'from airflow import DAG  # v1\n');
  fs.writeFileSync(path.join(dir, 'helper.py'), 'X = 1\n');
  // Older than the racy window, as files are between ticks.
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(file, old, old);
  const errors: string[] = [];
  const scan = () => scanDagFiles(dir, ['etl.py', 'helper.py', 'gone.py'], (fileloc) => errors.push(fileloc));

  const first = scan();
  expect(first[0]).toMatchObject({ isDag: true, python: true, hash: contentHash('from airflow import DAG  # v1\n'), content: 'from airflow import DAG  # v1\n' });
  expect(first[1]).toMatchObject({ isDag: false });
  expect(first[2]).toBeNull();
  expect(errors).toEqual(['gone.py']);

  expect(scan()[0]).toMatchObject({ content: null, hash: contentHash('from airflow import DAG  # v1\n') });

  const { atime, mtime } = fs.statSync(file);
  fs.writeFileSync(file, 'from airflow import DAG  # v2\n');
  fs.utimesSync(file, atime, mtime);
  expect(scan()[0]).toMatchObject({ content: 'from airflow import DAG  # v2\n', hash: contentHash('from airflow import DAG  # v2\n') });
});

it('does not remember a file modified within the last seconds (coarse timestamps could hide a second write)', () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-scan-'));
  fs.writeFileSync(path.join(dir, 'fresh.yaml'), 'a: 1\n');
  const scan = () => scanDagFiles(dir, ['fresh.yaml'], () => {});
  expect(scan()[0]!.content).toBe('a: 1\n');
  expect(scan()[0]!.content).toBe('a: 1\n'); // read again: it was too young to trust its stamp
});
