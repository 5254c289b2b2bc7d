/**
 * `…/taskInstances/{task_id}/xcomEntries…`: XComs live on the volume as one JSON file per key
 * (`{dag_id, run_id, task_id, map_index, key, value, timestamp}`), so listing walks the task instances the
 * database knows and reads their XCom folders.
 */
import type { Hono } from 'hono';
import { xcomDir, xcomPath } from '../../../volume-layout.js';
import type { UiEnv } from '../auth.js';
import type { UiContext } from '../context.js';
import { notFound } from '../errors.js';
import { QueryParams } from '../params.js';
import { displayNames } from '../queries/dags.js';
import { listTaskInstances, taskInstanceFilter, type TaskInstanceRow } from '../queries/task-instances.js';
import { iso, isoOrNull } from '../serialize.js';
import type { VolumeReader } from '../volume-reader.js';

/** Enough for any real run; bounds the volume reads one `~/~/~` listing can cause. */
const MAX_TASK_INSTANCES_SCANNED = 1000;

interface XComFile {
  key?: unknown;
  value?: unknown;
  timestamp?: unknown;
}

async function readXCom(files: VolumeReader, path: string): Promise<XComFile | undefined> {
  const bytes = await files.readFile(path);
  if (bytes === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as XComFile) : undefined;
  } catch {
    return undefined;
  }
}

function entry(ti: TaskInstanceRow, key: string, file: XComFile, dagDisplayName: string) {
  return {
    key,
    timestamp: iso(file.timestamp ?? ti.end_date),
    logical_date: isoOrNull(ti.logical_date),
    map_index: Number(ti.map_index),
    task_id: ti.task_id,
    dag_id: ti.dag_id,
    run_id: ti.run_id,
    run_after: iso(ti.run_after),
    dag_display_name: dagDisplayName,
    task_display_name: ti.task_id,
  };
}

function wildcard(value: string): string | null {
  return value === '~' ? null : value;
}

export function registerXComRoutes(api: Hono<UiEnv>, ctx: UiContext): void {
  const base = '/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries';

  api.get(base, async (c) => {
    const query = QueryParams.of(c.req.url);
    const xcomKey = query.string('xcom_key');
    const mapIndex = query.int('map_index', { min: -1 });
    const page = query.page();
    query.finish();
    const { rows } = await listTaskInstances(
      ctx.db,
      taskInstanceFilter({
        dagId: wildcard(c.req.param('dag_id')),
        runId: wildcard(c.req.param('dag_run_id')),
        taskId: wildcard(c.req.param('task_id')),
        mapIndexes: mapIndex === null ? [] : [mapIndex],
      }),
      [],
      { limit: MAX_TASK_INSTANCES_SCANNED, offset: 0 },
    );
    const names = await displayNames(
      ctx.db,
      rows.map((r) => r.dag_id),
    );
    const entries = [];
    for (const ti of rows) {
      const dir = xcomDir({ dag_id: ti.dag_id, run_id: ti.run_id, task_id: ti.task_id, map_index: Number(ti.map_index) });
      for (const name of await ctx.files.listFiles(dir)) {
        if (!name.endsWith('.json')) continue;
        const file = await readXCom(ctx.files, `${dir}/${name}`);
        if (!file) continue;
        const key = typeof file.key === 'string' ? file.key : name.slice(0, -'.json'.length);
        if (xcomKey !== null && key !== xcomKey) continue;
        entries.push(entry(ti, key, file, names.get(ti.dag_id) ?? ti.dag_id));
      }
    }
    return c.json({ xcom_entries: entries.slice(page.offset, page.offset + page.limit), total_entries: entries.length });
  });

  api.get(`${base}/:xcom_key`, async (c) => {
    const { dag_id: dagId, dag_run_id: runId, task_id: taskId, xcom_key: key } = c.req.param();
    const query = QueryParams.of(c.req.url);
    const mapIndex = query.int('map_index', { default: -1, min: -1 });
    query.bool('deserialize', false);
    const stringify = query.bool('stringify', false);
    query.finish();
    const notFoundError = notFound(`XCom entry with key: \`${key}\` not found`);
    const { rows } = await listTaskInstances(
      ctx.db,
      taskInstanceFilter({ dagId, runId, taskId, mapIndexes: [mapIndex] }),
      [],
      { limit: 1, offset: 0 },
    );
    const ti = rows[0];
    if (!ti) throw notFoundError;
    const file = await readXCom(ctx.files, xcomPath({ dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex }, key));
    if (!file) throw notFoundError;
    const names = await displayNames(ctx.db, [dagId]);
    const value = file.value === undefined ? null : file.value;
    return c.json({ ...entry(ti, key, file, names.get(dagId) ?? dagId), value: stringify ? JSON.stringify(value) : value });
  });
}
