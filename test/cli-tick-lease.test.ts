/**
 * The one-shot `tick` and the scheduler lease on SQLite: a lease left by a killed process of this host is
 * taken over at once (not after its minute), and a tick that finds the lease held says so.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processLeaseOwner } from '../src/db/lease-owner.js';
import { SqliteBackend } from '../src/db/sqlite.js';
import { readProcessStat } from '../src/process-table.js';
import { CliSandbox, eventually } from './helpers/cli.js';

describe('tick and the SQLite scheduler lease', () => {
  let sandbox: CliSandbox;
  beforeEach(() => {
    sandbox = new CliSandbox();
  });
  afterEach(() => sandbox.cleanup());

  async function holdLease(owner: string): Promise<void> {
    const db = new SqliteBackend({ file: path.join(sandbox.envRoot('dev'), 'vol', 'data', 'airflow.db') });
    try {
      await db.migrate();
      expect(await db.acquireLock('scheduler', { owner, ttlMs: 60 * 60_000, now: new Date() })).toBe(true);
    } finally {
      // Closing does not release a SQLite lease: it stays until it expires, as a killed holder's would.
      await db.close();
    }
  }

  it('takes over at once the lease of a killed tick, and says when a live holder has it', async () => {
    await sandbox.ok(['create', '--env', 'dev', '--config', sandbox.writeConfig()]);

    const live = processLeaseOwner();
    await holdLease(live);
    const held = await sandbox.ok(['tick', '--env', 'dev']);
    expect(held.stdout).toBe('Tick: skipped, another scheduler holds the lock (it was asked for one more pass)\n');

    // A holder SIGKILLed mid-tick: its lease has an hour left, and its process is gone.
    const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
    const stat = await eventually(() => readProcessStat(victim.pid!) ?? undefined);
    const gone = new Promise((resolve) => victim.once('exit', resolve));
    victim.kill('SIGKILL');
    await gone;
    const db = new SqliteBackend({ file: path.join(sandbox.envRoot('dev'), 'vol', 'data', 'airflow.db') });
    await db.run('UPDATE lock SET owner = ? WHERE name = ?', [`${os.hostname()}:pid=${victim.pid}@${stat.startTime}`, 'scheduler']);
    await db.close();
    const ran = await sandbox.ok(['tick', '--env', 'dev']);
    expect(ran.stdout).not.toContain('another scheduler holds the lock');
    expect(ran.stdout).toMatch(/^Tick: /);
  });
});
