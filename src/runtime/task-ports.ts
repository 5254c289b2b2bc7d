/** The ports a local task function needs, shared by the one-shot task process and the warm worker. */
import os from 'node:os';
import { TICK_REQUESTED_KEY } from '../executor/protocol.js';
import type { TaskPayload, TaskRecord } from '../executor/protocol.js';
import type { Logger } from '../logger.js';
import { localEnvironmentPaths } from '../providers/local/paths.js';
import { requestLocalTick } from '../providers/local/spawner.js';
import { SqliteStateDict } from '../providers/local/state-dict.js';
import { LocalVolumeMount } from '../providers/local/volume.js';
import { wakeScheduler } from '../providers/local/wake.js';
import { runTaskFunction } from '../worker/index.js';

export interface LocalTaskPorts {
  run(payload: TaskPayload, callId: string): Promise<TaskRecord | null>;
  close(): Promise<void>;
}

/**
 * `wakeParent`: the warm worker's way to wake its scheduler loop over the IPC channel it already has; it
 * returns false when the channel is gone, and the request then goes through the wake socket as usual.
 */
export function openLocalTaskPorts(env: string, logger: Logger, options: { wakeParent?: () => boolean } = {}): LocalTaskPorts {
  const paths = localEnvironmentPaths(env);
  const dict = new SqliteStateDict(paths.stateDict);
  const volume = new LocalVolumeMount(paths.volume);
  const hostname = os.hostname();
  const { wakeParent } = options;
  const requestTick = wakeParent
    ? async () => {
        // The dict record first, as requestLocalTick does: a loop that is not listening still sees it.
        await dict.put(TICK_REQUESTED_KEY, new Date().toISOString());
        if (!wakeParent()) await wakeScheduler(paths);
      }
    : () => requestLocalTick(paths, dict);
  return {
    run: (payload, callId) => runTaskFunction(payload, { dict, volume, requestTick, callId, logger, hostname }),
    close: () => dict.close(),
  };
}
