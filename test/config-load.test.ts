import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, parseConfig, redactConnectionString } from '../src/config/index.js';
import type { Config } from '../src/config/index.js';

const yaml = (...lines: string[]) => lines.join('\n');

function errorOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(text, 'conf/config.yaml', env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const DEFAULTS: Config = {
  provider: 'local',
  modal: { environment: null },
  database: { type: 'sqlite', connection_string: null },
  core: { dags_are_paused_at_creation: false, max_active_runs_per_dag: 16, max_active_tasks_per_dag: 16, default_task_retries: 0, dagbag_import_timeout: 30 },
  scheduler: {
    interval_seconds: 60,
    create_cron_data_intervals: false,
    create_delta_data_intervals: false,
    catchup_by_default: false,
    task_queued_timeout: 600,
    task_instance_heartbeat_timeout: 180,
    max_dagruns_to_create_per_loop: 10,
  },
  executor: { parallelism: 16, task_timeout: 3600 },
};

describe('defaults', () => {
  it('defaultConfig() has every documented default', () => {
    expect(defaultConfig()).toEqual(DEFAULTS);
  });

  it('an empty file, a comment-only file and empty sections give all defaults', () => {
    expect(parseConfig('', 'c.yaml', {})).toEqual(DEFAULTS);
    expect(parseConfig('# nothing\n', 'c.yaml', {})).toEqual(DEFAULTS);
    expect(parseConfig('core:\nscheduler:\n', 'c.yaml', {})).toEqual(DEFAULTS);
  });

  it('task_instance_heartbeat_timeout defaults to 3 x interval_seconds, and can be set', () => {
    expect(parseConfig('scheduler: {interval_seconds: 20}', 'c.yaml', {}).scheduler.task_instance_heartbeat_timeout).toBe(60);
    expect(parseConfig('scheduler: {interval_seconds: 20, task_instance_heartbeat_timeout: 5m}', 'c.yaml', {}).scheduler.task_instance_heartbeat_timeout).toBe(300);
  });

  it('reads every key', () => {
    const config = parseConfig(
      yaml(
        'provider: modal',
        'modal: {environment: staging}',
        'database: {type: postgres, connection_string: "postgresql://u:p@db:5432/airflow"}',
        'core: {dags_are_paused_at_creation: true, max_active_runs_per_dag: 2, max_active_tasks_per_dag: 3, default_task_retries: 1, dagbag_import_timeout: 1m}',
        'scheduler: {interval_seconds: 30, create_cron_data_intervals: true, create_delta_data_intervals: true, catchup_by_default: true, task_queued_timeout: 10m, task_instance_heartbeat_timeout: 120, max_dagruns_to_create_per_loop: 5}',
        'executor: {parallelism: 4, task_timeout: 1h30m}',
      ),
      'c.yaml',
      {},
    );
    expect(config).toEqual({
      provider: 'modal',
      modal: { environment: 'staging' },
      database: { type: 'postgres', connection_string: 'postgresql://u:p@db:5432/airflow' },
      core: { dags_are_paused_at_creation: true, max_active_runs_per_dag: 2, max_active_tasks_per_dag: 3, default_task_retries: 1, dagbag_import_timeout: 60 },
      scheduler: {
        interval_seconds: 30,
        create_cron_data_intervals: true,
        create_delta_data_intervals: true,
        catchup_by_default: true,
        task_queued_timeout: 600,
        task_instance_heartbeat_timeout: 120,
        max_dagruns_to_create_per_loop: 5,
      },
      executor: { parallelism: 4, task_timeout: 5400 },
    });
  });

  it('executor.task_timeout accepts seconds and durations', () => {
    for (const [value, seconds] of [['7200', 7200], ['2h', 7200], ['90m', 5400], ['{__type__: datetime.timedelta, hours: 1}', 3600]] as const) {
      expect(parseConfig(`executor: {task_timeout: ${value}}`, 'c.yaml', {}).executor.task_timeout).toBe(seconds);
    }
  });
});

describe('config.example.yaml', () => {
  const text = readFileSync(fileURLToPath(new URL('../config.example.yaml', import.meta.url)), 'utf8');

  it('parses to exactly the defaults', () => {
    expect(parseConfig(text, 'config.example.yaml', {})).toEqual(DEFAULTS);
  });

  it('documents every key with its default', () => {
    for (const [section, values] of Object.entries(DEFAULTS)) {
      if (typeof values !== 'object') {
        expect(text).toMatch(new RegExp(`^${section}: `, 'm'));
        continue;
      }
      for (const key of Object.keys(values as object)) {
        const line = text.split('\n').findIndex((l) => l.trim().startsWith(`${key}:`));
        expect(line, `${section}.${key}`).toBeGreaterThan(0);
        expect(text.split('\n')[line - 1]!.trim().startsWith('#'), `${section}.${key} has a comment`).toBe(true);
      }
    }
    expect(text.match(/Default: /g)?.length).toBeGreaterThanOrEqual(17);
  });
});

describe('${ENV} interpolation', () => {
  it('substitutes set variables, defaults, and shell-style empty values', () => {
    const config = parseConfig(
      yaml('modal:', '  environment: ${MODAL_ENV}', 'database:', '  type: ${DB_TYPE:-postgres}', '  connection_string: "postgres://${DB_USER}@${DB_HOST:-localhost}/${DB_NAME:-}x"'),
      'c.yaml',
      { MODAL_ENV: 'prod', DB_USER: 'me', DB_HOST: '', DB_NAME: 'ignored' },
    );
    expect(config.modal.environment).toBe('prod');
    expect(config.database.type).toBe('postgres');
    expect(config.database.connection_string).toBe('postgres://me@localhost/ignoredx');
  });

  it('an unquoted reference takes the type it would have had if written in place; a quoted one stays a string', () => {
    expect(parseConfig(yaml('scheduler:', '  interval_seconds: ${TICK:-15}', '  catchup_by_default: ${CATCHUP}'), 'c.yaml', { CATCHUP: 'true' }).scheduler).toMatchObject({
      interval_seconds: 15,
      catchup_by_default: true,
    });
    const error = errorOf(yaml('scheduler:', '  interval_seconds: "${TICK:-15}"'));
    expect(error.key).toBe('scheduler.interval_seconds');
  });

  it('$${ writes a literal ${', () => {
    expect(parseConfig('modal: {environment: "a$${B}"}', 'c.yaml', {}).modal.environment).toBe('a${B}');
  });

  it('an unset variable without default names the variable, the key and the line', () => {
    const error = errorOf(yaml('provider: local', 'database:', '  type: postgres', '  connection_string: ${DATABASE_URL}'));
    expect(error.message).toBe('conf/config.yaml:4: database.connection_string: environment variable DATABASE_URL is not set; allowed: set DATABASE_URL, or write ${DATABASE_URL:-default}');
    expect(error).toMatchObject({ file: 'conf/config.yaml', key: 'database.connection_string', line: 4 });
  });

  it('a malformed reference is an error', () => {
    expect(errorOf('modal: {environment: "${1X}"}').message).toMatch(/modal.environment: malformed reference \$\{1X\}; allowed: \$\{NAME\} or \$\{NAME:-default\}/);
  });

  it('never interpolates keys', () => {
    const error = errorOf(yaml('core:', '  ${KEY}: 1'), { KEY: 'default_task_retries' });
    expect(error.key).toBe('core.${KEY}');
    expect(error.message).toMatch(/unknown key/);
  });
});

describe('validation errors name file, line, key and what is allowed', () => {
  it.each<[string, string, number, string]>([
    ['provider: aws', 'provider', 1, 'conf/config.yaml:1: provider: expected one of "local", "modal"; got "aws"; allowed: local, modal'],
    [
      yaml('provider: local', 'schedulr:', '  interval_seconds: 5'),
      'schedulr',
      2,
      "conf/config.yaml:2: schedulr: unknown key (did you mean 'scheduler'?); allowed: provider, modal, database, core, scheduler, executor",
    ],
    [
      yaml('scheduler:', '  interval_secs: 5'),
      'scheduler.interval_secs',
      2,
      "conf/config.yaml:2: scheduler.interval_secs: unknown key (did you mean 'interval_seconds'?); allowed: interval_seconds, create_cron_data_intervals, create_delta_data_intervals, catchup_by_default, task_queued_timeout, task_instance_heartbeat_timeout, max_dagruns_to_create_per_loop",
    ],
    [yaml('scheduler:', '  interval_seconds: 0'), 'scheduler.interval_seconds', 2, 'conf/config.yaml:2: scheduler.interval_seconds: must be >= 1, got 0; allowed: an integer >= 1 (seconds)'],
    [yaml('scheduler:', '  interval_seconds: 1.5'), 'scheduler.interval_seconds', 2, 'conf/config.yaml:2: scheduler.interval_seconds: expected integer, got number 1.5; allowed: an integer >= 1 (seconds)'],
    [yaml('core:', '  max_active_runs_per_dag: lots'), 'core.max_active_runs_per_dag', 2, "conf/config.yaml:2: core.max_active_runs_per_dag: expected number, got string 'lots'; allowed: an integer >= 1"],
    [yaml('core:', '  default_task_retries: -1'), 'core.default_task_retries', 2, 'conf/config.yaml:2: core.default_task_retries: must be >= 0, got -1; allowed: an integer >= 0'],
    [yaml('core:', '  dags_are_paused_at_creation: maybe'), 'core.dags_are_paused_at_creation', 2, "conf/config.yaml:2: core.dags_are_paused_at_creation: expected boolean, got string 'maybe'; allowed: true, false"],
    [yaml('executor:', '  parallelism: 0'), 'executor.parallelism', 2, 'conf/config.yaml:2: executor.parallelism: must be >= 1, got 0; allowed: an integer >= 1'],
    [
      yaml('executor:', '  task_timeout: forever'),
      'executor.task_timeout',
      2,
      "conf/config.yaml:2: executor.task_timeout: 'forever' is not a duration; allowed: `30s`, `5m`, `2h`, `1d`, `1h30m`, a number of seconds, or {__type__: datetime.timedelta, ...}; allowed: a duration > 0 (seconds, or like 1h)",
    ],
    [yaml('executor:', '  task_timeout: 0'), 'executor.task_timeout', 2, 'conf/config.yaml:2: executor.task_timeout: must be longer than 0 seconds, got 0; allowed: a duration > 0 (seconds, or like 1h)'],
    [yaml('modal:', '  environment: 3'), 'modal.environment', 2, 'conf/config.yaml:2: modal.environment: expected string, got integer 3; allowed: a Modal environment name, or null for the workspace default'],
    ['core: 5', 'core', 1, 'conf/config.yaml:1: core: expected mapping, got integer 5; allowed: a mapping with keys dags_are_paused_at_creation, max_active_runs_per_dag, max_active_tasks_per_dag, default_task_retries, dagbag_import_timeout'],
    [yaml('database:', '  type: mysql'), 'database.type', 2, 'conf/config.yaml:2: database.type: expected one of "sqlite", "postgres"; got <redacted>; allowed: sqlite, postgres'],
    [
      yaml('database:', '  type: postgres'),
      'database.connection_string',
      1,
      'conf/config.yaml:1: database.connection_string: required when database.type is postgres; allowed: a URL starting with postgres:// or postgresql:// (required when database.type is postgres), or null',
    ],
  ])('%s', (text, key, line, message) => {
    const error = errorOf(text);
    expect(error.message).toBe(message);
    expect(error.key).toBe(key);
    expect(error.line).toBe(line);
    expect(error.file).toBe('conf/config.yaml');
  });

  it('a top-level scalar is an error about the whole file', () => {
    const error = errorOf('just text');
    expect(error.key).toBeNull();
    expect(error.message).toMatch(/^conf\/config.yaml: expected mapping, got string 'just text'; allowed: a mapping with keys provider, modal, database/);
  });

  it('YAML syntax errors carry the line', () => {
    const error = errorOf(yaml('core:', '  max_active_runs_per_dag: [1', 'executor: {}'));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^conf\/config.yaml:3: YAML syntax error: .*; allowed: valid YAML/);
  });

  it('collects every problem; the message lists them all, one a line', () => {
    const error = errorOf(yaml('provider: aws', 'executor:', '  parallelism: 0'));
    expect(error.problems.map((p) => [p.key, p.line])).toEqual([
      ['provider', 1],
      ['executor.parallelism', 3],
    ]);
    expect(error.message.split('\n')).toEqual(error.problems.map((p) => p.message));
  });

  it('reports a missing variable and the schema errors of other keys at once', () => {
    const error = errorOf(yaml('provider: aws', 'database:', '  type: postgres', '  connection_string: ${DB_URL}', 'executor:', '  parallelism: 0'));
    expect(error.problems.map((p) => [p.key, p.line])).toEqual([
      ['provider', 1],
      ['database.connection_string', 4],
      ['executor.parallelism', 6],
    ]);
    expect(error.message.split('\n')).toHaveLength(3);
  });
});

