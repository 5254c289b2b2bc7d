/** Provider-agnostic operations behind the CLI and the UI. Commands stay thin: parse, call, print. */
export * from './errors.js';
export * from './environments.js';
export * from './database.js';
export * from './dags.js';
export * from './runs.js';
export * from './tasks.js';
export * from './operations.js';
export * from './plans.js';
export * from './backfills.js';
export * from './inspect.js';
export { queueCommands, resultIfTicking, schedulerIsTicking, waitForCommandResult } from './commands.js';
export * from './shapes.js';
export { commandProgress, silentProgress, stderrProgress } from './progress.js';
export * from './dag-files.js';
export * from './dag-sync.js';
