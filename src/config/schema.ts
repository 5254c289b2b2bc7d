/**
 * config.yaml's schema: every key, its default and what is allowed (the error messages quote ALLOWED).
 * Sections are strict: a misspelled key is an error, not a silently ignored setting.
 */
import * as z from 'zod';
import { tryParseDuration } from '../dag/duration.js';
import type { Config } from './model.js';

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** What each key accepts, in words. */
export const ALLOWED: Readonly<Record<string, string>> = {
  provider: 'local, modal',
  'modal.environment': 'a Modal environment name, or null for the workspace default',
  'database.type': 'sqlite, postgres',
  'database.connection_string': 'a URL starting with postgres:// or postgresql:// (required when database.type is postgres), or null',
  'core.dags_are_paused_at_creation': 'true, false',
  'core.max_active_runs_per_dag': 'an integer >= 1',
  'core.max_active_tasks_per_dag': 'an integer >= 1',
  'core.default_task_retries': 'an integer >= 0',
  'core.dagbag_import_timeout': 'a duration > 0 (seconds, or like 1m): how long one Python DAG file may take to import',
  'scheduler.interval_seconds': 'an integer >= 1 (seconds)',
  'scheduler.create_cron_data_intervals': 'true, false',
  'scheduler.create_delta_data_intervals': 'true, false',
  'scheduler.catchup_by_default': 'true, false',
  'scheduler.task_queued_timeout': 'a duration > 0 (seconds, or like 10m)',
  'scheduler.task_instance_heartbeat_timeout': 'a duration > 0 (seconds, or like 3m); default 3 x interval_seconds',
  'scheduler.max_dagruns_to_create_per_loop': 'an integer >= 1',
  'executor.parallelism': 'an integer >= 1',
  'executor.task_timeout': 'a duration > 0 (seconds, or like 1h)',
};

const positiveDuration = z.unknown().transform((value, ctx) => {
  const result = tryParseDuration(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.problem });
    return z.NEVER;
  }
  if (result.seconds <= 0) {
    ctx.addIssue({ code: 'custom', message: `must be longer than 0 seconds, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return result.seconds;
});

/** An empty section (`core:` with nothing under it) is YAML null: treat it like an absent one. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((value) => value ?? undefined, z.strictObject(shape).prefault({} as never));
}

const providerSchema = z.enum(['local', 'modal']).default('local');

const modalSchema = section({
  environment: z.string().min(1).nullable().default(null),
});

const databaseSchema = section({
  type: z.enum(['sqlite', 'postgres']).default('sqlite'),
  connection_string: z.string().nullable().default(null),
}).superRefine((database, ctx) => {
  // Messages here never quote the value: it holds a password.
  if (database.type === 'postgres' && database.connection_string === null) {
    ctx.addIssue({ code: 'custom', path: ['connection_string'], message: 'required when database.type is postgres' });
  } else if (database.connection_string !== null && !POSTGRES_URL.test(database.connection_string)) {
    ctx.addIssue({ code: 'custom', path: ['connection_string'], message: '<redacted> is not a postgres:// or postgresql:// URL' });
  }
});

const coreSchema = section({
  dags_are_paused_at_creation: z.boolean().default(false),
  max_active_runs_per_dag: z.int().min(1).default(16),
  max_active_tasks_per_dag: z.int().min(1).default(16),
  default_task_retries: z.int().min(0).default(0),
  dagbag_import_timeout: positiveDuration.default(30),
});

const schedulerSchema = section({
  interval_seconds: z.int().min(1).default(60),
  create_cron_data_intervals: z.boolean().default(false),
  create_delta_data_intervals: z.boolean().default(false),
  catchup_by_default: z.boolean().default(false),
  task_queued_timeout: positiveDuration.default(600),
  task_instance_heartbeat_timeout: positiveDuration.optional(),
  max_dagruns_to_create_per_loop: z.int().min(1).default(10),
}).transform((scheduler) => ({
  ...scheduler,
  // Three missed ticks' worth: a heartbeat is written every few seconds, so this is generous.
  task_instance_heartbeat_timeout: scheduler.task_instance_heartbeat_timeout ?? 3 * scheduler.interval_seconds,
}));

const executorSchema = section({
  parallelism: z.int().min(1).default(16),
  task_timeout: positiveDuration.default(3600),
});

export const configSchema: z.ZodType<Config> = z.preprocess(
  (value) => value ?? undefined,
  z
    .strictObject({
      provider: providerSchema,
      modal: modalSchema,
      database: databaseSchema,
      core: coreSchema,
      scheduler: schedulerSchema,
      executor: executorSchema,
    })
    .prefault({}),
);

/** Keys allowed in each section ('' = top level), for "unknown key" messages. */
export const SECTION_KEYS: Readonly<Record<string, readonly string[]>> = (() => {
  const keys: Record<string, string[]> = { '': [] };
  for (const path of Object.keys(ALLOWED)) {
    const [head = '', tail] = path.split('.');
    if (tail === undefined) {
      keys['']!.push(head);
      continue;
    }
    if (!keys['']!.includes(head)) keys['']!.push(head);
    (keys[head] ??= []).push(tail);
  }
  return keys;
})();
