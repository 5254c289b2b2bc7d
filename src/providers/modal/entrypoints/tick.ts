/**
 * `tick` inside a Modal container: one scheduler pass (runTick) with the Modal ports.
 *
 * Order matters, for SQLite on the volume:
 * 1. take the Dict lease (`lock:scheduler`) before touching the database: the launcher commits the
 *    volume when we exit, so a tick that wrote the file without holding the lease could overwrite the
 *    holder's commit with an older copy (last writer wins). Without the lease we record a tick request
 *    (the holder loops once more) and exit without opening the file. The lease is renewed while we work
 *    (lease.ts), and it is the database's scheduler lock: runTick's acquire and release are re-entrant;
 * 2. clear `tick:requested`, so requests made from now on start (or fold into) the next tick;
 * 3. migrate, then runTick on a container-local copy of the database, written back whole before every
 *    volume commit (VolumeSqliteDatabase);
 * 4. record in the wake entry when the scheduler can next have work (wake.ts): until then the scheduled
 *    launcher returns after one Dict read;
 * 5. close (a last write-back if a pass stopped before its commit, and the lease still ours); when there
 *    was none, tell the launcher its final commit is not needed; release.
 * Postgres needs only 2-4: its advisory lock is taken by runTick and nothing lives on the volume.
 */
import os from 'node:os';
import { TICK_REQUESTED_KEY } from '../../../executor/protocol.js';
import { runTick as schedulerRunTick } from '../../../scheduler/tick.js';
import type { TickDeps } from '../../../scheduler/tick.js';
import type { ContainerOptions } from '../container.js';
import { containerContext, dropSchedulerSecrets, isProcessEntry, runMain } from '../container.js';
import { openTickDatabase, VolumeSqliteDatabase } from '../database.js';
import { DictSchedulerLease, leaseTtlMs } from '../lease.js';
import { nextDue, recordNextDue } from '../wake.js';

/** The launcher's default tick timeout; the launcher passes the deployed one in AIRFLOW_SERVERLESS_TICK_TIMEOUT_SECONDS. */
export const DEFAULT_TICK_TIMEOUT_SECONDS = 600;

/** Tests pass a stand-in; production runs the scheduler's pass. */
export type RunTick = (deps: TickDeps) => Promise<unknown>;

export type ModalTickOutcome =
  | { ran: true; result: unknown; dueAt: string }
  | { ran: false; reason: 'lease held by another tick' };

export async function runModalTick(options: ContainerOptions & { runTick?: RunTick } = {}): Promise<ModalTickOutcome> {
  const ctx = await containerContext(options);
  // The parse worker runs DAG files' top-level code (user code) and inherits this environment; the
  // connection and the config already hold what the tick needs.
  dropSchedulerSecrets(ctx);
  const env = ctx.processEnv;
  const owner = `${os.hostname()}:${process.pid}:${env.MODAL_TASK_ID ?? 'local'}`;
  const runTick = options.runTick ?? schedulerRunTick;
  const sqlite = ctx.config.database.type === 'sqlite';
  const timeoutSeconds = Number(env.AIRFLOW_SERVERLESS_TICK_TIMEOUT_SECONDS) || DEFAULT_TICK_TIMEOUT_SECONDS;
  const lease = new DictSchedulerLease(ctx.dict, owner, leaseTtlMs(timeoutSeconds), ctx.clock, {
    callId: env.AIRFLOW_SERVERLESS_CALL_ID || null,
    tickTimeoutMs: timeoutSeconds * 1000,
  });
  try {
    if (sqlite) {
      if (!(await lease.acquire())) {
        await ctx.dict.put(TICK_REQUESTED_KEY, ctx.clock.now().toISOString());
        ctx.logger.info('another tick holds the scheduler lease; asked it to run once more');
        return { ran: false, reason: 'lease held by another tick' };
      }
      lease.startRenewing((error) => ctx.logger.warn('renewing the scheduler lease failed', { error: String(error) }));
    }
    await ctx.dict.delete(TICK_REQUESTED_KEY);
    const db = openTickDatabase({
      database: ctx.config.database,
      volumeRoot: ctx.volume.root,
      dict: ctx.dict,
      clock: ctx.clock,
      env: ctx.envName,
      lease,
    });
    if (db instanceof VolumeSqliteDatabase) ctx.volume.beforeSync((operation) => db.beforeSync(operation));
    let outcome: ModalTickOutcome;
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
      const now = ctx.clock.now();
      // A pass that lost the lease leaves the wake entry to the holder: our copy of the database is stale.
      const leaseLost = (result as { leaseLost?: unknown } | null)?.leaseLost === true;
      const due = leaseLost ? now : await recordNextDue(ctx.dict, await nextDue(db, now), now);
      outcome = { ran: true, result, dueAt: due.toISOString() };
    } finally {
      await db.close();
    }
    // The pass ended with a commit and nothing was written since: the launcher can skip its own commit.
    if (!(db instanceof VolumeSqliteDatabase && db.wroteBackAtClose)) await ctx.volume.declareClean();
    return outcome;
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
