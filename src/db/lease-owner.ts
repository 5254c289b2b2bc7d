/**
 * Lease owners that name a process: `host:pid=<pid>@<start>` (start = the process's start time in clock
 * ticks, Linux; 0 elsewhere). A lease is otherwise only freed by its expiry, so a one-shot `tick` killed
 * while holding the SQLite lease would block the next one for the whole lease time; an owner in this form
 * on this host whose process is gone can be proved dead and its lease taken over at once. Owners in any
 * other form (Modal's, tests') are never judged.
 */
import os from 'node:os';
import { readProcessStat } from '../process-table.js';

const OWNER = /^([^:]+):pid=(\d+)@(\d+)(?::.*)?$/;

/** This process as a lease owner; `label` tells owners of one process apart (e.g. `scheduler-loop`). */
export function processLeaseOwner(label?: string): string {
  const start = readProcessStat(process.pid)?.startTime ?? 0;
  return `${os.hostname()}:pid=${process.pid}@${start}${label ? `:${label}` : ''}`;
}

/** True only when `owner` names a process of this host that no longer runs (or whose pid was reused). */
export function isDeadLocalOwner(owner: string, hostname: string = os.hostname()): boolean {
  const match = OWNER.exec(owner);
  if (!match || match[1] !== hostname) return false;
  const pid = Number(match[2]);
  const start = Number(match[3]);
  if (pid === process.pid) return false;
  const stat = readProcessStat(pid);
  if (stat !== null) return stat.state === 'Z' || stat.state === 'X' || (start !== 0 && stat.startTime !== start);
  try {
    process.kill(pid, 0);
    // Without /proc we cannot see start times: a live pid counts as the owner.
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
