/**
 * The scheduler asks three things of one run's task instances on nearly every pass: how many are in each
 * state (readiness, run finishing), how many are `scheduled` and which (dispatch). With the run index
 * alone each answer looks up every row of the run; with `state` in the index they are read from the index,
 * about three times cheaper for a run of a thousand tasks. The new index also serves every lookup by
 * (dag_id, run_id), so it replaces `idx_task_instance_run` rather than adding a third index to update.
 */
import type { Migration } from './index.js';

const sql = `
CREATE INDEX idx_task_instance_run_state ON task_instance (dag_id, run_id, state);
DROP INDEX idx_task_instance_run;
`;

export const taskInstanceRunState: Migration = { id: 3, name: 'task_instance_run_state', sqlite: sql, postgres: sql };
