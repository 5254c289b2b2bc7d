/**
 * Step one of a task function: make sure this try is ours to run. The dispatch record must be QUEUED for
 * exactly this try and token, and the claim key (putIfAbsent) must be won: two spawns of one try, or a
 * spawn replayed after the try ran, never run the operator twice.
 *
 * The record is read again once the claim is won. A claimer that read QUEUED and then stalled (a loaded
 * machine) can find the claim key free when it finally writes it: the other spawn of the same try (a
 * restarted loop re-spawns a dispatch nobody had claimed yet) may have claimed, run and reported in the
 * meantime, and the tick, having recorded that, deleted both report and claim. The record is never QUEUED
 * with this token again after that, so the second read tells a won claim from a late one.
 */
import { claimKey, taskKey, type ClaimRecord, type TaskPayload, type TaskRecord } from '../executor/protocol.js';
import type { Logger } from '../logger.js';
import type { Clock, StateDict } from '../providers/ports.js';

export type ClaimResult = { claimed: true; record: TaskRecord } | { claimed: false; reason: string };

function sameTry(record: TaskRecord, payload: TaskPayload): boolean {
  return (
    record.dag_id === payload.dag_id &&
    record.task_id === payload.task_id &&
    record.run_id === payload.run_id &&
    record.map_index === payload.map_index &&
    record.try_number === payload.try_number
  );
}

export async function claimTry(payload: TaskPayload, dict: StateDict, callId: string | null, clock: Clock, logger: Logger): Promise<ClaimResult> {
  const refuse = (reason: string): ClaimResult => {
    logger.info('not running this try', { key: payload.key, reason });
    return { claimed: false, reason };
  };
  if (payload.key !== taskKey(payload)) return refuse('payload key does not match its identity');
  const record = await dict.get<TaskRecord>(payload.key);
  if (record === undefined) return refuse('no dispatch record');
  if (record.status !== 'QUEUED') return refuse(`dispatch record is ${record.status}, not QUEUED`);
  if (record.token !== payload.token) return refuse('dispatch record carries another token');
  if (!sameTry(record, payload)) return refuse('dispatch record is for another try');
  const claim: ClaimRecord = { token: payload.token, call_id: callId, claimed_at: clock.now().toISOString() };
  if (!(await dict.putIfAbsent(claimKey(payload), claim))) return refuse('another task function already claimed this try');
  const now = await dict.get<TaskRecord>(payload.key);
  if (now?.status !== 'QUEUED' || now.token !== payload.token) {
    // Ours is a late claim on a try that already ran; take it back (the tick deleted the one it replaced).
    await dict.delete(claimKey(payload));
    return refuse(`the try ran meanwhile (its record is ${now?.status ?? 'gone'})`);
  }
  return { claimed: true, record };
}
