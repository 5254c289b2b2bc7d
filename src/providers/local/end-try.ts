/**
 * Ends a dead try's operator process group on this host, from the group id its task function recorded
 * in the dispatch record. The task process's forking helper (worker/forking-helper.ts), or where none can
 * run a per-start guard (worker/parent-death-guard.ts), normally ends the group with its task process; this
 * covers what they cannot: the helper or guard itself killed together with the task process, or a
 * platform without either. Runs before the try's retry can be dispatched, so the old
 * try's work never runs at the same time as, or after, the new one.
 */
import os from 'node:os';
import type { TaskRecord } from '../../executor/protocol.js';
import { listProcesses, readProcessStat, signalGroup } from '../../process-table.js';

const GONE_WAIT_MS = 2_000;
const POLL_MS = 20;

/** Live members (not zombies awaiting their reaper) of group `pgid`; null without /proc. */
function liveMembers(pgid: number): number[] | null {
  const processes = listProcesses();
  if (processes === null) return null;
  return processes.filter((p) => p.pgrp === pgid && p.state !== 'Z' && p.state !== 'X').map((p) => p.pid);
}

/**
 * Whether group `pgid` is still the recorded one. While any member of a group lives, Linux gives its id
 * to no new process; so a leader that is gone with members left proves the group ours, and a leader that
 * is there must have the recorded start time (else the id was reused after the group ended).
 */
function isRecordedGroup(pgid: number, start: number | undefined): boolean {
  const leader = readProcessStat(pgid);
  if (leader !== null && leader.state !== 'Z' && leader.state !== 'X') {
    return leader.pgrp === pgid && (start === undefined || leader.startTime === start);
  }
  return (liveMembers(pgid) ?? []).length > 0;
}

/** SIGKILLs the recorded operator group of a dead try and waits (briefly) until it is gone. */
export async function endRecordedOperatorGroup(record: TaskRecord, hostname: string = os.hostname()): Promise<boolean> {
  const pgid = record.operator_pgid;
  if (pgid === undefined || !Number.isInteger(pgid) || pgid <= 1 || record.hostname !== hostname) return false;
  if (!isRecordedGroup(pgid, record.operator_start)) return false;
  signalGroup(pgid, 'SIGKILL');
  const deadline = Date.now() + GONE_WAIT_MS;
  while (Date.now() < deadline && (liveMembers(pgid) ?? []).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
