/**
 * Finds and stops the process groups our direct children lead. The worker starts each operator in its own
 * process group (so a timeout reaches everything the operator started); when the task process itself is
 * told to stop, it must pass that on, or the operator would run on, orphaned.
 */
import { listProcesses, signalGroupOrProcess } from '../process-table.js';

/** Pids whose parent is `parentPid` (Linux /proc; elsewhere none are found). */
export function childPids(parentPid: number): number[] {
  return (listProcesses() ?? []).filter((p) => p.ppid === parentPid).map((p) => p.pid);
}

export function signalChildGroups(signal: NodeJS.Signals, parentPid: number = process.pid): void {
  for (const pid of childPids(parentPid)) signalGroupOrProcess(pid, signal);
}

const STOP_GRACE_MS = 5_000;

/**
 * On SIGTERM/SIGINT (a cancel, or Ctrl-C): stop the operator's process group, give it a moment, then exit.
 * The try's record stays RUNNING without heartbeats, and the tick treats it as a zombie.
 */
export function stopOnSignals(): void {
  const stop = (signal: NodeJS.Signals): void => {
    signalChildGroups('SIGTERM');
    setTimeout(() => {
      signalChildGroups('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
