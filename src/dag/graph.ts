/**
 * Dependencies → the task graph: resolve names, expand task groups, reject cycles, order topologically.
 *
 * A dependency may name a task or a task group. Depending on a group means depending on its leaves (tasks
 * in it with nothing downstream inside it); a group's own `dependencies` attach to its roots. Which tasks
 * are roots and leaves depends on the edges inside the group, which may themselves come from dependencies
 * on groups nested in it, so groups are expanded innermost first: a dependency is expanded once every
 * group strictly inside its scope (the deepest group holding both ends) has known roots and leaves.
 */
import type { ManifestProblem } from './errors.js';
import { didYouMean } from './suggest.js';

export interface DependencyRef {
  ref: string;
  line: number | null;
}

export interface GraphTask {
  /** Name as written (short, without group prefix). */
  name: string;
  /** Full id (`group.sub.name`). */
  id: string;
  groupId: string | null;
  dependencies: DependencyRef[];
  line: number | null;
}

export interface GraphGroup {
  name: string;
  id: string;
  parentId: string | null;
  dependencies: DependencyRef[];
  line: number | null;
}

export interface GraphResult {
  /** Full upstream task ids per task id, sorted. */
  upstream: Map<string, string[]>;
  /** Task ids, upstream before downstream, ties by task id; empty when there are problems. */
  order: string[];
  problems: ManifestProblem[];
}

type Endpoint = { kind: 'task' | 'group'; id: string };

interface PendingDependency {
  downstream: Endpoint;
  upstream: Endpoint;
  line: number | null;
  scope: string | null;
}

export function buildGraph(tasks: readonly GraphTask[], groups: readonly GraphGroup[]): GraphResult {
  return new GraphBuilder(tasks, groups).build();
}

class GraphBuilder {
  private readonly taskById = new Map<string, GraphTask>();
  private readonly groupById = new Map<string, GraphGroup>();
  private readonly idsByShortName = new Map<string, Endpoint[]>();
  private readonly members = new Map<string, string[]>();
  private readonly upstream = new Map<string, Set<string>>();
  private readonly downstream = new Map<string, Set<string>>();
  private readonly roots = new Map<string, string[]>();
  private readonly leaves = new Map<string, string[]>();
  private readonly problems: ManifestProblem[] = [];

  constructor(
    private readonly tasks: readonly GraphTask[],
    private readonly groups: readonly GraphGroup[],
  ) {
    for (const group of groups) {
      this.groupById.set(group.id, group);
      this.members.set(group.id, []);
      this.addShortName(group.name, { kind: 'group', id: group.id });
    }
    for (const task of tasks) {
      this.taskById.set(task.id, task);
      this.upstream.set(task.id, new Set());
      this.downstream.set(task.id, new Set());
      this.addShortName(task.name, { kind: 'task', id: task.id });
      for (const groupId of this.chain(task.groupId)) this.members.get(groupId)?.push(task.id);
    }
  }

  build(): GraphResult {
    const pending = this.resolveAll();
    // Innermost groups first (see the module comment).
    const byDepth = [...this.groups].sort((a, b) => this.chain(b.id).length - this.chain(a.id).length);
    for (const group of byDepth) {
      this.expand(pending.filter((dependency) => dependency.scope === group.id));
      this.computeRootsAndLeaves(group.id);
    }
    this.expand(pending.filter((dependency) => dependency.scope === null));
    const upstream = new Map([...this.upstream].map(([id, ids]) => [id, [...ids].sort(compareIds)]));
    if (this.problems.length > 0) return { upstream, order: [], problems: this.problems };
    const order = this.topologicalOrder();
    return { upstream, order, problems: this.problems };
  }

  private addShortName(name: string, endpoint: Endpoint): void {
    const list = this.idsByShortName.get(name) ?? [];
    list.push(endpoint);
    this.idsByShortName.set(name, list);
  }

