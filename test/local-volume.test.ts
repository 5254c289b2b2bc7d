import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalVolumeClient, resolveInVolume, VolumePathError } from '../src/providers/local/volume.js';

describe('local volume', () => {
  let dir: string;
  let root: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-vol-'));
    root = path.join(dir, 'vol');
    fs.mkdirSync(root);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(['../outside.txt', 'dags/../../outside.txt', '/etc/passwd', '..', 'a/\0b', 'C:\\windows'])(
    'rejects %j, which would leave the volume',
    (bad) => {
      expect(() => resolveInVolume(root, bad)).toThrow(VolumePathError);
    },
  );

  it('accepts paths that stay inside, even through ..', () => {
    expect(resolveInVolume(root, 'dags/sub/../etl.yaml')).toBe(path.join(root, 'dags/etl.yaml'));
    expect(resolveInVolume(root, './logs/x.log')).toBe(path.join(root, 'logs/x.log'));
  });

  it('rejects a path that escapes through a symlink inside the volume', async () => {
    fs.mkdirSync(path.join(dir, 'secret'));
    fs.symlinkSync(path.join(dir, 'secret'), path.join(root, 'link'));
    const volume = new LocalVolumeClient(root);
    await expect(volume.put('link/x.txt', Buffer.from('x'))).rejects.toThrow(VolumePathError);
    expect(fs.existsSync(path.join(dir, 'secret/x.txt'))).toBe(false);
  });

  it('puts atomically, gets, lists recursively without temp files, and removes', async () => {
    const volume = new LocalVolumeClient(root);
    await volume.put('dags/etl.yaml', Buffer.from('a: 1\n'));
    await volume.put('dags/lib/cb.py', Buffer.from('def f(): pass\n'));
    await volume.put('dags/etl.yaml', Buffer.from('a: 2\n'));
    expect(Buffer.from((await volume.get('dags/etl.yaml')) ?? []).toString()).toBe('a: 2\n');
    expect(await volume.get('dags/missing.yaml')).toBeUndefined();
    fs.writeFileSync(path.join(root, 'dags/.etl.yaml.tmp-123-abcd'), 'half');
    const listed = await volume.list('dags');
    expect(listed.map((e) => `${e.type}:${e.path}`)).toEqual(['file:dags/etl.yaml', 'directory:dags/lib', 'file:dags/lib/cb.py']);
    expect(listed[0]?.size).toBe(5);
    expect(await volume.list('nothing-here')).toEqual([]);
    expect(await volume.remove('dags/etl.yaml')).toBe(true);
    expect(await volume.remove('dags/etl.yaml')).toBe(false);
    await expect(volume.remove('.')).rejects.toThrow(VolumePathError);
  });
});
