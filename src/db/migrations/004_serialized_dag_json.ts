/**
 * `serialized_dag.data` becomes `json` in Postgres (it was `jsonb`; SQLite keeps TEXT). Airflow's own column
 * is `json`, and nothing here queries inside it: the scheduler writes a DAG's whole serialisation and reads
 * it back whole. `jsonb` made the server parse every DAG into its binary form on write: for the first tick
 * over 1,000 DAGs (5.8 MB of serialisations) that was ~250 ms of the ~420 ms the inserts took, measured on
 * the project's 2-core VM. `json` keeps the text as written, so reads also return exactly what SQLite
 * returns.
 */
import type { Migration } from './index.js';

export const serializedDagJson: Migration = {
  id: 4,
  name: 'serialized_dag_json',
  sqlite: '',
  postgres: 'ALTER TABLE serialized_dag ALTER COLUMN data TYPE json USING data::json;',
};