  /** The group and its ancestors, innermost first; [] for the DAG's top level. */
  private chain(groupId: string | null): string[] {
    const result: string[] = [];
    const seen = new Set<string>();
    for (let current = groupId; current !== null && !seen.has(current); current = this.groupById.get(current)?.parentId ?? null) {
      seen.add(current);
      result.push(current);
    }
    return result;
  }

  /** Groups containing the endpoint (a group does not contain itself). */
  private containers(endpoint: Endpoint): string[] {
    if (endpoint.kind === 'task') return this.chain(this.taskById.get(endpoint.id)?.groupId ?? null);
    return this.chain(this.groupById.get(endpoint.id)?.parentId ?? null);
  }

  private resolveAll(): PendingDependency[] {
    const pending: PendingDependency[] = [];
    const add = (downstream: Endpoint, ref: DependencyRef, context: string | null) => {
      const upstream = this.resolve(ref, context, downstream);
      if (!upstream) return;
      if (downstream.kind === 'task' && upstream.kind === 'task') {
        this.addEdge(upstream.id, downstream.id);
        return;
      }
      const outer = this.containers(upstream);
      const scope = this.containers(downstream).find((group) => outer.includes(group)) ?? null;
      pending.push({ downstream, upstream, line: ref.line, scope });
    };
    for (const task of this.tasks) {
      for (const ref of task.dependencies) add({ kind: 'task', id: task.id }, ref, task.groupId);
    }
    for (const group of this.groups) {
      for (const ref of group.dependencies) add({ kind: 'group', id: group.id }, ref, group.parentId);
    }
    return pending;
  }

  /**
   * A name as written → task or group: a full id; else a name relative to the referring group or one of
   * its ancestors (innermost first); else dag-factory's habit, a short name that is unique in the DAG.
   */
  private resolve(ref: DependencyRef, context: string | null, from: Endpoint): Endpoint | null {
    const name = ref.ref;
    const found = this.lookup(name, context);
    const label = from.kind === 'task' ? `task '${from.id}'` : `task group '${from.id}'`;
    if (found === 'ambiguous') {
      const candidates = (this.idsByShortName.get(name) ?? []).map((endpoint) => endpoint.id).sort(compareIds);
      this.problem(ref.line, `${label}: dependency '${name}' is ambiguous; use the full id: ${candidates.join(', ')}`);
      return null;
    }
    if (found === null) {
      const known = [...this.taskById.keys(), ...this.groupById.keys(), ...this.idsByShortName.keys()];
      this.problem(ref.line, `${label}: unknown dependency '${name}'${didYouMean(name, known)}`);
      return null;
    }
    if (found.kind === from.kind && found.id === from.id) {
      this.problem(ref.line, `${label} depends on itself`);
      return null;
    }
    if (found.kind === 'group' && this.containers(from).includes(found.id)) {
      this.problem(ref.line, `${label} depends on task group '${found.id}', which contains it`);
      return null;
    }
    if (from.kind === 'group' && this.containers(found).includes(from.id)) {
      this.problem(ref.line, `${label} depends on '${found.id}', which is inside it`);
      return null;
    }
    return found;
  }

  private lookup(name: string, context: string | null): Endpoint | null | 'ambiguous' {
    if (this.taskById.has(name)) return { kind: 'task', id: name };
    if (this.groupById.has(name)) return { kind: 'group', id: name };
    for (const groupId of this.chain(context)) {
      const id = `${groupId}.${name}`;
      if (this.taskById.has(id)) return { kind: 'task', id };
      if (this.groupById.has(id)) return { kind: 'group', id };
    }
    const byShortName = this.idsByShortName.get(name) ?? [];
    if (byShortName.length > 1) return 'ambiguous';
    return byShortName[0] ?? null;
  }

  private expand(dependencies: readonly PendingDependency[]): void {
    for (const dependency of dependencies) {
      const upstream = this.tasksOf(dependency.upstream, this.leaves);
      const downstream = this.tasksOf(dependency.downstream, this.roots);
      if (upstream.length === 0) {
        const from = dependency.downstream.kind === 'task' ? `task '${dependency.downstream.id}'` : `task group '${dependency.downstream.id}'`;
        this.problem(dependency.line, `${from} depends on task group '${dependency.upstream.id}', which has no tasks`);
        continue;
      }
      for (const up of upstream) for (const down of downstream) this.addEdge(up, down);
    }
  }

