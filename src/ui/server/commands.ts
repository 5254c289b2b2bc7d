/**
 * The UI never writes the database (the tick is its only writer): a write becomes a `cmd:*` record in the
 * state dict, applied by the next tick. Until then, reads overlay pending commands where the user would
 * otherwise see their change undone (a pause toggle flipping back, a triggered run answering 404).
 */
import { randomUUID } from 'node:crypto';

// Shared with the CLI's trigger (src/service), so both refuse the same duplicates the same way.
export {
  newTriggerCommand,
  pendingCommands,
  pendingPauseStates,
  pendingTriggers,
  submitCommand,
  triggerCommandId,
  type TriggerCommand,
} from '../../service/commands.js';

export function newCommandId(): string {
  return randomUUID();
}
