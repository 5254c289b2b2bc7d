/**
 * Builds a real SQLite database (migrated, in a temp dir) plus a volume folder and a MemoryStateDict, and
 * fills them with rows shaped like the tick writes them, for the UI's in-process tests.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagSpec } from '../../src/dag/model.js';
import type { DatabaseBackend } from '../../src/db/backend.js';
import { SqliteBackend } from '../../src/db/sqlite.js';
import { defaultConfig } from '../../src/config/index.js';
import { runTick } from '../../src/scheduler/tick.js';
import { logPath, xcomPath } from '../../src/volume-layout.js';
import { createUiApp } from '../../src/ui/server/app.js';
import { folderVolumeReader } from '../../src/ui/server/volume-reader.js';
import { ManualClock, MemoryStateDict, RecordingSpawner } from '../fakes/ports.js';
import { dag, daily, task } from './dag-builder.js';

export const FIXTURE_NOW = '2024-03-01T12:00:00.000Z';

export interface DagInput {
  dag_id: string;
  is_paused?: boolean;
  is_stale?: boolean;
  tags?: string[];
  owners?: string;
  timetable_summary?: string | null;
  description?: string | null;
  next_dagrun?: string | null;
  /** Task ids with their upstream ids, in topological order. */
  tasks?: Array<[string, string[]]>;
  has_import_errors?: boolean;
  /** Fields laid over the stored DagSpec (params_schema, doc_md, fileloc, ...). */
  spec?: Partial<DagSpec>;
}

export interface RunInput {
  dag_id: string;
  run_id: string;
  state?: string;
  run_type?: string;
  logical_date?: string | null;
  run_after?: string;
  start_date?: string | null;
  end_date?: string | null;
  conf?: Record<string, unknown>;
  triggered_by?: string;
}

export interface TaskInstanceInput {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index?: number;
  state?: string | null;
  try_number?: number;
  max_tries?: number;
  start_date?: string | null;
  end_date?: string | null;
  operator?: string;
}

export class UiFixture {
  readonly token = 'test-token-0123456789';
  readonly clock = new ManualClock(FIXTURE_NOW);
  readonly dict = new MemoryStateDict();
  readonly volume: string;
  readonly db: DatabaseBackend;
  private readonly ownsDb: boolean;
  private nextRunId = 1;

  private constructor(
    readonly dir: string,
    db: DatabaseBackend | undefined,
  ) {
    this.volume = path.join(dir, 'vol');
    fs.mkdirSync(this.volume, { recursive: true });
    this.ownsDb = db === undefined;
    this.db = db ?? new SqliteBackend({ file: path.join(this.volume, 'data', 'airflow.db') });
  }

  /** A fixture over a fresh SQLite file, or over `db` (already migrated; its owner closes it). */
  static async create(options: { db?: DatabaseBackend } = {}): Promise<UiFixture> {
    const fixture = new UiFixture(fs.mkdtempSync(path.join(os.tmpdir(), 'afs-ui-')), options.db);
    if (fixture.ownsDb) await fixture.db.migrate();
    return fixture;
  }

  app(options: { requestTick?: () => Promise<void>; assetsDir?: string; commandResultTimeoutMs?: number } = {}) {
    return createUiApp({
      db: this.db,
      dict: this.dict,
      files: folderVolumeReader(this.volume),
      token: this.token,
      clock: this.clock,
      version: '0.1.0-test',
      ...options,
    });
  }

  /** One real tick over this database, dict and volume (its `dags/` folder), as the scheduler runs it. */
  tick() {
    return runTick({
      db: this.db,
      dict: this.dict,
      spawner: new RecordingSpawner(),
      clock: this.clock,
      config: defaultConfig(),
      volume: { root: this.volume, reload: async () => {}, commit: async () => {} },
      owner: 'ui-fixture',
    });
  }

