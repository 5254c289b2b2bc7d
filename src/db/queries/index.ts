/** Every query group, for callers that want one import (the UI and CLI reuse the read queries). */
export * from './dags.js';
export * from './serialized-dags.js';
export * from './dag-files.js';
export * from './dag-runs.js';
export * from './task-instances.js';
export * from './task-instance-history.js';
export * from './import-errors.js';
export * from './command-log.js';
export * from './jobs.js';
export * from './activity.js';
