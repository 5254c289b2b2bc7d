/** DAG manifests: parsing, validation and the stored form of a DAG. */
export type { BashOperatorArgs, DagSpec, OperatorKind, PythonOperatorArgs, ScheduleSpec, TaskGroupSpec, TaskSpec } from './model.js';
export { parseManifest, MAX_MANIFEST_BYTES, MAX_TASKS } from './manifest.js';
export { specsFromRawDags } from './python-dag.js';
export { ManifestError, formatProblem } from './errors.js';
export type { ManifestProblem } from './errors.js';
export { manifestDefaultsFrom } from './defaults.js';
export type { ManifestDefaults } from './defaults.js';
export { serializeDag, dagHash, hashSerializedDag } from './serialize.js';
export { parseDuration, tryParseDuration, DurationError } from './duration.js';
export { SCHEDULE_PRESETS, normaliseSchedule } from './schedule.js';
export { SUPPORTED_OPERATORS } from './operators.js';
export { IGNORED_OPERATOR_ARGS, IGNORED_DAG_ARGS } from './fields.js';
