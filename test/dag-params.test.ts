/** A trigger's conf merged over the params' defaults, validated against their JSON Schemas as Airflow does. */
import { afterEach, describe, expect, it } from 'vitest';
import { mergedParams, paramsProblem } from '../src/dag/params.js';
import { describeEachBackend } from './helpers/backends.js';
import { dag, task } from './helpers/dag-builder.js';
import { TickHarness } from './helpers/tick-harness.js';

const spec = {
  params: { n: 5, mode: 'fast', when: '2025-01-01', free: 'anything' },
  params_schema: {
    n: { type: 'integer', minimum: 1, description: 'how many' },
    mode: { type: 'string', enum: ['fast', 'slow'] },
    when: { type: 'string', format: 'date' },
  },
};

describe('params validation', () => {
  it('accepts the defaults and a valid conf, merged over them', () => {
    expect(paramsProblem(spec, {})).toBeNull();
    expect(paramsProblem(spec, { n: 9, mode: 'slow', extra: 1 })).toBeNull();
    expect(mergedParams(spec, { n: 9 })).toEqual({ n: 9, mode: 'fast', when: '2025-01-01', free: 'anything' });
  });

  it('names the first param that fails, with why and the value', () => {
    expect(paramsProblem(spec, { n: 'x' })).toBe('Invalid input for param n: must be integer (got "x")');
    expect(paramsProblem(spec, { n: 0 })).toBe('Invalid input for param n: must be >= 1 (got 0)');
    expect(paramsProblem(spec, { mode: 'medium' })).toBe('Invalid input for param mode: must be one of ["fast","slow"] (got "medium")');
    expect(paramsProblem(spec, { when: 'tomorrow' })).toBe('Invalid input for param when: must match format "date" (got "tomorrow")');
  });

  it('a param without default and not given is null, which its type may refuse', () => {
    expect(paramsProblem({ params: { id: null }, params_schema: { id: { type: 'string' } } }, {})).toBe('Invalid input for param id: must be string (got null)');
    expect(paramsProblem({ params: { id: null }, params_schema: { id: { type: ['null', 'string'] } } }, {})).toBeNull();
  });

  it('a DAG without schemas accepts any conf', () => {
    expect(paramsProblem({ params: { a: 1 } }, { a: 'x' })).toBeNull();
  });
});

describeEachBackend('params validation in the tick', (factory) => {
  let h: TickHarness;
  afterEach(() => h?.dispose());

  it('rejects a trigger command whose conf breaks a param schema (the DAG may have changed since it was queued)', async () => {
    h = new TickHarness(await factory.create());
    await h.addDag(dag('typed', [task('a')], { params: { n: 1 }, params_schema: { n: { type: 'integer' } } }));
    await h.trigger('typed', 'manual__bad', { conf: { n: 'x' } });
    await h.trigger('typed', 'manual__good', { conf: { n: 2 } });
    await h.tick();
    expect((await h.runs('typed')).map((r) => r.run_id)).toEqual(['manual__good']);
  });
});
