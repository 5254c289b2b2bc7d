/** The `job` table: one row per job type (the scheduler's heartbeat, for `/monitor/health`). */
import type { Queryable } from '../backend.js';

export interface JobRow {
  job_type: string;
  state: string | null;
  start_date: string | null;
  latest_heartbeat: string | null;
  hostname: string | null;
  last_duration: number | null;
}

export async function upsertJob(q: Queryable, job: JobRow): Promise<void> {
  await q.run(
    `INSERT INTO job (job_type, state, start_date, latest_heartbeat, hostname, last_duration) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (job_type) DO UPDATE SET state = excluded.state, start_date = excluded.start_date,
       latest_heartbeat = excluded.latest_heartbeat, hostname = excluded.hostname, last_duration = excluded.last_duration`,
    [job.job_type, job.state, job.start_date, job.latest_heartbeat, job.hostname, job.last_duration],
  );
}

export async function getJob(q: Queryable, jobType: string): Promise<JobRow | undefined> {
  const raw = await q.get('SELECT * FROM job WHERE job_type = ?', [jobType]);
  if (!raw) return undefined;
  return { ...(raw as unknown as JobRow), last_duration: raw.last_duration === null ? null : Number(raw.last_duration) };
}
