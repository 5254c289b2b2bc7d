/** The UI over a real socket (startUiServer), and the volume readers the server reads logs and XComs through. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VolumeEntry } from '../src/providers/ports.js';
import { generateUiToken } from '../src/ui/server/auth.js';
import { loginUrl, startUiServer, type UiServer } from '../src/ui/server/start.js';
import { folderVolumeReader, volumeClientReader } from '../src/ui/server/volume-reader.js';
import { UiFixture } from './helpers/ui-fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('startUiServer', () => {
  it('serves the API on 127.0.0.1 behind the token, logs a browser in, and closes', async () => {
    const f = await UiFixture.create();
    cleanups.push(() => f.close());
    await f.dag({ dag_id: 'etl' });
    const server: UiServer = await startUiServer({
      db: f.db,
      dict: f.dict,
      files: folderVolumeReader(f.volume),
      token: f.token,
      version: '9.9.9',
    });
    cleanups.push(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);

    const unauthorized = await fetch(`${server.url}/api/v2/dags`);
    expect(unauthorized.status).toBe(401);
    const dags = await fetch(`${server.url}/api/v2/dags`, { headers: { Authorization: `Bearer ${f.token}` } });
    expect(dags.status).toBe(200);
    expect(((await dags.json()) as { total_entries: number }).total_entries).toBe(1);

    const login = await fetch(loginUrl(server, f.token), { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const version = await fetch(`${server.url}/api/v2/version`, { headers: { Cookie: cookie } });
    expect(await version.json()).toEqual({ version: '9.9.9', git_version: null });

    // A keep-alive connection does not hold close() open.
    await fetch(`${server.url}/api/v2/monitor/health`, { headers: { Connection: 'keep-alive' } });
    await server.close();
    await expect(fetch(`${server.url}/api/v2/monitor/health`)).rejects.toThrow();
  });

  it('fails clearly when the port is taken', async () => {
    const f = await UiFixture.create();
    cleanups.push(() => f.close());
    const deps = { db: f.db, dict: f.dict, files: folderVolumeReader(f.volume), token: f.token, version: '1' };
    const first = await startUiServer(deps);
    cleanups.push(() => first.close());
    await expect(startUiServer({ ...deps, port: first.port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1/);
  });

  it('makes a fresh URL-safe token each time', () => {
    const a = generateUiToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateUiToken()).not.toBe(a);
  });
});

describe('volume readers', () => {
  it('reads files and lists a folder, never outside the root', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-ui-vol-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const root = path.join(dir, 'vol');
    fs.mkdirSync(path.join(root, 'xcom/a'), { recursive: true });
    fs.mkdirSync(path.join(root, 'xcom/a/sub'));
    fs.writeFileSync(path.join(root, 'xcom/a/k.json'), '1');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
    const reader = folderVolumeReader(root);
    expect(Buffer.from((await reader.readFile('xcom/a/k.json'))!).toString()).toBe('1');
    expect(await reader.readFile('xcom/a/missing.json')).toBeUndefined();
    expect(await reader.readFile('xcom/a')).toBeUndefined();
    expect(await reader.listFiles('xcom/a')).toEqual(['k.json']);
    expect(await reader.listFiles('nope')).toEqual([]);
    expect(await reader.readFile('../secret.txt')).toBeUndefined();
    expect(await reader.readFile('xcom/../../secret.txt')).toBeUndefined();
    expect(await reader.listFiles('..')).toEqual([]);
  });

  it('adapts a VolumeClient: direct files of a folder only', async () => {
    const entries: VolumeEntry[] = [
      { path: 'xcom/d/r/t/a.json', type: 'file', size: 1, mtime: new Date() },
      { path: 'xcom/d/r/t/b.json', type: 'file', size: 1, mtime: new Date() },
      { path: 'xcom/d/r/t/0/c.json', type: 'file', size: 1, mtime: new Date() },
      { path: 'xcom/d/r/t/0', type: 'directory', size: 0, mtime: new Date() },
    ];
    const reader = volumeClientReader({
      list: async (prefix) => entries.filter((e) => e.path.startsWith(prefix)),
      get: async (p) => (p === 'xcom/d/r/t/a.json' ? new TextEncoder().encode('{}') : undefined),
    });
    expect(await reader.listFiles('xcom/d/r/t')).toEqual(['a.json', 'b.json']);
    expect(await reader.readFile('xcom/d/r/t/a.json')).toBeDefined();
    expect(await reader.readFile('xcom/../x')).toBeUndefined();
  });
});
