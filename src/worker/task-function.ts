/**
 * The task function (DESIGN.md data flow step 3): one execution of one try. Claim it, mark it RUNNING,
 * heartbeat, render, run the operator under its timeout, write log and XCom, commit the volume, then
 * report the final record and ask for a tick. The order of the last steps is the point: the tick must
 * never see SUCCESS before the XCom and log it refers to are committed.
 */
import os from 'node:os';
import type { TaskPayload, TaskRecord } from '../executor/protocol.js';
import { silentLogger, type Logger } from '../logger.js';
import { systemClock, type Clock, type StateDict, type VolumeMount } from '../providers/ports.js';
import { claimTry } from './claim.js';
import { Heartbeat } from './heartbeat.js';
import { renderBashFields, runBash } from './operators/bash.js';
import { runPythonFile } from './operators/python-file.js';
import { renderPythonFields, runPython } from './operators/python.js';
import type { OperatorContext, OperatorOutcome } from './operators/types.js';
import { pythonIsoformat, parseInstant } from './python-datetime.js';
import { buildTemplateContext } from './template-context.js';
import { TemplateRenderError } from './templating.js';
import { TaskLog } from './task-log.js';
import { XCOM_RETURN_KEY, clearXcoms, volumeXcomReader, writeXcom } from './xcom.js';

export interface TaskFunctionDeps {
  dict: StateDict;
  /** `volume.root` is the mounted volume, a local folder. */
  volume: VolumeMount;
  requestTick: () => Promise<void>;
  clock?: Clock;
  /** The provider's call id: the process pid locally, the function call id on Modal. */
  callId: string | null;
  logger?: Logger;
  hostname?: string;
  /**
   * Takes the try's after-report housekeeping (OperatorContext.afterReport) to run when the host is done
   * answering for the try (a warm worker: after its `done`). Without it, it runs as the function returns.
   */
  afterReport?: (cleanup: () => void) => void;
}

const MAX_ERROR_LENGTH = 500;

function summarise(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ERROR_LENGTH ? oneLine.slice(0, MAX_ERROR_LENGTH - 3) + '...' : oneLine;
}

function truncateError(error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  return error.length > MAX_ERROR_LENGTH ? error.slice(0, MAX_ERROR_LENGTH - 3) + '...' : error;
}

/** The last logical date formatted: a warm worker runs the tries of one run in a row, and luxon's parse costs ~0.3 ms. */
let lastLogicalDate: { iso: string; formatted: string } | null = null;

function formatLogicalDate(iso: string): string {
  if (lastLogicalDate?.iso !== iso) lastLogicalDate = { iso, formatted: pythonIsoformat(parseInstant(iso)) };
  return lastLogicalDate.formatted;
}

/** Airflow's `AIRFLOW_CTX_*` variables, exported to every operator process. */
export function airflowContextEnv(payload: TaskPayload): Record<string, string> {
  const env: Record<string, string> = {
    AIRFLOW_CTX_DAG_ID: payload.dag_id,
    AIRFLOW_CTX_TASK_ID: payload.task_id,
    AIRFLOW_CTX_TRY_NUMBER: String(payload.try_number),
    AIRFLOW_CTX_DAG_RUN_ID: payload.run_id,
    AIRFLOW_CTX_DAG_OWNER: payload.task.owner,
  };
  if (payload.run.logical_date !== null) env['AIRFLOW_CTX_LOGICAL_DATE'] = formatLogicalDate(payload.run.logical_date);
  return env;
}

/** Renders the operator's templated fields and runs it. Template errors fail the try without retry. */
async function runOperator(ctx: OperatorContext): Promise<OperatorOutcome> {
  const { task } = ctx.payload;
  try {
    switch (task.operator) {
      case 'bash': {
        const rendered = renderBashFields(task.args, ctx);
        return await runBash(task.args, rendered, ctx);
      }
      case 'python':
      case 'branch_python':
      case 'short_circuit': {
        const rendered = renderPythonFields(task.args, ctx);
        return await runPython(task.operator, task.args, rendered, ctx);
      }
      case 'empty':
        ctx.log.line('EmptyOperator: nothing to run.');
        return { status: 'SUCCESS', exit_code: null };
      case 'python_file':
        return await runPythonFile(ctx);
    }
  } catch (error) {
    if (error instanceof TemplateRenderError) {
      ctx.log.line(error.message);
      return { status: 'FAILED', exit_code: null, error: error.message, no_retry: true };
    }
    throw error;
  }
}

