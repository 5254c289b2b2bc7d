/**
 * Pending `cmd:*` requests in the state dict, as the CLI and the UI both see them before a tick applies
 * them; and the trigger command id, derived from (dag_id, run_id) so that two triggers of one run collide.
 */
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { commandKey, commandResultKey, KEY_PREFIX, type Command, type CommandResult } from '../executor/protocol.js';
import type { StateDict } from '../providers/ports.js';
import { getJob } from '../db/queries/jobs.js';
import { withReadDatabase } from './database.js';
import type { Environment } from './environments.js';

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


/** A command without its envelope: `queueCommands` adds id, time and requester. */
export type CommandBody = Command extends infer C ? (C extends Command ? Omit<C, 'id' | 'requested_at' | 'by'> : never) : never;

/**
 * Writes commands (fresh ids) and asks for a tick; returns the command ids in order. Every write the CLI,
 * the UI and the REST API make goes through here or `submitCommand`: the tick is the only database writer.
 */
export async function queueCommands(
  environment: Environment,
  bodies: readonly CommandBody[],
  by: Command['by'] = 'cli',
): Promise<string[]> {
  const dict = await environment.provider.stateDict();
  const ids: string[] = [];
  const requestedAt = new Date().toISOString();
  for (const body of bodies) {
    const command = { ...body, id: randomUUID(), requested_at: requestedAt, by } as Command;
    await submitCommand(dict, command);
    ids.push(command.id);
  }
  if (ids.length > 0) await environment.provider.spawner().requestTick();
  return ids;
}

/**
 * The tick's result for a command, waiting up to `timeoutMs` (polling the dict); undefined when no tick
 * applied it in time (no scheduler is running, say): the command stays queued and is applied later.
 */
export async function waitForCommandResult(environment: Environment, id: string, timeoutMs: number): Promise<CommandResult | undefined> {
  const dict = await environment.provider.stateDict();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await dict.get<CommandResult>(commandResultKey(id));
    if (result) return result;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * True when a scheduler ticked recently (its `job` heartbeat is within three intervals, at least a minute):
 * only then is waiting for a command's result worth it. Without one, a command waits for the next tick.
 */
export async function schedulerIsTicking(environment: Environment, now: Date = new Date()): Promise<boolean> {
  const job = await withReadDatabase(environment, (db) => getJob(db, 'SchedulerJob')).catch(() => undefined);
  if (!job?.latest_heartbeat) return false;
  const window = Math.max(60_000, 3 * environment.config.scheduler.interval_seconds * 1000);
  return now.getTime() - Date.parse(job.latest_heartbeat) <= window;
}

/** The command's result when a ticking scheduler applies it within `timeoutMs`; undefined otherwise (at once when none ticks). */
export async function resultIfTicking(environment: Environment, id: string, timeoutMs: number): Promise<CommandResult | undefined> {
  if (timeoutMs <= 0 || !(await schedulerIsTicking(environment))) return undefined;
  return waitForCommandResult(environment, id, timeoutMs);
}
