import { describe, expect, it } from 'vitest';
import { dagHash, parseManifest, serializeDag } from '../src/dag/index.js';
import type { DagSpec, ManifestDefaults } from '../src/dag/index.js';

const DEFAULTS: ManifestDefaults = { catchup: false, max_active_runs: 16, max_active_tasks: 16, retries: 0, is_paused_upon_creation: false };
const yaml = (...lines: string[]) => lines.join('\n');
const only = (text: string): DagSpec => parseManifest(text, 'g.yml', DEFAULTS)[0]!;
const edges = (dag: DagSpec) => Object.fromEntries(dag.tasks.map((t) => [t.task_id, t.upstream]));
const E = 'operator: EmptyOperator';

describe('topological order', () => {
  it('puts upstream before downstream, ties by task_id, whatever the file order', () => {
    const dag = only(
      yaml('d:', '  tasks:', `    z: {${E}}`, `    c: {${E}, dependencies: [z, a]}`, `    b: {${E}, dependencies: [a]}`, `    a: {${E}}`, `    y: {${E}}`, `    d: {${E}, dependencies: [c, b]}`),
    );
    expect(dag.tasks.map((t) => t.task_id)).toEqual(['a', 'b', 'y', 'z', 'c', 'd']);
    expect(edges(dag)).toMatchObject({ c: ['a', 'z'], d: ['b', 'c'] });
  });

  it('drops repeated dependencies', () => {
    expect(only(yaml('d:', '  tasks:', `    a: {${E}}`, `    b: {${E}, dependencies: [a, a]}`)).tasks[1]!.upstream).toEqual(['a']);
  });
});

