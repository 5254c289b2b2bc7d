/** The table `tasks clear` and `tasks set-state` print: which task instances a change touches. */
import type { TaskInstanceJson } from '../service/shapes.js';
import { printTable } from './output.js';

export function printTaskInstances(tis: readonly TaskInstanceJson[]): void {
  printTable(
    ['DAG', 'Run id', 'Task', 'Map index', 'State', 'Try'],
    tis.map((ti) => [ti.dag_id, ti.dag_run_id, ti.task_id, ti.map_index < 0 ? '' : ti.map_index, ti.state ?? 'none', ti.try_number]),
  );
}
