/**
 * When a failed try is retried (Airflow's `TaskInstance.is_eligible_to_retry` and `next_retry_datetime`).
 * The exponential backoff's jitter is deterministic: it hashes the task instance and try, so every tick
 * (and Airflow itself) computes the same instant for the same try.
 */
import { createHash } from 'node:crypto';
import type { TaskSpec } from '../dag/model.js';
import { airflowIsoformat } from '../timetable/index.js';

/** Airflow's MAX_RETRY_DELAY: 24 hours, the cap of any backoff delay. */
export const MAX_RETRY_DELAY_SECONDS = 24 * 60 * 60;

export type RetryPolicy = Pick<TaskSpec, 'retries' | 'retry_delay' | 'retry_exponential_backoff' | 'max_retry_delay'>;

export interface TryIdentity {
  dag_id: string;
  task_id: string;
  /** Null for Airflow 3 runs without a logical date (Python then formats it as `None`). */
  logical_date: Date | null;
  try_number: number;
}

/** Python's `str(datetime)` of a UTC instant: `2024-01-01 00:00:00+00:00` (space, not `T`; pendulum 3 agrees). */
export function pythonStrDatetime(date: Date | null): string {
  return date === null ? 'None' : airflowIsoformat(date).replace('T', ' ');
}

/** Retries remain when the task has retries and this try is within `max_tries` (which `clear` raises). */
export function isEligibleToRetry(retries: number, tryNumber: number, maxTries: number): boolean {
  return retries > 0 && tryNumber <= maxTries;
}

/** Seconds to wait after the try ended before the next one. */
export function retryDelaySeconds(policy: RetryPolicy, ti: TryIdentity): number {
  const base = policy.retry_delay;
  const multiplier = policy.retry_exponential_backoff;
  if (!multiplier) return base;

  // ceil first, then at least 1: a zero delay would make the modulo below divide by zero.
  const minBackoff = Math.max(1, Math.ceil(base * multiplier ** (ti.try_number - 1)));
  const digest = createHash('sha1')
    .update(`${ti.dag_id}#${ti.task_id}#${pythonStrDatetime(ti.logical_date)}#${ti.try_number}`)
    .digest('hex');
  // The hash is 160 bits: BigInt keeps the modulo exact where a double would not.
  const jitter = Number(BigInt('0x' + digest) % BigInt(minBackoff));
  const delay = Math.min(minBackoff + jitter, MAX_RETRY_DELAY_SECONDS);
  return policy.max_retry_delay ? Math.min(policy.max_retry_delay, delay) : delay;
}

export function nextRetryAt(endDate: Date, policy: RetryPolicy, ti: TryIdentity): Date {
  return new Date(endDate.getTime() + retryDelaySeconds(policy, ti) * 1000);
}