describe('task groups', () => {
  it('a task depending on a group depends on its leaves; a group dependency attaches to its roots', () => {
    const dag = only(
      yaml(
        'd:',
        '  task_groups:',
        '    load: {dependencies: [extract]}',
        '  tasks:',
        `    extract: {${E}}`,
        `    stage: {${E}, task_group_name: load}`,
        `    a: {${E}, task_group_name: load, dependencies: [stage]}`,
        `    b: {${E}, task_group_name: load, dependencies: [stage]}`,
        `    report: {${E}, dependencies: [load]}`,
      ),
    );
    expect(edges(dag)).toEqual({
      extract: [],
      'load.stage': ['extract'],
      'load.a': ['load.stage'],
      'load.b': ['load.stage'],
      report: ['load.a', 'load.b'],
    });
  });

  it('names dependencies by full id, short id in the same group, or a unique short name', () => {
    const dag = only(
      yaml(
        'd:',
        '  task_groups:',
        '    g: {}',
        '    h: {}',
        '  tasks:',
        `    - {task_id: t1, ${E}, task_group_name: g}`,
        `    - {task_id: t2, ${E}, task_group_name: g, dependencies: [t1]}`,
        `    - {task_id: t1, ${E}, task_group_name: h, dependencies: [g.t2]}`,
        `    - {task_id: t3, ${E}, task_group_name: h, dependencies: [t1]}`,
        `    - {task_id: top, ${E}, dependencies: [t3]}`,
      ),
    );
    expect(edges(dag)).toEqual({ 'g.t1': [], 'g.t2': ['g.t1'], 'h.t1': ['g.t2'], 'h.t3': ['h.t1'], top: ['h.t3'] });
  });

  it('an ambiguous short name asks for the full id', () => {
    expect(() =>
      parseManifest(
        yaml('d:', '  task_groups: {g: {}, h: {}}', '  tasks:', `    - {task_id: t1, ${E}, task_group_name: g}`, `    - {task_id: t1, ${E}, task_group_name: h}`, `    - {task_id: top, ${E}, dependencies: [t1]}`),
        'g.yml',
        DEFAULTS,
      ),
    ).toThrow("g.yml:6: dag 'd': task 'top': dependency 't1' is ambiguous; use the full id: g.t1, h.t1");
  });

  it('nests groups with parent_group_name, ids joined by dots, group default_args layered', () => {
    const dag = only(
      yaml(
        'd:',
        '  default_args: {retries: 1, owner: dag}',
        '  task_groups:',
        '    - {group_name: inner, parent_group_name: outer, default_args: {retries: 3}}',
        '    - {group_name: outer, default_args: {retries: 2, owner: team}}',
        '  tasks:',
        `    - {task_id: a, ${E}, task_group_name: inner}`,
        `    - {task_id: b, ${E}, task_group_name: outer}`,
        `    - {task_id: c, ${E}, task_group_name: inner, retries: 4}`,
      ),
    );
    expect(dag.task_groups).toEqual([
      { group_id: 'outer', parent_group_id: null, tooltip: null },
      { group_id: 'outer.inner', parent_group_id: 'outer', tooltip: null },
    ]);
    expect(dag.tasks.map((t) => [t.task_id, t.task_group_id, t.retries, t.owner])).toEqual([
      ['outer.b', 'outer', 2, 'team'],
      ['outer.inner.a', 'outer.inner', 3, 'team'],
      ['outer.inner.c', 'outer.inner', 4, 'team'],
    ]);
  });

  it('a dependency on a nested group inside its parent expands before the parent’s roots are taken', () => {
    const dag = only(
      yaml(
        'd:',
        '  task_groups:',
        '    outer: {dependencies: [start]}',
        '    inner: {parent_group_name: outer}',
        '  tasks:',
        `    start: {${E}}`,
        `    i1: {${E}, task_group_name: inner}`,
        `    after: {${E}, task_group_name: outer, dependencies: [inner]}`,
        `    end: {${E}, dependencies: [outer]}`,
      ),
    );
    // outer's only root is inner.i1 (after depends on it), and its only leaf is after.
    expect(edges(dag)).toEqual({ start: [], 'outer.inner.i1': ['start'], 'outer.after': ['outer.inner.i1'], end: ['outer.after'] });
  });

  it('a group depending on another group: its roots depend on the other leaves', () => {
    const dag = only(
      yaml('d:', '  task_groups:', '    g1: {}', '    g2: {dependencies: [g1]}', '  tasks:', `    a: {${E}, task_group_name: g1}`, `    b: {${E}, task_group_name: g1}`, `    c: {${E}, task_group_name: g2}`),
    );
    expect(edges(dag)).toEqual({ 'g1.a': [], 'g1.b': [], 'g2.c': ['g1.a', 'g1.b'] });
  });

  it('depending on a group without tasks is an error', () => {
    expect(() => parseManifest(yaml('d:', '  task_groups: {empty: {}}', '  tasks:', `    a: {${E}, dependencies: [empty]}`), 'g.yml', DEFAULTS)).toThrow(
      "g.yml:4: dag 'd': task 'a' depends on task group 'empty', which has no tasks",
    );
  });

  it('a parent_group_name loop is an error', () => {
    expect(() => parseManifest(yaml('d:', '  task_groups:', '    a: {parent_group_name: b}', '    b: {parent_group_name: a}'), 'g.yml', DEFAULTS)).toThrow(/parent_group_name forms a loop: a -> b -> a/);
  });
});

describe('serializeDag / dagHash', () => {
  const text = yaml('d:', '  schedule: "@daily"', '  tags: [b, a]', '  params: {x: 1, y: {p: 1, q: 2}}', '  tasks:', `    a: {${E}}`, `    b: {${E}, dependencies: [a], params: {k: 1}}`);

  it('is JSON of the DagSpec with sorted keys, parseable back to an equal object', () => {
    const dag = only(text);
    const json = serializeDag(dag);
    expect(JSON.parse(json)).toEqual(dag);
    expect(json.startsWith('{"catchup":false,"dag_id":"d","dagrun_timeout":null,')).toBe(true);
    expect(dagHash(dag)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('does not depend on key order, in the file or in the object', () => {
    const dag = only(text);
    const reordered = only(yaml('d:', '  tasks:', `    b: {dependencies: [a], params: {k: 1}, ${E}}`, `    a: {${E}}`, '  params: {y: {q: 2, p: 1}, x: 1}', '  tags: [b, a]', '  schedule: "@daily"'));
    expect(serializeDag(reordered)).toBe(serializeDag(dag));
    const shuffled = Object.fromEntries(Object.entries(dag).reverse()) as unknown as DagSpec;
    expect(dagHash(shuffled)).toBe(dagHash(dag));
  });

  it('changes when the DAG changes', () => {
    const dag = only(text);
    expect(dagHash({ ...dag, catchup: true })).not.toBe(dagHash(dag));
    expect(dagHash(only(text.replace('@daily', '@hourly')))).not.toBe(dagHash(dag));
  });
});
