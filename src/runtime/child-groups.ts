/**
 * Finds and stops the process groups of the operators a task process started. The worker starts each
 * operator in its own process group (so a timeout reaches everything the operator started); when the task
 * process itself is told to stop, it must pass that on, or the operator would run on, orphaned.
 */
import { listProcesses, signalGroupOrProcess } from '../process-table.js';

/**
 * Leaders of the operator groups `taskPid` started (Linux /proc; elsewhere none are found): the children
 * of its forking helper (worker/forking-helper.ts) and, where it has none, its own children that lead a
 * group (an operator spawned directly, or its guard). The helper itself is a child in the task process's
 * own group: stopping that group reaches it, and it must stay until its operators are gone.
 */
export function operatorGroupLeaders(taskPid: number): number[] {
  const processes = listProcesses() ?? [];
  const children = processes.filter((p) => p.ppid === taskPid);
  const helpers = new Set(children.filter((p) => p.pgrp !== p.pid).map((p) => p.pid));
  const leaders = (list: typeof processes) => list.filter((p) => p.pgrp === p.pid).map((p) => p.pid);
  return [...leaders(children), ...leaders(processes.filter((p) => helpers.has(p.ppid)))];
}

export function signalOperatorGroups(signal: NodeJS.Signals, taskPid: number = process.pid): void {
  for (const pid of operatorGroupLeaders(taskPid)) signalGroupOrProcess(pid, signal);
}

const STOP_GRACE_MS = 5_000;

/**
 * On SIGTERM/SIGINT (a cancel, or Ctrl-C): stop the operator's process group, give it a moment, then exit.
 * The try's record stays RUNNING without heartbeats, and the tick treats it as a zombie.
 */
export function stopOnSignals(): void {
  const stop = (signal: NodeJS.Signals): void => {
    signalOperatorGroups('SIGTERM');
    setTimeout(() => {
      signalOperatorGroups('SIGKILL');
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }, STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
