export { LocalProvider, SchedulerRunningError } from './provider.js';
export type { LocalEnvironmentPaths } from './paths.js';
export {
  airflowServerlessHome,
  assertEnvironmentName,
  environmentsDir,
  ENV_NAME_PATTERN,
  InvalidEnvironmentNameError,
  localEnvironmentPaths,
} from './paths.js';
export { SqliteStateDict } from './state-dict.js';
export { LocalVolumeClient, LocalVolumeMount, resolveInVolume, VolumePathError, writeFileAtomic } from './volume.js';
export { LocalTaskSpawner, requestLocalTick, TASK_MAIN_PATH } from './spawner.js';
export { listenForWake, schedulerIsRunning, SchedulerAlreadyRunningError, wakeScheduler } from './wake.js';
