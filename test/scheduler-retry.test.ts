/**
 * Retry timing. Expected backoff values were computed independently with Python's hashlib from Airflow's
 * formula: min_backoff = max(1, ceil(delay * 2 ** (try - 1))); h = int(sha1("dag#task#<str(logical_date)>#try"), 16);
 * delay = min(min_backoff + h % min_backoff, 86400).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isEligibleToRetry, nextRetryAt, pythonStrDatetime, retryDelaySeconds } from '../src/scheduler/retry.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

const policy = { retries: 3, retry_delay: 300, retry_exponential_backoff: 2, max_retry_delay: null };
const ti = (try_number: number, logical: string | null = '2024-01-01T00:00:00Z') => ({
  dag_id: 'etl',
  task_id: 'load',
  logical_date: logical === null ? null : new Date(logical),
  try_number,
});

describe('retry delay', () => {
  it('formats the logical date like Python str(datetime)', () => {
    expect(pythonStrDatetime(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01 00:00:00+00:00');
    expect(pythonStrDatetime(new Date('2024-01-01T00:00:00.123Z'))).toBe('2024-01-01 00:00:00.123000+00:00');
    expect(pythonStrDatetime(null)).toBe('None');
  });

  it('without backoff is retry_delay after the end, and ignores max_retry_delay as Airflow does', () => {
    const flat = { ...policy, retry_exponential_backoff: 0, max_retry_delay: 10 };
    expect(retryDelaySeconds(flat, ti(1))).toBe(300);
    expect(retryDelaySeconds(flat, ti(5))).toBe(300);
    expect(nextRetryAt(new Date('2024-01-02T00:00:00Z'), flat, ti(1)).toISOString()).toBe('2024-01-02T00:05:00.000Z');
  });

  it('with exponential backoff adds the deterministic sha1 jitter (hand-computed values)', () => {
    expect(retryDelaySeconds(policy, ti(1))).toBe(322); // 300 + 22
    expect(retryDelaySeconds(policy, ti(2))).toBe(1175); // 600 + 575
    expect(retryDelaySeconds(policy, ti(3))).toBe(1753); // 1200 + 553
    expect(retryDelaySeconds(policy, ti(1, null))).toBe(400); // 'None' in the hash: 300 + 100
  });

  it('caps at 24 hours and at max_retry_delay', () => {
    expect(retryDelaySeconds(policy, ti(12))).toBe(86400);
    expect(retryDelaySeconds({ ...policy, max_retry_delay: 600 }, ti(2))).toBe(600);
    expect(retryDelaySeconds({ ...policy, max_retry_delay: 600 }, ti(1))).toBe(322);
  });

  it('is eligible only with retries and a try within max_tries', () => {
    expect(isEligibleToRetry(1, 1, 1)).toBe(true);
    expect(isEligibleToRetry(1, 2, 1)).toBe(false);
    expect(isEligibleToRetry(0, 1, 5)).toBe(false);
  });
});

describeEachBackend('retries in the tick', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('does not re-dispatch before next_retry_at, does after, and fails when retries run out', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('r', [task('t', [], { retries: 1, retry_delay: 300 })]));
    await h.trigger('r', 'manual__1');
    await h.tick();
    const first = h.spawner.spawned[0]!;
    await h.report(first, 'FAILED', { error: 'boom' });
    await h.tick();
    const ti = (await h.tis('r', 'manual__1')).t!;
    expect(ti.state).toBe('up_for_retry');
    expect(ti.try_number).toBe(1);
    expect(ti.next_retry_at).toBe(new Date(h.clock.now().getTime() + 300_000).toISOString());

    h.clock.advance(300_000); // exactly at next_retry_at: Airflow waits until strictly after
    await h.tick();
    expect(h.spawner.spawned).toHaveLength(1);
    h.clock.advance(1000);
    await h.tick();
    expect(h.spawner.spawned.map((p) => p.try_number)).toEqual([1, 2]);

    await h.report(h.spawner.spawned[1]!, 'FAILED');
    await h.tick();
    expect((await h.tis('r', 'manual__1')).t!.state).toBe('failed');
    expect((await h.run('r', 'manual__1'))!.state).toBe('failed');
  });

  it('stores the backoff instant from the formula and never retries a no_retry failure', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('etl', [task('load', [], { retries: 3, retry_delay: 300, retry_exponential_backoff: 2 }), task('other', [], { retries: 3 })]));
    await h.trigger('etl', 'manual__x', { logical_date: '2024-01-01T00:00:00Z' });
    h.clock.set('2024-01-10T12:00:00Z');
    await h.tick();
    const load = h.spawner.spawned.find((p) => p.task_id === 'load')!;
    const other = h.spawner.spawned.find((p) => p.task_id === 'other')!;
    await h.report(load, 'FAILED');
    await h.report(other, 'FAILED', { no_retry: true, error: 'bad callable' });
    await h.tick();
    const tis = await h.tis('etl', 'manual__x');
    expect(tis.load!.next_retry_at).toBe(new Date(Date.parse('2024-01-10T12:00:00Z') + 322_000).toISOString());
    expect(tis.other!.state).toBe('failed');
  });
});
