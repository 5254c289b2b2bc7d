/**
 * Pending `cmd:*` requests in the state dict, as the CLI and the UI both see them before a tick applies
 * them; and the trigger command id, derived from (dag_id, run_id) so that two triggers of one run collide.
 */
import { createHash } from 'node:crypto';
import { commandKey, KEY_PREFIX, type Command } from '../executor/protocol.js';
import type { StateDict } from '../providers/ports.js';

export type TriggerCommand = Extract<Command, { kind: 'trigger' }>;

/**
 * A trigger's command id is derived from (dag_id, run_id), so two concurrent triggers of the same run id
 * collide on `putIfAbsent` instead of both being accepted.
 */
export function triggerCommandId(dagId: string, runId: string): string {
  const hex = createHash('sha256').update(`${dagId}\u0000${runId}`).digest('hex');
  // Shaped as an RFC 9562 version-8 (custom) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A trigger command whose id is `triggerCommandId` of its DAG and run id. */
export function newTriggerCommand(fields: Omit<TriggerCommand, 'id' | 'kind'>): TriggerCommand {
  return { id: triggerCommandId(fields.dag_id, fields.run_id), kind: 'trigger', ...fields };
}

/** Writes the command; false when a command with the same id is already pending. */
export async function submitCommand(dict: StateDict, command: Command): Promise<boolean> {
  return dict.putIfAbsent(commandKey(command.id), command);
}

export async function pendingCommands(dict: StateDict): Promise<Command[]> {
  const entries = await dict.entries<Command>(KEY_PREFIX.command);
  return entries.map(([, command]) => command).filter((c) => c !== null && typeof c === 'object' && typeof c.kind === 'string');
}

export function pendingTriggers(commands: readonly Command[], dagId: string | null): TriggerCommand[] {
  return commands.filter((c): c is TriggerCommand => c.kind === 'trigger' && (dagId === null || c.dag_id === dagId));
}

/** The paused flag the newest pending pause/unpause command will set, per DAG. */
export function pendingPauseStates(commands: readonly Command[]): Map<string, boolean> {
  const newest = new Map<string, { at: string; paused: boolean }>();
  for (const command of commands) {
    if (command.kind !== 'pause' && command.kind !== 'unpause') continue;
    const seen = newest.get(command.dag_id);
    if (!seen || seen.at <= command.requested_at) {
      newest.set(command.dag_id, { at: command.requested_at, paused: command.kind === 'pause' });
    }
  }
  return new Map([...newest].map(([dagId, v]) => [dagId, v.paused]));
}

