/** The pure parts of the clear/mark service: Airflow's task selection (partial_subset) (progress on a terminal is covered by progress.test.ts). */
import { describe, expect, it } from 'vitest';
import { graphOf } from '../src/scheduler/dag-graph.js';
import { selectTasks } from '../src/service/operations.js';
import { dag, task } from './helpers/dag-builder.js';

describe('selectTasks', () => {
  // extract_a -> load_a -> report ; extract_b -> load_b -> report
  const graph = graphOf(
    dag('d', [task('extract_a'), task('extract_b'), task('load_a', ['extract_a']), task('load_b', ['extract_b']), task('report', ['load_a', 'load_b'])]),
  );
  const sorted = (s: Set<string>) => [...s].sort();

  it('matches the regex anywhere in the id, as re.search does', () => {
    expect(sorted(selectTasks(graph, { taskRegex: 'load' }))).toEqual(['load_a', 'load_b']);
    expect(sorted(selectTasks(graph, { taskRegex: '_a$' }))).toEqual(['extract_a', 'load_a']);
    expect(sorted(selectTasks(graph, {}))).toEqual(['extract_a', 'extract_b', 'load_a', 'load_b', 'report']);
  });

  it('adds the downstream and upstream tasks of the selection, transitively', () => {
    expect(sorted(selectTasks(graph, { taskRegex: '^extract_a$', includeDownstream: true }))).toEqual(['extract_a', 'load_a', 'report']);
    expect(sorted(selectTasks(graph, { taskIds: ['load_b'], includeUpstream: true }))).toEqual(['extract_b', 'load_b']);
    expect(sorted(selectTasks(graph, { taskIds: ['load_b'], includeUpstream: true, includeDownstream: true }))).toEqual(['extract_b', 'load_b', 'report']);
  });

  it('refuses a bad regex and an unknown task id in one line', () => {
    expect(() => selectTasks(graph, { taskRegex: '(' })).toThrow(/not a valid regular expression/);
    expect(() => selectTasks(graph, { taskIds: ['nope'] })).toThrow(/has no task "nope"/);
  });
});
