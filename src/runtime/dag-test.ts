/**
 * `dags test` and `tasks test`: one DAG run (or one task, once) in the foreground, each task's log passed
 * on as it is written, until the run finishes.
 *
 * - From a file (`testDagFile`): a throwaway local environment (SQLite, state dict, volume) in a temporary
 *   folder, deleted afterwards. The DAG is written straight into its database, unpaused and without a next
 *   scheduled run, so the one triggered run is the only run; its callables (a Python file's local modules)
 *   go to the volume as an upload puts them, and tasks run in the real worker processes. Nothing of the
 *   user's environments is touched.
 * - A Python DAG file itself must be on the volume too (its tasks run by importing it), but where the tick
 *   would parse it, that parse would re-register the DAG (scheduling runs of its own, and undoing `tasks
 *   test`'s one-task DAG): it goes under the hidden `dags/.dags-test/`, which the tick never reads, and the
 *   registered DAG's fileloc points there. Its modules stay at their paths under `dags/`, on `sys.path`.
 * - From an environment (`testUploadedDag`): a manual run of the uploaded DAG, recorded as any run is;
 *   local environments are ticked from here, others are asked for ticks.
 *
 * The file is parsed by `parseDagFile` (service/dag-files.ts), the one parse of a local DAG file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DagSpec } from '../dag/model.js';
import type { DatabaseBackend } from '../db/backend.js';
import { getDagRun } from '../db/queries/dag-runs.js';
import { listTaskInstancesForRun } from '../db/queries/task-instances.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { DagRunState } from '../model.js';
import { LocalProvider } from '../providers/local/provider.js';
import { registerDag } from '../scheduler/register-dag.js';
import { commandResultKey } from '../executor/protocol.js';
import type { CommandResult } from '../executor/protocol.js';
import { newTriggerCommand, submitCommand, triggerCommandId } from '../service/commands.js';
import { parseDagFile, volumeFilesOf } from '../service/dag-files.js';
import type { ParsedDagFile } from '../service/dag-files.js';
import { showDag, triggerDag } from '../service/dags.js';
import { withReadDatabase } from '../service/database.js';
import { createEnvironment } from '../service/environments.js';
import type { Environment } from '../service/environments.js';
import { UnknownRunError, UserInputError } from '../service/errors.js';
import { silentProgress } from '../service/progress.js';
import { generateRunId } from '../timetable/index.js';
import { dagFilePath, logPath } from '../volume-layout.js';
import { LocalRuntime } from './local-runtime.js';

export interface LogChunk {
  task_id: string;
  map_index: number;
  try_number: number;
  text: string;
}

export interface DagTestOptions {
  dagId?: string;
  logicalDate?: Date;
  conf?: Record<string, unknown>;
  /** Log text as each try writes it. */
  onLog: (chunk: LogChunk) => void;
  logger?: Logger;
  /** Milliseconds between looks at the run (default 200). */
  pollMs?: number;
}

export interface DagTestResult {
  dag_id: string;
  dag_run_id: string;
  state: DagRunState;
  task_instances: Array<{ task_id: string; map_index: number; state: string | null; try_number: number }>;
}

const TEST_ENV = 'dags-test';
/** Under `dags/`, hidden from the tick's scan: where a tested Python DAG file is imported from. */
const HIDDEN_DAG_FOLDER = '.dags-test';

/** The DAG the file declares (or the one named), with a clear error for a missing or ambiguous id. */
function pickDag(parsed: ParsedDagFile, dagId: string | undefined): DagSpec {
  const ids = parsed.specs.map((s) => s.dag_id);
  if (dagId === undefined) {
    if (parsed.specs.length === 1) return parsed.specs[0]!;
    throw new UserInputError(`${parsed.localPath} declares ${ids.length} DAGs (${ids.join(', ')}); pick one with --dag-id`);
  }
  const spec = parsed.specs.find((s) => s.dag_id === dagId);
  if (!spec) throw new UserInputError(`${parsed.localPath} declares no DAG "${dagId}" (it declares ${ids.join(', ')})`);
  return spec;
}

/** `tasks test`: the task alone, with no upstream and no retries: it runs once, at once. */
function singleTaskDag(spec: DagSpec, taskId: string): DagSpec {
  const task = spec.tasks.find((t) => t.task_id === taskId);
  if (!task) throw new UserInputError(`DAG "${spec.dag_id}" has no task "${taskId}" (it has ${spec.tasks.map((t) => t.task_id).join(', ')})`);
  return { ...spec, tasks: [{ ...task, upstream: [], retries: 0 }] };
}