  private tasksOf(endpoint: Endpoint, groupEnds: Map<string, string[]>): string[] {
    return endpoint.kind === 'task' ? [endpoint.id] : (groupEnds.get(endpoint.id) ?? []);
  }

  private computeRootsAndLeaves(groupId: string): void {
    const members = this.members.get(groupId) ?? [];
    const inside = new Set(members);
    const hasNeighbourInside = (neighbours: Set<string> | undefined) => [...(neighbours ?? [])].some((id) => inside.has(id));
    this.roots.set(groupId, members.filter((id) => !hasNeighbourInside(this.upstream.get(id))));
    this.leaves.set(groupId, members.filter((id) => !hasNeighbourInside(this.downstream.get(id))));
  }

  private addEdge(upstreamId: string, downstreamId: string): void {
    this.upstream.get(downstreamId)?.add(upstreamId);
    this.downstream.get(upstreamId)?.add(downstreamId);
  }

  /** Kahn's algorithm with ready tasks taken in task-id order; a leftover means a cycle, which we name. */
  private topologicalOrder(): string[] {
    const remainingUpstream = new Map([...this.upstream].map(([id, ids]) => [id, ids.size]));
    const ready = new MinHeap([...remainingUpstream].filter(([, count]) => count === 0).map(([id]) => id));
    const order: string[] = [];
    for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
      order.push(id);
      for (const next of this.downstream.get(id) ?? []) {
        const count = (remainingUpstream.get(next) ?? 0) - 1;
        remainingUpstream.set(next, count);
        if (count === 0) ready.push(next);
      }
    }
    if (order.length < this.tasks.length) {
      const done = new Set(order);
      const cycle = this.findCycle([...remainingUpstream.keys()].filter((id) => !done.has(id)));
      this.problem(this.taskById.get(cycle[0] ?? '')?.line ?? null, `cycle: ${cycle.join(' -> ')}`);
      return [];
    }
    return order;
  }

  /**
   * Every task Kahn's algorithm left behind has an upstream task that was also left behind, so walking
   * upstream from any of them must revisit a task: that loop is a cycle. Returned downstream-wards,
   * starting and ending at its smallest id.
   */
  private findCycle(leftOver: string[]): string[] {
    const left = new Set(leftOver);
    const path: string[] = [];
    const position = new Map<string, number>();
    let current = [...left].sort(compareIds)[0];
    while (current !== undefined && !position.has(current)) {
      position.set(current, path.length);
      path.push(current);
      current = [...(this.upstream.get(current) ?? [])].filter((id) => left.has(id)).sort(compareIds)[0];
    }
    if (current === undefined) return leftOver;
    const loop = path.slice(position.get(current)).reverse();
    const start = loop.indexOf([...loop].sort(compareIds)[0] ?? '');
    const rotated = [...loop.slice(start), ...loop.slice(0, start)];
    return [...rotated, rotated[0] ?? ''];
  }

  private problem(line: number | null, message: string): void {
    this.problems.push({ line, message });
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A binary min-heap of strings: Kahn's ready set for DAGs of up to 10,000 tasks. */
class MinHeap {
  private readonly items: string[] = [];

  constructor(initial: string[]) {
    for (const item of initial) this.push(item);
  }

  push(item: string): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (compareIds(items[parent]!, items[index]!) <= 0) break;
      [items[parent], items[index]] = [items[index]!, items[parent]!];
      index = parent;
    }
  }

  pop(): string | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      while (true) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && compareIds(items[left]!, items[smallest]!) < 0) smallest = left;
        if (right < items.length && compareIds(items[right]!, items[smallest]!) < 0) smallest = right;
        if (smallest === index) break;
        [items[smallest], items[index]] = [items[index]!, items[smallest]!];
        index = smallest;
      }
    }
    return top;
  }
}