describe('the connection string never appears in an error', () => {
  const SECRET = 'hunter2-s3cret';

  it.each([
    ['a non-postgres URL', yaml('database:', '  type: postgres', `  connection_string: "mysql://admin:${SECRET}@db/x"`)],
    ['a URL given where the section belongs', `database: "postgres://admin:${SECRET}@db/x"`],
    ['a URL from the environment', yaml('database:', '  type: postgres', '  connection_string: ${DB_URL}', 'executor: {parallelism: 0}')],
    ['a number', yaml('database:', `  connection_string: 12345${SECRET.length}`)],
    ['a syntax error on its line', yaml('database:', `  connection_string: "postgres://admin:${SECRET}@db/x`)],
    ['a misspelled key holding it', yaml('database:', `  conection_string: "postgres://admin:${SECRET}@db/x"`)],
  ])('%s', (_label, text) => {
    const error = errorOf(text, { DB_URL: `mysql://admin:${SECRET}@db/x` });
    const everything = [error.message, ...error.problems.map((p) => p.message)].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain('admin');
  });

  it('says <redacted> for a bad URL', () => {
    expect(errorOf(yaml('database:', '  type: postgres', `  connection_string: "http://u:${SECRET}@h/db"`)).message).toBe(
      'conf/config.yaml:3: database.connection_string: <redacted> is not a postgres:// or postgresql:// URL; allowed: a URL starting with postgres:// or postgresql:// (required when database.type is postgres), or null',
    );
  });
});

