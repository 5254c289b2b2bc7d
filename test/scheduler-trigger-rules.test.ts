/**
 * The trigger-rule matrix. The expected outcome comes from an oracle written line by line from the reference
 * table (airflow-semantics.md §2.2, "runs when" / "auto-state when impossible" columns), phrased over the list
 * of upstream states rather than counts, plus hand-written cases for the precedence corner cases.
 */
import { describe, expect, it } from 'vitest';
import type { TaskInstanceState, TriggerRule } from '../src/model.js';
import { TRIGGER_RULES } from '../src/model.js';
import { countUpstreamStates, evaluateTriggerRule } from '../src/scheduler/trigger-rules.js';
import type { TriggerDecision } from '../src/scheduler/trigger-rules.js';

type Upstream = 'success' | 'failed' | 'skipped' | 'upstream_failed' | 'running';
const STATES: Upstream[] = ['success', 'failed', 'skipped', 'upstream_failed', 'running'];

function oracle(rule: TriggerRule, ups: Upstream[]): TriggerDecision {
  const some = (...s: Upstream[]) => ups.some((u) => s.includes(u));
  const every = (...s: Upstream[]) => ups.every((u) => s.includes(u));
  const allDone = !some('running');
  switch (rule) {
    case 'always':
      return 'run';
    case 'all_success':
      if (some('failed', 'upstream_failed')) return 'upstream_failed';
      if (some('skipped')) return 'skip';
      return every('success') ? 'run' : 'wait';
    case 'all_failed':
      if (some('success', 'skipped')) return 'skip';
      return every('failed', 'upstream_failed') ? 'run' : 'wait';
    case 'all_done':
    case 'all_done_setup_success': // without setup tasks upstream (never counted here) Airflow reduces it to all_done
      return allDone ? 'run' : 'wait';
    case 'all_done_min_one_success':
      if (some('skipped')) return 'skip';
      if (allDone) return some('success') ? 'run' : 'upstream_failed';
      return 'wait';
    case 'all_skipped':
      if (some('success', 'failed', 'upstream_failed')) return 'skip';
      return every('skipped') ? 'run' : 'wait';
    case 'one_success':
      if (some('success')) return 'run';
      if (allDone && every('skipped')) return 'skip';
      if (allDone) return 'upstream_failed';
      return 'wait';
    case 'one_failed':
      if (some('failed', 'upstream_failed')) return 'run';
      return allDone ? 'skip' : 'wait';
    case 'one_done':
      if (some('success', 'failed')) return 'run';
      return allDone ? 'skip' : 'wait';
    case 'none_failed':
      if (some('failed', 'upstream_failed')) return 'upstream_failed';
      return every('success', 'skipped') ? 'run' : 'wait';
    case 'none_failed_min_one_success':
      if (some('failed', 'upstream_failed')) return 'upstream_failed';
      if (every('skipped')) return 'skip';
      return every('success', 'skipped') ? 'run' : 'wait';
    case 'none_skipped':
      if (some('skipped')) return 'skip';
      return allDone ? 'run' : 'wait';
  }
}

/** Every multiset of `n` upstream states. */
function mixes(n: number, from = 0): Upstream[][] {
  if (n === 0) return [[]];
  const out: Upstream[][] = [];
  for (let i = from; i < STATES.length; i++) {
    for (const rest of mixes(n - 1, i)) out.push([STATES[i]!, ...rest]);
  }
  return out;
}

function decide(rule: TriggerRule, ups: Upstream[]): TriggerDecision {
  const states: TaskInstanceState[] = ups.map((u) => (u === 'running' ? 'running' : u));
  return evaluateTriggerRule(rule, countUpstreamStates(states));
}

describe('trigger rules', () => {
  const all = [...mixes(1), ...mixes(2), ...mixes(3)];

  it('covers 1-3 upstreams over every state mix (55 mixes per rule)', () => {
    expect(all).toHaveLength(5 + 15 + 35);
  });

  for (const rule of TRIGGER_RULES) {
    it(`${rule} matches the reference table for every mix`, () => {
      const mismatches = all
        .map((ups) => ({ ups: ups.join(','), expected: oracle(rule, ups), actual: decide(rule, ups) }))
        .filter((r) => r.expected !== r.actual);
      expect(mismatches).toEqual([]);
    });
  }

  it('runs a task without upstream tasks whatever its rule', () => {
    for (const rule of TRIGGER_RULES) expect(evaluateTriggerRule(rule, countUpstreamStates([]))).toBe('run');
  });

  it.each<[TriggerRule, TaskInstanceState[], TriggerDecision]>([
    // all_success does not wait for the others once one upstream failed.
    ['all_success', ['failed', 'running'], 'upstream_failed'],
    ['all_success', ['skipped', 'running'], 'skip'],
    ['all_success', ['skipped', 'upstream_failed'], 'upstream_failed'],
    ['all_success', ['success', null], 'wait'],
    ['one_success', ['success', null], 'run'],
    ['one_success', ['skipped', 'skipped'], 'skip'],
    ['one_success', ['skipped', 'failed'], 'upstream_failed'],
    ['one_failed', ['upstream_failed', 'running'], 'run'],
    ['one_failed', ['success', 'skipped'], 'skip'],
    ['one_done', ['upstream_failed', 'skipped'], 'skip'],
    ['one_done', ['failed', null], 'run'],
    ['none_failed', ['success', 'skipped'], 'run'],
    ['none_failed', ['skipped', 'skipped'], 'run'],
    ['none_failed_min_one_success', ['skipped', 'skipped'], 'skip'],
    ['none_failed_min_one_success', ['skipped', 'success'], 'run'],
    ['none_skipped', ['success', 'failed'], 'run'],
    ['none_skipped', ['success', 'scheduled'], 'wait'],
    ['all_done_min_one_success', ['failed', 'upstream_failed'], 'upstream_failed'],
    ['all_done_min_one_success', ['failed', 'success'], 'run'],
    ['all_done_min_one_success', ['skipped', 'success'], 'skip'],
    ['all_skipped', ['skipped', 'queued'], 'wait'],
    ['all_failed', ['failed', 'up_for_retry'], 'wait'],
    // removed upstream tasks count as done
    ['all_done', ['removed', 'success'], 'run'],
    ['always', ['failed', 'running'], 'run'],
  ])('%s with %j -> %s', (rule, states, expected) => {
    expect(evaluateTriggerRule(rule, countUpstreamStates(states))).toBe(expected);
  });
});
