/**
 * The UI never writes the database (the tick is its only writer): a write becomes a `cmd:*` record in the
 * state dict, applied by the next tick. Until then, reads overlay pending commands where the user would
 * otherwise see their change undone (a pause toggle flipping back, a triggered run answering 404).
 */
import { randomUUID } from 'node:crypto';
import { commandKey, type Command } from '../../executor/protocol.js';
import type { StateDict } from '../../providers/ports.js';

// Shared with the CLI's trigger (src/service), so both refuse the same duplicates the same way.
export {
  pendingCommands,
  pendingPauseStates,
  pendingTriggers,
  triggerCommandId,
  type TriggerCommand,
} from '../../service/commands.js';

export function newCommandId(): string {
  return randomUUID();
}

/** Writes the command; false when a command with the same id is already pending. */
export async function submitCommand(dict: StateDict, command: Command): Promise<boolean> {
  return dict.putIfAbsent(commandKey(command.id), command);
}
