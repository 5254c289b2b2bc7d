/**
 * A warm task process: `node dist/runtime/warm-worker.js --env <env>`, forked by the scheduler loop's
 * spawner with an IPC channel. It has the worker code loaded and the state dict open, so a dispatched try
 * starts without paying for a Node start and module loading. It runs one try at a time; each operator still
 * runs in its own process group with its own environment and working directory (the worker sees to that).
 *
 * Messages: parent -> `{type: 'run', payload, callId}`; worker -> `{type: 'ready'}` and, per try, one
 * `{type: 'done', callId, status, tick}` (`tick`: the try asked for a tick; see task-ports.ts).
 * When the parent goes away (the loop stopped or was killed), the worker finishes its try, which reports
 * through the state dict as usual, asks for a tick through the dict and the wake socket, and exits.
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import type { TaskPayload } from '../executor/protocol.js';
import { stderrLogger } from '../logger.js';
import { preferForkingHelper, sharedForkingHelper } from '../worker/forking-helper.js';
import { keepTemporaryCwds } from '../worker/temporary-cwd.js';
import { stopOnSignals } from './child-groups.js';
import { openLocalTaskPorts } from './task-ports.js';

export type WarmWorkerRequest = { type: 'run'; payload: TaskPayload; callId: string };
export type WarmWorkerMessage = { type: 'ready' } | { type: 'done'; callId: string; status: string | null; tick: boolean };

const { values } = parseArgs({ options: { env: { type: 'string' } } });
if (!values.env || !process.send) {
  process.stderr.write('usage: warm-worker --env <env> (forked with an IPC channel)\n');
  process.exit(2);
}
// No TurboFan: a worker's JavaScript per try is short and varied (claim, log, helper messages, report), and
// over a run of hundreds of tries TurboFan spent more CPU compiling it, on background threads, than its code
// saved; on a 2-vCPU VM that CPU is taken from the operators (1,000 `true` tasks at parallelism 2: 6-7% less
// wall time and CPU in alternating runs). Set here rather than on the command line, where a Node whose V8
// no longer knew the flag would refuse to start; here it would only print that it does not know it.
v8.setFlagsFromString('--no-turbofan');
stopOnSignals();
// Many tries, so many operator starts: the helper with the cheaper start (see worker/forking-helper.ts),
// started now, while the worker waits for its first try, rather than by that try.
preferForkingHelper('python');
sharedForkingHelper();
// A try's empty temporary folder serves the next try (worker/temporary-cwd.ts); removed when we exit.
keepTemporaryCwds();
const logger = stderrLogger({ debug: process.env.AIRFLOW_SERVERLESS_DEBUG === '1' });
// Set by the running try's tick request; sent along with its `done`.
let tickWanted = false;
// A try's after-report housekeeping (an empty temporary folder to remove), run once its `done` is out.
const cleanups: Array<() => void> = [];
const runCleanups = () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
};
const ports = openLocalTaskPorts(values.env, logger, {
  onTickRequest: () => (tickWanted = true),
  afterReport: (cleanup) => cleanups.push(cleanup),
});
let busy = false;
let parentGone = false;

async function exitNow(code: number): Promise<never> {
  runCleanups();
  await ports.close().catch(() => {});
  process.exit(code);
}

process.on('disconnect', () => {
  parentGone = true;
  if (!busy) void exitNow(0);
});

process.on('message', (message: WarmWorkerRequest) => {
  if (message?.type !== 'run') return;
  if (busy) {
    // The spawner never does this; if it did, the try's record stays QUEUED and times out into a retry.
    logger.error('warm worker asked to run two tries at once', { call_id: message.callId });
    return;
  }
  busy = true;
  tickWanted = false;
  ports
    .run(message.payload, message.callId)
    .then(
      (record) => record?.status ?? null,
      (error: unknown) => {
        logger.error('task function failed', { key: message.payload.key, error: error instanceof Error ? error.message : String(error) });
        return null;
      },
    )
    .then(async (status) => {
      busy = false;
      const tick = tickWanted;
      // No loop to tell: ask for the tick the way a standalone task process does (a loop started later sees it).
      const tickAlone = async () => {
        if (tick) await ports.requestTick().catch(() => {});
      };
      if (parentGone || !process.connected) {
        await tickAlone();
        return exitNow(0);
      }
      process.send?.({ type: 'done', callId: message.callId, status, tick } satisfies WarmWorkerMessage, (error: Error | null) => {
        if (error) void tickAlone().then(() => exitNow(0)); // the loop went away between the check and the send
      });
      setImmediate(runCleanups);
      return undefined;
    });
});

// The loop that forked us may already be gone (killed before we were ready): then there is no one to be
// ready for, and no try was handed to us, so exit quietly instead of dying on the closed channel.
if (process.connected) {
  process.send({ type: 'ready' } satisfies WarmWorkerMessage, (error: Error | null) => {
    if (error) void exitNow(0);
  });
} else {
  void exitNow(0);
}
