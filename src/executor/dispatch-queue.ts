/**
 * A run's `scheduled` tries in dispatch order (the DAG's graph order), kept between passes.
 *
 * Why: a wide run has a thousand scheduled tries and a free slot or two per pass. Reading all their ids and
 * sorting them on every pass cost more than the rest of dispatch together; the order cannot be asked of the
 * database, which does not know the graph. So the sorted list is read once and consumed from the front.
 *
 * Staleness is bounded three ways, so a try is never missed for long and never sent twice:
 * - the pass re-reads each candidate's row and sends it only while it is still `scheduled` (at the try it
 *   has now), so a try that moved on meanwhile is dropped, never dispatched twice;
 * - readiness, the only writer of `scheduled`, drops the run's queue when it schedules anything, and every
 *   full pass rebuilds all queues;
 * - each pass compares the queue with the run's count of scheduled rows (one index count) and rebuilds on
 *   any difference: that catches another process's tick (`tick` from the CLI) between two of ours, unless
 *   it both added and removed the same number of tries; the next full pass catches even that.
 */
import type { Queryable } from '../db/backend.js';
import { countTaskInstances, listTaskInstanceIdsInState } from '../db/queries/task-instances.js';
import type { DagGraph } from '../scheduler/dag-graph.js';

export interface QueuedTry {
  id: string;
  task_id: string;
}

export class DispatchQueue {
  /**
   * @param tries the run's scheduled tries of tasks the graph knows, in graph order
   * @param expected how many `scheduled` rows the run has while nothing but this queue's owner moves them
   *   (tries of tasks the graph does not know are counted here but never sent)
   */
  private constructor(
    private readonly tries: QueuedTry[],
    private expected: number,
  ) {}

  /** Reads the run's scheduled tries and sorts them by the graph's order. */
  static async load(q: Queryable, run: { dag_id: string; run_id: string }, graph: Pick<DagGraph, 'order'>): Promise<DispatchQueue> {
    const all = await listTaskInstanceIdsInState(q, run.dag_id, run.run_id, 'scheduled');
    const tries = all
      .filter((ti) => graph.order.has(ti.task_id))
      .sort((a, b) => (graph.order.get(a.task_id) ?? 0) - (graph.order.get(b.task_id) ?? 0));
    return new DispatchQueue(tries, all.length);
  }

  /** True while the run's scheduled count is what this queue expects (see the module comment). */
  async isCurrent(q: Queryable, run: { dag_id: string; run_id: string }): Promise<boolean> {
    // Read from the (dag_id, run_id, state) index.
    return (await countTaskInstances(q, { dagId: run.dag_id, runId: run.run_id, states: ['scheduled'] })) === this.expected;
  }

  get size(): number {
    return this.tries.length;
  }

  /** The first `n` tries from position `from`, without taking them. */
  peek(from: number, n: number): QueuedTry[] {
    return this.tries.slice(from, from + n);
  }

  /** The try left `scheduled` through this process (dispatched): it leaves the queue and the count. */
  remove(id: string): void {
    const at = this.tries.findIndex((t) => t.id === id);
    if (at >= 0) this.tries.splice(at, 1);
    this.expected--;
  }
}