describe('redactConnectionString', () => {
  it.each([
    ['postgres://user:secret@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['postgresql://user:secret@host/db?sslmode=require', 'postgresql://user:***@host/db?sslmode=require'],
    ['postgres://user@host/db?password=secret', 'postgres://user@host/db?password=***'],
    ['postgres://host/db', 'postgres://host/db'],
    ['host=db user=me password=secret dbname=x', 'host=db user=me password=*** dbname=x'],
    ['postgres://user:secret@host:99999/db', '<redacted>'],
  ])('%s → %s', (input, expected) => {
    expect(redactConnectionString(input)).toBe(expected);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file and interpolates from the given env', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'executor:\n  parallelism: ${PAR}\n');
    expect(loadConfig(file, { PAR: '3' }).executor.parallelism).toBe(3);
  });

  it('a missing file is a ConfigError naming the path', () => {
    const file = join(dir, 'nope.yaml');
    let error: unknown;
    try {
      loadConfig(file, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(file);
    expect((error as ConfigError).message).toBe(`${file}: config file not found; allowed: a readable YAML file (see config.example.yaml)`);
    expect((error as ConfigError).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('errors name the file that was read', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'provider: gcp\n');
    expect(() => loadConfig(file, {})).toThrow(`${file}:1: provider:`);
  });
});