  async dag(input: DagInput): Promise<void> {
    const now = FIXTURE_NOW;
    await this.db.run(
      `INSERT INTO dag (dag_id, is_paused, is_stale, last_parsed_time, last_parse_duration, fileloc, relative_fileloc, owners,
         description, timetable_summary, timetable_description, next_dagrun, next_dagrun_data_interval_start,
         next_dagrun_data_interval_end, next_dagrun_create_after, has_import_errors)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        input.dag_id,
        input.is_paused ?? false,
        input.is_stale ?? false,
        now,
        0.01,
        `dags/${input.dag_id}.yaml`,
        `${input.dag_id}.yaml`,
        input.owners ?? 'airflow',
        input.description ?? null,
        input.timetable_summary === undefined ? '0 0 * * *' : input.timetable_summary,
        'At 00:00',
        input.next_dagrun ?? null,
        input.next_dagrun ?? null,
        input.next_dagrun ?? null,
        input.next_dagrun ?? null,
        input.has_import_errors ?? false,
      ],
    );
    for (const tag of input.tags ?? []) {
      await this.db.run('INSERT INTO dag_tag (name, dag_id) VALUES (?, ?)', [tag, input.dag_id]);
    }
    const tasks = input.tasks ?? [['extract', []], ['load', ['extract']]];
    const spec: DagSpec = {
      ...dag(input.dag_id, [], { description: input.description ?? null, schedule: daily, params: { greeting: 'hello' }, tags: input.tags ?? [] }),
      // In the caller's order (dag() would re-sort them the parser's way).
      tasks: tasks.map(([id, up]) => task(id, up)),
      ...input.spec,
    };
    await this.db.run(
      'INSERT INTO serialized_dag (dag_id, fileloc, data, dag_hash, created_at, last_updated) VALUES (?, ?, ?, ?, ?, ?)',
      [input.dag_id, spec.fileloc, JSON.stringify(spec), 'hash', now, now],
    );
  }

  async run(input: RunInput): Promise<void> {
    const logical = input.logical_date === undefined ? input.run_after ?? FIXTURE_NOW : input.logical_date;
    await this.db.run(
      `INSERT INTO dag_run (id, dag_id, run_id, queued_at, logical_date, start_date, end_date, state, run_type, triggered_by, conf,
         data_interval_start, data_interval_end, run_after, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        this.nextRunId++,
        input.dag_id,
        input.run_id,
        input.run_after ?? logical ?? FIXTURE_NOW,
        logical,
        input.start_date ?? null,
        input.end_date ?? null,
        input.state ?? 'success',
        input.run_type ?? 'scheduled',
        input.triggered_by ?? 'timetable',
        JSON.stringify(input.conf ?? {}),
        logical,
        logical,
        input.run_after ?? logical ?? FIXTURE_NOW,
        FIXTURE_NOW,
      ],
    );
    // An explicit id does not advance Postgres's sequence; without this, the next run a tick inserts
    // (a backfill's, a trigger's) would collide with these ids.
    if (this.db.dialect === 'postgres') {
      await this.db.run("SELECT setval(pg_get_serial_sequence('dag_run', 'id'), (SELECT MAX(id) FROM dag_run))", []);
    }
  }

  async ti(input: TaskInstanceInput): Promise<string> {
    const id = randomUUID();
    const start = input.start_date ?? null;
    const end = input.end_date ?? null;
    await this.db.run(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, map_index, start_date, end_date, duration, state, try_number, max_tries,
         hostname, operator, dispatch_token, updated_at, queued_dttm)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        input.dag_id,
        input.task_id,
        input.run_id,
        input.map_index ?? -1,
        start,
        end,
        start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : null,
        input.state === undefined ? 'success' : input.state,
        input.try_number ?? 1,
        input.max_tries ?? 0,
        'localhost',
        input.operator ?? 'BashOperator',
        'secret-dispatch-token',
        FIXTURE_NOW,
        start,
      ],
    );
    return id;
  }

  async importError(filename: string, stacktrace: string): Promise<void> {
    await this.db.run('INSERT INTO import_error (timestamp, filename, stacktrace) VALUES (?, ?, ?)', [FIXTURE_NOW, filename, stacktrace]);
  }

  async heartbeat(at: string): Promise<void> {
    await this.db.run(
      `INSERT INTO job (job_type, state, start_date, latest_heartbeat, hostname) VALUES ('SchedulerJob', 'running', ?, ?, 'localhost')
       ON CONFLICT (job_type) DO UPDATE SET latest_heartbeat = excluded.latest_heartbeat`,
      [at, at],
    );
  }

  writeLog(id: { dag_id: string; run_id: string; task_id: string; map_index?: number; try_number: number }, text: string): void {
    const file = path.join(this.volume, logPath({ map_index: -1, ...id }));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }

  writeXCom(id: { dag_id: string; run_id: string; task_id: string; map_index?: number }, key: string, value: unknown): void {
    const full = { map_index: -1, ...id };
    const file = path.join(this.volume, xcomPath(full, key));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ ...full, key, value, timestamp: FIXTURE_NOW }));
  }

  async close(): Promise<void> {
    if (this.ownsDb) await this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