function writeHeader(log: TaskLog, payload: TaskPayload, running: TaskRecord): void {
  log.line(`Task function: dag_id=${payload.dag_id} task_id=${payload.task_id} run_id=${payload.run_id} map_index=${payload.map_index}`);
  log.line(`Try ${payload.try_number} of ${payload.max_tries + 1} (host=${running.hostname}, pid=${running.pid}, call_id=${running.call_id ?? '-'})`);
  log.line(`Operator: ${payload.task.operator_class}; timeout ${payload.timeout_seconds > 0 ? `${payload.timeout_seconds} s` : 'none'}`);
}

function writeFooter(log: TaskLog, outcome: OperatorOutcome, startedMs: number, clock: Clock): void {
  const seconds = ((clock.now().getTime() - startedMs) / 1000).toFixed(2);
  const exit = outcome.exit_code === null ? '' : `, exit code ${outcome.exit_code}`;
  log.line(`Task finished: ${outcome.status} after ${seconds} s${exit}`);
  if (outcome.error) log.line(`Error: ${outcome.error}`);
  if (outcome.follow_task_ids) log.line(`Following branch: ${JSON.stringify(outcome.follow_task_ids)}`);
  if (outcome.short_circuit) log.line(`Short-circuit: skipping ${outcome.short_circuit.replace('_', ' ')} tasks`);
}

/**
 * Runs one try. Returns the final record it wrote, or null when the try was not this function's to run
 * (not QUEUED, another token or try, already claimed) or was taken away while running.
 */
export async function runTaskFunction(payload: TaskPayload, deps: TaskFunctionDeps): Promise<TaskRecord | null> {
  const logger = deps.logger ?? silentLogger;
  const claim = await claimTry(payload, deps.dict, deps.callId, deps.clock ?? systemClock, logger);
  if (!claim.claimed) return null;
  const cleanups: Array<() => void> = [];
  try {
    return await runClaimedTry(payload, deps, claim.record, cleanups);
  } finally {
    const runCleanups = () => {
      for (const cleanup of cleanups) {
        try {
          cleanup();
        } catch (error) {
          logger.warn('cleanup after the try failed', { key: payload.key, error: summarise(error) });
        }
      }
    };
    if (deps.afterReport) deps.afterReport(runCleanups);
    else runCleanups();
  }
}

