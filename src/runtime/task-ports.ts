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
  close(): Promise<void>;
}

export function openLocalTaskPorts(env: string, logger: Logger): LocalTaskPorts {
  const paths = localEnvironmentPaths(env);
  const dict = new SqliteStateDict(paths.stateDict);
  const volume = new LocalVolumeMount(paths.volume);
  const hostname = os.hostname();
  return {
    run: (payload, callId) =>
      runTaskFunction(payload, { dict, volume, requestTick: () => requestLocalTick(paths, dict), callId, logger, hostname }),
    close: () => dict.close(),
  };
}
