/** Read queries for `import_error` and the health endpoint (`job` heartbeats). */
import type { Queryable } from '../../../db/backend.js';
import { toImportErrorRow, type ImportErrorRow } from '../../../db/queries/import-errors.js';
import { getJob } from '../../../db/queries/jobs.js';
import type { OrderTerm, Page } from '../params.js';
import { listPage, orderSql, Where } from './sql.js';

const SCHEDULER_JOB_TYPE = 'SchedulerJob';

export const IMPORT_ERROR_ORDER_ATTRIBUTES = ['id', 'import_error_id', 'timestamp', 'filename', 'bundle_name', 'stacktrace'] as const;
const ORDER_EXPRESSIONS: Record<string, string> = {
  id: 'id',
  import_error_id: 'id',
  timestamp: 'timestamp',
  filename: 'filename',
  bundle_name: 'bundle_name',
  stacktrace: 'stacktrace',
};

export async function listImportErrors(
  db: Queryable,
  filenamePattern: string | null,
  order: readonly OrderTerm[],
  page: Page,
): Promise<{ rows: ImportErrorRow[]; total: number }> {
  const where = new Where().pattern('filename', filenamePattern);
  const orderBy = orderSql(order, ORDER_EXPRESSIONS, ['id ASC']);
  return listPage(db, { columns: '*', from: 'import_error', where, orderBy, page }, toImportErrorRow);
}

/** The tick's heartbeat row (`job.job_type = 'SchedulerJob'`, written by src/scheduler/tick.ts). */
export async function latestSchedulerHeartbeat(db: Queryable): Promise<unknown> {
  return (await getJob(db, SCHEDULER_JOB_TYPE))?.latest_heartbeat ?? null;
}

export async function pingDatabase(db: Queryable): Promise<void> {
  await db.get('SELECT 1 AS ok');
}
