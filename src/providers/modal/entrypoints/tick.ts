/**
 * `tick` inside a Modal container: one scheduler pass (runTick) with the Modal ports.
 *
 * Order matters, for SQLite on the volume:
 * 1. take the Dict lease (`lock:scheduler`) before touching the database: the launcher commits the
 *    volume when we exit, so a tick that wrote the file without holding the lease could overwrite the
 *    holder's commit with an older copy (last writer wins). Without the lease we record a tick request
 *    (the holder loops once more) and exit without opening the file;
 * 2. clear `tick:requested`, so requests made from now on start (or fold into) the next tick;
 * 3. migrate, then runTick; the database is closed before every volume commit and reload
 *    (ReopenableDatabase.suspend via the mount's beforeSync hook) and at the end.
 * runTick asks for the same lease again as the same owner (re-entrant) and releases it.
 * Postgres needs none of this: its advisory lock is taken by runTick and nothing lives on the volume.
 */
import os from 'node:os';
import { TICK_REQUESTED_KEY } from '../../../executor/protocol.js';
import { runTick as schedulerRunTick } from '../../../scheduler/tick.js';
import type { TickDeps } from '../../../scheduler/tick.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, isProcessEntry, runMain } from '../container.js';
import { openTickDatabase, ReopenableDatabase } from '../database.js';
import { DictSchedulerLease } from '../lease.js';

/** Longer than the longest tick (the launcher's tick timeout is 600 s). */
export const TICK_LEASE_MS = 11 * 60_000;

/** Tests pass a stand-in; production runs the scheduler's pass. */
export type RunTick = (deps: TickDeps) => Promise<unknown>;

export type ModalTickOutcome = { ran: true; result: unknown } | { ran: false; reason: 'lease held by another tick' };

export async function runModalTick(options: ContainerOptions & { runTick?: RunTick } = {}): Promise<ModalTickOutcome> {
  const ctx = await containerContext(options);
  const owner = `${os.hostname()}:${process.pid}:${ctx.processEnv.MODAL_TASK_ID ?? 'local'}`;
  const runTick = options.runTick ?? schedulerRunTick;
  const sqlite = ctx.config.database.type === 'sqlite';
  const lease = new DictSchedulerLease(ctx.dict, owner, TICK_LEASE_MS, ctx.clock);
  try {
    if (sqlite && !(await lease.acquire())) {
      await ctx.dict.put(TICK_REQUESTED_KEY, ctx.clock.now().toISOString());
      ctx.logger.info('another tick holds the scheduler lease; asked it to run once more');
      return { ran: false, reason: 'lease held by another tick' };
    }
    await ctx.dict.delete(TICK_REQUESTED_KEY);
    const db = openTickDatabase({ database: ctx.config.database, volumeRoot: ctx.volume.root, dict: ctx.dict, clock: ctx.clock, env: ctx.envName });
    if (db instanceof ReopenableDatabase) ctx.volume.beforeSync(() => db.suspend());
    try {
      await db.migrate();
      const result = await runTick({
        db,
        dict: ctx.dict,
        spawner: ctx.spawner,
        clock: ctx.clock,
        config: ctx.config,
        volume: ctx.volume,
        owner,
        logger: ctx.logger,
      });
      return { ran: true, result };
    } finally {
      // Closed before the launcher's final commit.
      await db.close();
    }
  } finally {
    if (sqlite) await lease.release().catch(() => undefined);
    ctx.close();
  }
}

if (isProcessEntry(import.meta.url)) {
  runMain('tick', async () => {
    await runModalTick();
    return 0;
  });
}