async function runClaimedTry(payload: TaskPayload, deps: TaskFunctionDeps, claimed: TaskRecord, cleanups: Array<() => void>): Promise<TaskRecord | null> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const { dict, volume } = deps;

  const startedAt = clock.now();
  const running: TaskRecord = {
    ...claimed,
    status: 'RUNNING',
    started_at: startedAt.toISOString(),
    heartbeat_at: startedAt.toISOString(),
    hostname: deps.hostname ?? os.hostname(),
    pid: process.pid,
    ...(deps.callId !== null ? { call_id: deps.callId } : {}),
  };

  const abort = new AbortController();
  const heartbeat = new Heartbeat({
    dict,
    key: payload.key,
    record: running,
    intervalSeconds: payload.heartbeat_seconds,
    clock,
    logger,
    onLost: () => abort.abort(),
  });
  // RUNNING is written once the operator's process group exists, naming it (the tick ends a dead try's
  // group from it), so one write says both; heartbeats follow from there. Until then the claimed try stays
  // QUEUED: preparing it (log, template rendering) takes a millisecond or two. An operator that never
  // starts a process (EmptyOperator, a template error), or whose command was over by the time its start
  // was reported, goes straight to its final record.
  let runningWritten: Promise<void> | null = null;
  const publishRunning = (): void => {
    if (runningWritten !== null) {
      // A later group: a beat publishes it, once the first write has landed (a beat before it would
      // find the record still QUEUED and take the try for lost).
      runningWritten = runningWritten.then(() => heartbeat.refresh());
      return;
    }
    runningWritten = dict.put(payload.key, running).then(
      () => heartbeat.start(),
      (error: unknown) => {
        // The try cannot say it runs: stop it; its record stays QUEUED and the queued timeout retries it.
        logger.error('could not write the RUNNING record; stopping the try', { key: payload.key, error: summarise(error) });
        abort.abort();
      },
    );
  };

  let log: TaskLog | null = null;
  let outcome: OperatorOutcome;
  try {
    log = TaskLog.open(volume.root, payload, clock);
    writeHeader(log, payload, running);
    // Airflow clears a task instance's XComs when it runs again, before rendering.
    clearXcoms(volume.root, payload);
    let templateContext: Record<string, unknown> | undefined;
    const ctx: OperatorContext = {
      payload,
      // Built on first use: a field without template syntax never needs it, and building it (dates
      // through luxon, macros) costs about half a millisecond a try.
      get templateContext() {
        return (templateContext ??= buildTemplateContext(payload, volumeXcomReader(volume.root)));
      },
      volumeRoot: volume.root,
      log,
      airflowContextEnv: airflowContextEnv(payload),
      abortSignal: abort.signal,
      timeoutSeconds: payload.timeout_seconds,
      onProcessGroup: (pgid, startTime, exited) => {
        running.operator_pgid = pgid;
        // Read from /proc by whoever started the leader (the forking helper, or process-group.ts itself).
        if (startTime !== null) running.operator_start = startTime;
        // A command that was over by the time its start was reported goes from QUEUED to its final record,
        // like an operator that starts no process: a RUNNING record would say what is no longer true.
        if (!exited) publishRunning();
      },
      afterReport: (cleanup) => cleanups.push(cleanup),
    };
    outcome = await runOperator(ctx);
    if (outcome.returnValue !== undefined) {
      writeXcom(volume.root, payload, XCOM_RETURN_KEY, outcome.returnValue.value, clock.now(), payload.run.logical_date);
      log.line(`Pushed XCom ${XCOM_RETURN_KEY}`);
    }
  } catch (error) {
    logger.error('task function failed unexpectedly', { key: payload.key, error: summarise(error) });
    outcome = { status: 'FAILED', exit_code: null, error: summarise(error) };
    try {
      log?.line(`Unexpected error in the task function: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    } catch {
      // the log itself may be what failed
    }
  } finally {
    // The RUNNING write must land before the final record, never after it.
    await runningWritten;
    await heartbeat.stop();
  }

  try {
    if (log) writeFooter(log, outcome, startedAt.getTime(), clock);
  } catch (error) {
    logger.warn('could not finish the task log', { error: summarise(error) });
  } finally {
    try {
      log?.close();
    } catch {
      // closing a descriptor that failed to write: nothing more to do
    }
  }

  try {
    await volume.commit();
  } catch (error) {
    // Without a commit the XCom may be invisible to the tick, so the try cannot be reported a success.
    logger.error('volume commit failed', { key: payload.key, error: summarise(error) });
    outcome = { status: 'FAILED', exit_code: outcome.exit_code, error: `Volume commit failed: ${summarise(error)}` };
  }

  if (abort.signal.aborted) {
    // The record is no longer ours (the tick or an operator decided the try's fate): leave it as it is.
    await requestTickQuietly(deps, logger);
    return null;
  }

  const final: TaskRecord = {
    ...running,
    status: outcome.status,
    ended_at: clock.now().toISOString(),
    exit_code: outcome.exit_code,
  };
  // A skip explains itself in the log; the record's `error` is for failures only.
  const error = outcome.status === 'FAILED' ? truncateError(outcome.error) : undefined;
  if (error !== undefined) final.error = error;
  if (outcome.no_retry) final.no_retry = true;
  if (outcome.follow_task_ids) final.follow_task_ids = outcome.follow_task_ids;
  if (outcome.short_circuit) final.short_circuit = outcome.short_circuit;
  await dict.put(payload.key, final);
  await requestTickQuietly(deps, logger);
  return final;
}

/** Fast-follow only: a lost request costs one scheduler interval, never correctness. */
async function requestTickQuietly(deps: TaskFunctionDeps, logger: Logger): Promise<void> {
  try {
    await deps.requestTick();
  } catch (error) {
    logger.warn('tick request failed', { error: summarise(error) });
  }
}
