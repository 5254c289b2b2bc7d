/**
 * The scheduler lease in the Dict (`lock:scheduler` -> {owner, expires_at}). On Modal `max_containers=1`
 * already serialises scheduled ticks; the lease guards the rare overlap (a tick spawned from the CLI while
 * a scheduled one runs). A Dict has no compare-and-swap, so taking over an expired lease pops it and checks
 * that what was popped is the expired lease that was read; anything else is put back and we back off.
 */
import { SCHEDULER_LOCK_KEY } from '../../executor/protocol.js';
import type { Clock } from '../ports.js';
import type { ModalStateDict } from './state-dict.js';

export interface LeaseRecord {
  owner: string;
  expires_at: string;
}

export class DictSchedulerLease {
  constructor(
    private readonly dict: Pick<ModalStateDict, 'get' | 'putIfAbsent' | 'pop' | 'put'>,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  private record(): LeaseRecord {
    return { owner: this.owner, expires_at: new Date(this.clock.now().getTime() + this.ttlMs).toISOString() };
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
    if (Date.parse(current.expires_at) > this.clock.now().getTime()) return false;
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
    const current = await this.dict.get<LeaseRecord>(SCHEDULER_LOCK_KEY);
    return current !== undefined && current.owner === this.owner && Date.parse(current.expires_at) > this.clock.now().getTime();
  }

  /** Extends our lease; false (and nothing written) if it is no longer ours. */
  async renew(): Promise<boolean> {
    if (!(await this.held())) return false;
    await this.dict.put(SCHEDULER_LOCK_KEY, this.record());
    return true;
  }

  async release(): Promise<void> {
    const popped = await this.dict.pop<LeaseRecord>(SCHEDULER_LOCK_KEY);
    if (popped && popped.owner !== this.owner) await this.dict.putIfAbsent(SCHEDULER_LOCK_KEY, popped);
  }
}
