/**
 * Preemption (issue 12, docs/modal.md "Preemption"): Modal stops a preempted container and runs the same
 * input again in a new one, with the same function call id. The first delivery may already have claimed
 * the try and marked it RUNNING, so the worker's claim would refuse the re-delivery and the try would sit
 * RUNNING until the tick calls it a zombie (a wasted try, and a retry's delay).
 *
 * We accept a restart of the same call instead of making the functions non-preemptible (3x the price):
 * when the claim and the RUNNING record both carry this call's id, the earlier delivery was ours and is
 * gone, so the try goes back to QUEUED and the claim is removed; the worker then claims it as usual. A
 * different call id, a final record, or a record without our id is left alone.
 */
import type { ClaimRecord, TaskPayload, TaskRecord } from '../../executor/protocol.js';
import { claimKey } from '../../executor/protocol.js';
import type { Logger } from '../../logger.js';
import type { StateDict } from '../ports.js';

export async function rearmRedeliveredTry(payload: TaskPayload, dict: StateDict, callId: string | null, logger: Logger): Promise<boolean> {
  if (!callId) return false;
  const claim = await dict.get<ClaimRecord>(claimKey(payload));
  if (!claim || claim.call_id !== callId || claim.token !== payload.token) return false;
  const record = await dict.get<TaskRecord>(payload.key);
  if (!record || record.status !== 'RUNNING' || record.token !== payload.token || record.call_id !== callId) return false;
  logger.warn('Modal re-delivered this call after preempting it: running the try again', { key: payload.key, call_id: callId });
  await dict.put(payload.key, { ...record, status: 'QUEUED' });
  await dict.delete(claimKey(payload));
  return true;
}
