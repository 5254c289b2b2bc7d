/** The ports a local task function needs, shared by the one-shot task process and the warm worker. */
import os from 'node:os';
import type { TaskPayload, TaskRecord } from '../executor/protocol.js';
import type { Logger } from '../logger.js';
import { localEnvironmentPaths } from '../providers/local/paths.js';
import { requestLocalTick } from '../providers/local/spawner.js';
import { SqliteStateDict } from '../providers/local/state-dict.js';
import { LocalVolumeMount } from '../providers/local/volume.js';
import { runTaskFunction } from '../worker/index.js';

export interface LocalTaskPorts {
  run(payload: TaskPayload, callId: string): Promise<TaskRecord | null>;
  /** Asks for a tick the standalone way: the dict's tick request, then the wake socket. */
  requestTick(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `onTickRequest`: the warm worker's hook. A try asks for a tick as its very last step; the warm worker
 * notes it and passes it on in the one `done` message that also frees its slot, which the loop handles in
 * one go (slot free first, then the pass), instead of a dict write, a `tick` message and a `done` message
 * per try. When the loop is gone by then, the worker calls `requestTick()` instead.
 */
export function openLocalTaskPorts(
  env: string,
  logger: Logger,
  options: { onTickRequest?: () => void; afterReport?: (cleanup: () => void) => void } = {},
): LocalTaskPorts {
  const paths = localEnvironmentPaths(env);
  const dict = new SqliteStateDict(paths.stateDict);
  const volume = new LocalVolumeMount(paths.volume);
  const hostname = os.hostname();
  const standalone = () => requestLocalTick(paths, dict);
  const { onTickRequest, afterReport } = options;
  const requestTick = onTickRequest ? async () => onTickRequest() : standalone;
  return {
    run: (payload, callId) => runTaskFunction(payload, { dict, volume, requestTick, callId, logger, hostname, ...(afterReport ? { afterReport } : {}) }),
    requestTick: standalone,
    close: () => dict.close(),
  };
}