/** Runs the DAG of a local file (or one of its tasks, `taskId`) in a throwaway environment. */
export async function testDagFile(file: string, options: DagTestOptions & { taskId?: string }): Promise<DagTestResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'afs-dags-test-'));
  let environment: Environment | undefined;
  let runtime: LocalRuntime | undefined;
  try {
    const configPath = path.join(home, 'config.yaml');
    fs.writeFileSync(configPath, 'provider: local\n');
    environment = (await createEnvironment(TEST_ENV, configPath, silentProgress, { home })).environment;
    const parsed = await parseDagFile(file, environment.config);
    const picked = pickDag(parsed, options.dagId);
    const chosen = options.taskId === undefined ? picked : singleTaskDag(picked, options.taskId);
    const volume = environment.provider.volume();
    // The callables and modules, not the DAG file: the DAG is registered below, so no parse of the file
    // decides anything.
    for (const f of volumeFilesOf(parsed)) if (f.path !== dagFilePath(parsed.fileloc)) await volume.put(f.path, f.data);
    let spec = chosen;
    if (parsed.kind === 'python') {
      const hidden = `${HIDDEN_DAG_FOLDER}/${parsed.fileloc}`;
      await volume.put(dagFilePath(hidden), Buffer.from(parsed.text, 'utf8'));
      spec = { ...chosen, fileloc: hidden };
    }
    await volume.commit();

    runtime = new LocalRuntime({ env: TEST_ENV, config: environment.config, home, logger: options.logger ?? silentLogger });
    const db = await runtime.database();
    const now = new Date();
    await db.transaction((tx) => registerDag(tx, spec, environment!.config, now, { paused: false, scheduled: false }));
    const logical = options.logicalDate ?? now;
    const runId = generateRunId('manual', logical);
    await submitCommand(
      runtime.dict,
      newTriggerCommand({ dag_id: spec.dag_id, run_id: runId, conf: options.conf ?? {}, logical_date: logical.toISOString(), requested_at: now.toISOString(), by: 'cli' }),
    );
    const local = runtime;
    return await followRun(environment, spec.dag_id, runId, {
      tick: async () => {
        await local.tick();
      },
      read: async (fn) => fn(await local.database()),
      afterFinish: async () => {
        await local.spawner.waitForChildren(30_000);
      },
      ...options,
    });
  } finally {
    await runtime?.close().catch(() => {});
    await (environment?.provider as { close?: () => Promise<void> } | undefined)?.close?.().catch(() => {});
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** `dags test --env`: a recorded manual run of an uploaded DAG, followed to its end. */
export async function testUploadedDag(environment: Environment, dagId: string, options: DagTestOptions): Promise<DagTestResult> {
  const dag = await showDag(environment, dagId);
  if (dag.is_paused) {
    throw new UserInputError(`DAG "${dagId}" is paused, so its run would wait; unpause it first (\`dags unpause --env ${environment.name} --dag-id ${dagId}\`)`);
  }
  const triggered = await triggerDag(environment, dagId, {
    conf: options.conf ?? {},
    ...(options.logicalDate ? { logicalDate: options.logicalDate } : {}),
  });
  const isLocal = environment.provider instanceof LocalProvider;
  const runtime = isLocal ? new LocalRuntime({ env: environment.name, config: environment.config, home: environment.home, logger: options.logger ?? silentLogger }) : undefined;
  let lastRequest = 0;
  try {
    return await followRun(environment, dagId, triggered.dag_run_id, {
      tick: async () => {
        // A scheduler already running holds the lease: this tick then only records a request, which is fine.
        if (runtime) await runtime.tick();
        else if (Date.now() - lastRequest > 5_000) {
          lastRequest = Date.now();
          await environment.provider.spawner().requestTick();
        }
      },
      read: (fn) => withReadDatabase(environment, fn),
      afterFinish: async () => {
        await runtime?.spawner.waitForChildren(30_000);
      },
      ...options,
      pollMs: options.pollMs ?? (isLocal ? 200 : 2_000),
    });
  } finally {
    await runtime?.close().catch(() => {});
  }
}

interface Driver {
  tick: () => Promise<void>;
  read: <T>(fn: (db: DatabaseBackend) => Promise<T>) => Promise<T>;
  afterFinish: () => Promise<void>;
  onLog: (chunk: LogChunk) => void;
  pollMs?: number;
}

/** Ticks until the run is finished, passing on the new part of every try's log on each look. */
async function followRun(environment: Environment, dagId: string, runId: string, driver: Driver): Promise<DagTestResult> {
  const offsets = new Map<string, number>();
  const volume = environment.provider.volume();
  const look = async () => {
    const { run, tis } = await driver.read(async (db) => ({ run: await getDagRun(db, dagId, runId), tis: await listTaskInstancesForRun(db, dagId, runId) }));
    const started = tis.filter((ti) => ti.try_number > 0).sort((a, b) => (a.start_date ?? '').localeCompare(b.start_date ?? '') || a.task_id.localeCompare(b.task_id));
    for (const ti of started) {
      for (let attempt = 1; attempt <= ti.try_number; attempt++) {
        const file = logPath({ dag_id: dagId, run_id: runId, task_id: ti.task_id, map_index: ti.map_index, try_number: attempt });
        const bytes = await volume.get(file);
        const seen = offsets.get(file) ?? 0;
        if (!bytes || bytes.length <= seen) continue;
        offsets.set(file, bytes.length);
        driver.onLog({ task_id: ti.task_id, map_index: ti.map_index, try_number: attempt, text: Buffer.from(bytes.subarray(seen)).toString('utf8') });
      }
    }
    return { run, tis };
  };
  const dict = await environment.provider.stateDict();
  for (;;) {
    await driver.tick();
    const { run } = await look();
    if (run && (run.state === 'success' || run.state === 'failed')) break;
    if (!run) {
      // The tick refused the trigger (its result says why): there is no run to wait for.
      const refused = await dict.get<CommandResult>(commandResultKey(triggerCommandId(dagId, runId)));
      if (refused && !refused.ok) throw new UserInputError(`the run could not be created: ${refused.message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, driver.pollMs ?? 200));
  }
  await driver.afterFinish();
  const { run, tis } = await look();
  if (!run) throw new UnknownRunError(dagId, runId);
  return {
    dag_id: dagId,
    dag_run_id: runId,
    state: run.state,
    task_instances: tis.map((ti) => ({ task_id: ti.task_id, map_index: ti.map_index, state: ti.state, try_number: ti.try_number })),
  };
}
