/** The environment's configuration (config.yaml): loading, `${ENV}` interpolation, validation. */
export type { Config, DatabaseType, ProviderName } from './model.js';
export { defaultConfig, loadConfig, parseConfig } from './load.js';
export { ConfigError } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { redactConnectionString } from './redact.js';
