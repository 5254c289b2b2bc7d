/**
 * What every operator receives and returns. Operators never touch the state dict: they run, write to the
 * log, and describe their outcome; the task function turns the outcome into XCom files and the final record.
 */
import type { TaskPayload, TaskRecord } from '../../executor/protocol.js';
import type { TaskLog } from '../task-log.js';
import type { ProcessGroupResult } from '../process-group.js';

export interface OperatorContext {
  payload: TaskPayload;
  /** Airflow's template context for this try (see template-context.ts). */
  templateContext: Record<string, unknown>;
  volumeRoot: string;
  log: TaskLog;
  /** `AIRFLOW_CTX_*` variables, added to every operator process's environment. */
  airflowContextEnv: Record<string, string>;
  /** Fires when the try must stop early (its record was taken away). */
  abortSignal: AbortSignal;
  /** Seconds; null or <= 0 means none. */
  timeoutSeconds: number | null;
  /** Receives the operator's process group id as soon as it runs (recorded for the tick; see heartbeat.ts). */
  onProcessGroup?: (pgid: number, startTime: number | null, exited: boolean) => void;
  /**
   * Housekeeping that nothing reads (removing an empty temporary folder): run once the try has reported,
   * off the path between the operator's exit and the report.
   */
  afterReport(cleanup: () => void): void;
}

export interface OperatorOutcome {
  status: 'SUCCESS' | 'FAILED' | 'SKIPPED';
  exit_code: number | null;
  error?: string;
  no_retry?: boolean;
  /** Pushed as the `return_value` XCom when present. */
  returnValue?: { value: unknown };
  follow_task_ids?: TaskRecord['follow_task_ids'];
  short_circuit?: TaskRecord['short_circuit'];
}

/** A timed-out or aborted process group, as an outcome; null when the process ended on its own. */
export function interruptedOutcome(result: ProcessGroupResult, timeoutSeconds: number | null): OperatorOutcome | null {
  if (result.timedOut) {
    // AirflowTaskTimeout: an ordinary failure, retried like any other.
    return { status: 'FAILED', exit_code: null, error: `Task timed out after ${timeoutSeconds} seconds` };
  }
  if (result.aborted) {
    return { status: 'FAILED', exit_code: null, error: 'Task stopped: its state was changed outside this task function' };
  }
  return null;
}
