/**
 * What the tick clears from the state dict so it does not grow with every command ever applied: the
 * `cmdresult:{id}` outcomes (kept in `command_log` for good) expire after a day. Runs at most every
 * PRUNE_EVERY_MS, remembered in the dict, so an idle tick pays one `get` for it.
 */
import type { CommandResult } from '../executor/protocol.js';
import { KEY_PREFIX } from '../executor/protocol.js';
import type { TickContext } from './context.js';

/** A command's outcome stays readable this long after it was applied. */
export const COMMAND_RESULT_TTL_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 60 * 1000;
export const HOUSEKEEPING_KEY = 'housekeeping:last';

/** Deletes expired command results; returns how many (0 when it was not yet time to look). */
export async function pruneCommandResults(ctx: TickContext): Promise<number> {
  const now = ctx.now.getTime();
  const last = await ctx.dict.get<string>(HOUSEKEEPING_KEY);
  if (typeof last === 'string' && now - Date.parse(last) < PRUNE_EVERY_MS && Date.parse(last) <= now) return 0;
  let removed = 0;
  for (const [key, result] of await ctx.dict.entries<Partial<CommandResult> | null>(KEY_PREFIX.commandResult)) {
    const applied = typeof result?.applied_at === 'string' ? Date.parse(result.applied_at) : Number.NaN;
    // A malformed entry has no age to wait for: it goes too.
    if (Number.isNaN(applied) || now - applied > COMMAND_RESULT_TTL_MS) {
      await ctx.dict.delete(key);
      removed++;
    }
  }
  await ctx.dict.put(HOUSEKEEPING_KEY, ctx.nowIso);
  if (removed > 0) ctx.logger.debug('expired command results removed', { removed });
  return removed;
}
