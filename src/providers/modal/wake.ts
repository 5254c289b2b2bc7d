/**
 * The idle fast path (DESIGN.md "The modal provider, refined"): one Dict entry tells the scheduled
 * launcher whether the tick has anything to do, so an idle Period call returns after one Dict read,
 * without reloading the volume or starting Node.
 *
 * The entry is read by Python's public `modal.Dict.get`, which pickles the key it looks up and unpickles
 * the value, so this one entry is written in Python's format: key and value are pickled `str`s exactly as
 * Modal's `serialize` writes them (pickle protocol 4, one frame), and the value's text is JSON:
 * `{"due_at": ISO-8601}`. Everything else in the Dict stays UTF-8 JSON.
 *
 * Who writes it, and why no request is lost (the Dict has no compare-and-swap):
 * - the tick, when it ends: `due_at` = the earliest moment anything can need a tick (now while any try or
 *   run is in flight; else the next scheduled run; at most MAX_IDLE_MS ahead);
 * - every tick request (`requestTick`: task reports, CLI and UI commands, uploads), after trying the
 *   `tick:requested` gate: `due_at` = now.
 * The tick writes its `due_at` first and then looks at `tick:requested`; a requester writes the gate
 * first and the wake entry second. Either the tick sees the request (and writes `due_at` = now again), or
 * the request's wake write comes after the tick's.
 */
import type { Queryable } from '../../db/backend.js';
import { countPendingWork } from '../../db/queries/activity.js';
import { TICK_REQUESTED_KEY } from '../../executor/protocol.js';
import type { StateDict } from '../ports.js';

export const WAKE_KEY = 'airflow-serverless:wake';

/** A full tick at least this often, whatever the database says (a lost request costs at most this). */
export const MAX_IDLE_MS = 60 * 60_000;

export interface WakeRecord {
  due_at: string;
}

/** `pickle.dumps(text, protocol=4)` for a `str`, byte for byte as CPython writes it (checked in tests). */
export function pickleString(text: string): Uint8Array {
  const utf8 = Buffer.from(text, 'utf8');
  let op: Buffer;
  if (utf8.length < 256) {
    op = Buffer.from([0x8c, utf8.length]); // SHORT_BINUNICODE
  } else {
    op = Buffer.alloc(5);
    op[0] = 0x58; // BINUNICODE
    op.writeUInt32LE(utf8.length, 1);
  }
  const body = Buffer.concat([op, utf8, Buffer.from([0x94, 0x2e])]); // MEMOIZE, STOP
  const frame = Buffer.alloc(9);
  frame[0] = 0x95; // FRAME, with its 8-byte length
  frame.writeBigUInt64LE(BigInt(body.length), 1);
  return new Uint8Array(Buffer.concat([Buffer.from([0x80, 0x04]), frame, body]));
}

/** The inverse of pickleString for what it writes; undefined for anything else. */
export function unpickleString(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes);
  if (b.length < 15 || b[0] !== 0x80 || b[1] !== 0x04 || b[2] !== 0x95) return undefined;
  let offset = 11;
  let length: number;
  if (b[offset] === 0x8c) {
    length = b[offset + 1]!;
    offset += 2;
  } else if (b[offset] === 0x58) {
    length = b.readUInt32LE(offset + 1);
    offset += 5;
  } else {
    return undefined;
  }
  if (offset + length + 2 !== b.length) return undefined;
  return b.subarray(offset, offset + length).toString('utf8');
}

const WAKE_KEY_BYTES = Buffer.from(pickleString(WAKE_KEY));

export function isWakeKey(key: Uint8Array): boolean {
  return WAKE_KEY_BYTES.equals(Buffer.from(key));
}

/** The Dict operations the wake entry needs: raw bytes, outside the JSON encoding of ModalStateDict. */
export interface RawDict {
  putRaw(key: Uint8Array, value: Uint8Array): Promise<void>;
  getRaw(key: Uint8Array): Promise<Uint8Array | undefined>;
}

export async function writeWake(dict: RawDict, dueAt: Date): Promise<void> {
  const record: WakeRecord = { due_at: dueAt.toISOString() };
  await dict.putRaw(WAKE_KEY_BYTES, pickleString(JSON.stringify(record)));
}

export async function readWake(dict: RawDict): Promise<WakeRecord | undefined> {
  const raw = await dict.getRaw(WAKE_KEY_BYTES);
  const text = raw && unpickleString(raw);
  if (!text) return undefined;
  try {
    return JSON.parse(text) as WakeRecord;
  } catch {
    return undefined;
  }
}

/**
 * The earliest moment the scheduler can have work, from the database: now while any try or run is in
 * flight or startable; otherwise the next scheduled run of an unpaused DAG or the start of a queued run;
 * never later than now + MAX_IDLE_MS.
 */
export async function nextDue(db: Queryable, now: Date): Promise<Date> {
  const work = await countPendingWork(db, now.toISOString());
  if (Object.values(work).some((n) => n > 0)) return now;
  const row = await db.get<{ next_run: unknown; next_start: unknown }>(
    `SELECT
       (SELECT MIN(next_dagrun_create_after) FROM dag
         WHERE is_paused = ? AND is_stale = ? AND has_import_errors = ? AND next_dagrun_create_after IS NOT NULL) AS next_run,
       (SELECT MIN(r.run_after) FROM dag_run r JOIN dag d ON d.dag_id = r.dag_id
         WHERE r.state = 'queued' AND d.is_paused = ? AND d.is_stale = ?) AS next_start`,
    [false, false, false, false, false],
  );
  let due = now.getTime() + MAX_IDLE_MS;
  for (const value of [row?.next_run, row?.next_start]) {
    const at = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(at)) due = Math.min(due, at);
  }
  return new Date(Math.max(due, now.getTime()));
}

/**
 * What the tick writes as it ends: its `due_at`, then a look at the request gate. A request that arrived
 * after the pass last cleared the gate makes the next launcher call run.
 */
export async function recordNextDue(dict: RawDict & Pick<StateDict, 'get'>, due: Date, now: Date): Promise<Date> {
  await writeWake(dict, due);
  if ((await dict.get(TICK_REQUESTED_KEY)) === undefined) return due;
  await writeWake(dict, now);
  return now;
}
