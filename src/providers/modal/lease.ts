/**
 * The scheduler lease in the Dict (`lock:scheduler` -> {owner, expires_at, deadline, call_id}). On Modal
 * `max_containers=1` already serialises scheduled ticks; the lease guards the rare overlap (a tick spawned
 * from the CLI while a scheduled one runs, an old container during a deploy). A Dict has no
 * compare-and-swap, so taking over a lease pops it and checks that what was popped is the lease that was
 * read; anything else is put back and we back off.
 *
 * Lifetime (issue 12): a tick killed by its timeout or preempted must not stop scheduling for long. So the
 * lease is short (`leaseTtlMs`, derived from the tick timeout) and renewed while the tick works; it never
 * outlives `deadline` (start + the tick timeout + grace), when Modal has killed the tick for sure. A lease
 * is taken over at once when it expired, passed its deadline, or carries our own call id: Modal re-runs a
 * preempted input with the same call id only after the first container is gone.
 */
import { SCHEDULER_LOCK_KEY } from '../../executor/protocol.js';
import type { Clock } from '../ports.js';
import type { ModalStateDict } from './state-dict.js';

export interface LeaseRecord {
  owner: string;
  expires_at: string;
  /** When the holder's tick is past its timeout whatever it renews (absent in leases of older versions). */
  deadline?: string;
  /** The Modal function call that holds it (absent outside Modal). */
  call_id?: string | null;
}

/** How often a working tick renews its lease. */
export const LEASE_RENEW_MS = 30_000;
/** Slack past the tick timeout for Modal to stop the container. */
export const LEASE_GRACE_MS = 30_000;

/** Three renewals' worth, and never longer than the tick can live. */
export function leaseTtlMs(tickTimeoutSeconds: number): number {
  return Math.min(3 * LEASE_RENEW_MS, tickTimeoutSeconds * 1000 + LEASE_GRACE_MS);
}

export class DictSchedulerLease {
  private readonly deadline: number;
  private timer: NodeJS.Timeout | null = null;
  private lost = false;

  constructor(
    private readonly dict: Pick<ModalStateDict, 'get' | 'putIfAbsent' | 'pop' | 'put'>,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly options: { callId?: string | null; tickTimeoutMs?: number } = {},
  ) {
    this.deadline = clock.now().getTime() + (options.tickTimeoutMs ?? ttlMs) + LEASE_GRACE_MS;
  }

  private record(): LeaseRecord {
    const now = this.clock.now().getTime();
    return {
      owner: this.owner,
      expires_at: new Date(Math.min(now + this.ttlMs, this.deadline)).toISOString(),
      deadline: new Date(this.deadline).toISOString(),
      call_id: this.options.callId ?? null,
    };
  }

  /** Why a lease held by someone else can be taken now, or undefined while it is alive. */
  private takeoverReason(current: LeaseRecord): string | undefined {
    const now = this.clock.now().getTime();
    if (Date.parse(current.expires_at) <= now) return 'expired';
    if (current.deadline !== undefined && Date.parse(current.deadline) <= now) return 'past its tick timeout';
    if (this.options.callId && current.call_id === this.options.callId) return 'held by our own preempted run';
    return undefined;
  }

  async acquire(): Promise<boolean> {
    if (await this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, this.record())) return true;
    const current = await this.dict.get<LeaseRecord>(SCHEDULER_LOCK_KEY);
    if (current === undefined) return this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, this.record());
    // Re-entrant: the tick entrypoint takes the lease before migrating, then runTick asks again as the same owner.
    if (current.owner === this.owner) {
      await this.dict.put(SCHEDULER_LOCK_KEY, this.record());
      return true;
    }
    if (this.takeoverReason(current) === undefined) return false;
    const popped = await this.dict.pop<LeaseRecord>(SCHEDULER_LOCK_KEY);
    if (popped && (popped.owner !== current.owner || popped.expires_at !== current.expires_at)) {
      // Someone renewed or took over between our read and our pop: theirs goes back.
      await this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, popped);
      return false;
    }
    return this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, this.record());
  }

  /** True while the Dict still shows our unexpired lease. A tick checks this before committing. */
  async held(): Promise<boolean> {
    if (this.lost) return false;
    const current = await this.dict.get<LeaseRecord>(SCHEDULER_LOCK_KEY);
    return current !== undefined && current.owner === this.owner && Date.parse(current.expires_at) > this.clock.now().getTime();
  }

  /** Extends our lease; false (and nothing written) if it is no longer ours. */
  async renew(): Promise<boolean> {
    if (!(await this.held())) return false;
    await this.dict.put(SCHEDULER_LOCK_KEY, this.record());
    return true;
  }

  /**
   * Renews every LEASE_RENEW_MS until `stopRenewing`. A renewal that finds the lease gone marks it lost
   * for good: `held()` then says false, and the tick stops before its next commit.
   */
  startRenewing(onError: (error: unknown) => void = () => undefined): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.renew().then(
        (ok) => {
          if (!ok) {
            this.lost = true;
            this.stopRenewing();
          }
        },
        (error: unknown) => onError(error),
      );
    }, Math.min(LEASE_RENEW_MS, Math.max(1, Math.floor(this.ttlMs / 3))));
    this.timer.unref();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async release(): Promise<void> {
    this.stopRenewing();
    const popped = await this.dict.pop<LeaseRecord>(SCHEDULER_LOCK_KEY);
    if (popped && popped.owner !== this.owner) await this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, popped);
  }
}
