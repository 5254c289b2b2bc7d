/**
 * The process table as Linux shows it in /proc, and signals to process groups: what the worker (operator
 * groups), the task process (its children's groups) and the local spawner (cancel) all need. Elsewhere
 * /proc is absent and the readers return null, so callers fall back to plain signals.
 */
import fs from 'node:fs';

/** The fields of `/proc/<pid>/stat` we use. */
export interface ProcessStat {
  pid: number;
  /** One letter: R running, S sleeping, Z zombie, X dead, ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** When the process started, in clock ticks since boot: with the pid, it names one process for good. */
  startTime: number;
}

/** Pids of every process, or null without /proc. */
export function processIds(): number[] | null {
  try {
    return fs
      .readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return null;
  }
}

/** One process's stat line, or null when it is gone (or /proc is absent). */
export function readProcessStat(pid: number): ProcessStat | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: Number(fields[19]) };
}

/** Every process's stat, or null without /proc. Processes that end while we look are left out. */
export function listProcesses(): ProcessStat[] | null {
  const pids = processIds();
  if (pids === null) return null;
  return pids.map(readProcessStat).filter((stat): stat is ProcessStat => stat !== null);
}

/** Signals every process of the group `pgid`; false when there is no such group (already gone). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals the group `pid` leads, or just the process when it leads none; silent when it is gone. */
export function signalGroupOrProcess(pid: number, signal: NodeJS.Signals): void {
  if (signalGroup(pid, signal)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Gone.
  }
}
