/**
 * Numbered migrations (STYLE 13). Each carries the same schema in both dialects; `migration` records
 * which ids are applied. Never edit an applied migration: add the next number.
 */
import { initial } from './001_initial.js';
import { backfill } from './002_backfill.js';
import { taskInstanceRunState } from './003_task_instance_run_state.js';
import { serializedDagJson } from './004_serialized_dag_json.js';

export interface Migration {
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [initial, backfill, taskInstanceRunState, serializedDagJson];
