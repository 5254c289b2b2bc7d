/**
 * Hostile input: a generated corpus of malformed manifests, one defect each. `dags create` refuses each with
 * exactly one line (never a stack trace); the same files copied straight onto the volume leave the tick
 * running and each one recorded as an import error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../src/cli/errors.js';
import { ManifestError } from '../src/dag/index.js';
import { listImportErrors } from '../src/db/queries/import-errors.js';
import { silentLogger } from '../src/logger.js';
import { tickOnce } from '../src/runtime/tick-once.js';
import { uploadDagFile } from '../src/service/dags.js';
import { withReadDatabase } from '../src/service/database.js';
import { openEnvironment, type Environment } from '../src/service/environments.js';
import { UserInputError } from '../src/service/errors.js';
import { silentProgress } from '../src/service/progress.js';
import { CliSandbox } from './helpers/cli.js';

const BASH = (command: string) => `      operator: BashOperator\n      bash_command: ${command}\n`;
/** A valid DAG with one task, whose parts a case replaces. */
function dag(parts: { id?: string; head?: string; taskId?: string; task?: string } = {}): string {
  return `${parts.id ?? 'd'}:\n  schedule: null\n  start_date: 2025-01-01\n${parts.head ?? ''}  tasks:\n    ${parts.taskId ?? 't'}:\n${parts.task ?? BASH('echo hi')}`;
}
const bomb = (levels: number) => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
  return lines.join('\n') + '\n';
};
const python = (fields: string) => `      operator: PythonOperator\n${fields}`;

/** name -> manifest text; each has exactly one defect. */
const CORPUS: Record<string, string> = {
  // YAML errors
  yaml_unclosed_flow: 'd: {schedule: null, tasks: {t: [\n',
  yaml_bad_indent: 'd:\n  schedule: null\n    start_date: 2025-01-01\n',
  yaml_tab_indent: 'd:\n\tschedule: null\n',
  yaml_unterminated_quote: 'd:\n  schedule: "@daily\n',
  yaml_unknown_tag: dag({ task: BASH('!shell rm -rf /') }),
  yaml_python_tag: 'd: !!python/object/apply:os.system ["id"]\n',
  yaml_duplicate_dag: `${dag()}${dag()}`,
  yaml_duplicate_task_key: dag({ task: `${BASH('echo 1')}      bash_command: echo 2\n` }),
  yaml_alias_bomb: bomb(8),
  // wrong types
  type_top_level_list: '- d\n- e\n',
  type_top_level_scalar: 'just a string\n',
  type_retries_string: dag({ head: '  default_args: {retries: many}\n' }),
  type_tasks_string: 'd:\n  tasks: "t"\n',
  type_tasks_null: 'd:\n  schedule: null\n  tasks:\n',
  type_start_date_list: 'd:\n  start_date: [1, 2]\n  tasks: {}\n',
  type_tags_number: dag({ head: '  tags: 5\n' }),
  type_dependencies_number: dag({ task: `${BASH('echo hi')}      dependencies: 5\n` }),
  type_bash_command_map: dag({ task: BASH('{a: 1}') }),
  type_callable_name: dag({ task: python('      python_callable_file: f.py\n      python_callable_name: "not a name"\n') }),
  empty_file: '',
  comment_only: '# nothing here\n',
  // huge values
  huge_bash_command: dag({ task: BASH(`"${'x'.repeat(200_000)}"`) }),
  huge_file: `${dag()}# ${'y'.repeat(1_100_000)}\n`,
  huge_retries: dag({ head: '  default_args: {retries: 1e308}\n' }),
  huge_dag_id: dag({ id: 'd'.repeat(300) }),
  huge_max_active_runs: dag({ head: '  max_active_runs: 100000000000000000000000\n' }),
  // NUL bytes
  nul_escaped_in_command: dag({ task: BASH('"echo \\0"') }),
  nul_raw_in_command: dag({ task: BASH('"echo \u0000 hi"') }),
  nul_in_env_value: dag({ task: `${BASH('echo hi')}      env: {A: "x\\0"}\n` }),
  // traversal in ids and paths
  traversal_dag_id: dag({ id: '".."' }),
  traversal_task_id: dag({ taskId: '"../x"' }),
  traversal_callable_file_up: dag({ task: python('      python_callable_file: ../../etc/passwd\n      python_callable_name: f\n') }),
  traversal_callable_file_absolute: dag({ task: python('      python_callable_file: /etc/passwd\n      python_callable_name: f\n') }),
  missing_callable_file: dag({ task: python('      python_callable_file: nowhere/missing.py\n      python_callable_name: f\n') }),
  // shell metacharacters in ids
  shell_dag_id_semicolon: dag({ id: '"a;rm -rf /"' }),
  shell_dag_id_substitution: dag({ id: '"$(id)"' }),
  shell_task_id_backtick: dag({ taskId: '"`id`"' }),
  // templates
  template_syntax: dag({ task: BASH('"echo {{ ds "') }),
  // impossible crons and time zones
  cron_out_of_range: 'd:\n  schedule: "61 * * * *"\n  start_date: 2025-01-01\n  tasks: {}\n',
  cron_too_few_fields: 'd:\n  schedule: "* * *"\n  start_date: 2025-01-01\n  tasks: {}\n',
  cron_never_fires: 'd:\n  schedule: "0 0 30 2 *"\n  start_date: 2025-01-01\n  tasks: {}\n',
  timezone_unknown: dag({ head: '  timezone: Mars/Olympus\n' }),
  timezone_offset_out_of_range: dag({ head: '  timezone: "UTC+25"\n' }),
};

describe('hostile manifests', () => {
  let sandbox: CliSandbox;
  let environment: Environment;
  beforeAll(async () => {
    sandbox = new CliSandbox();
    await sandbox.ok(['create', '--env', 'hostile', '--config', sandbox.writeConfig()]);
    environment = await openEnvironment('hostile', { home: sandbox.home });
    for (const [name, text] of Object.entries(CORPUS)) sandbox.writeFile(`corpus/${name}.yaml`, text);
  });
  afterAll(async () => {
    await (environment?.provider as { close?: () => Promise<void> } | undefined)?.close?.();
    await sandbox.cleanup();
  });

  it('dags create refuses each with one line', async () => {
    const outcomes: Record<string, string[]> = {};
    for (const name of Object.keys(CORPUS)) {
      try {
        await uploadDagFile(environment, path.join(sandbox.dir, 'corpus', `${name}.yaml`), 'create', silentProgress);
        outcomes[name] = ['ACCEPTED'];
      } catch (error) {
        // A mistake in the file, never an internal error (a TypeError would be a crash in our code).
        expect(error instanceof ManifestError || error instanceof UserInputError, `${name}: ${String(error)}`).toBe(true);
        outcomes[name] = describeError(error).lines;
      }
    }
    const bad = Object.entries(outcomes).filter(([, lines]) => lines.length !== 1 || lines[0] === 'ACCEPTED' || lines[0]!.length > 400);
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    // Nothing reached the volume.
    expect(fs.readdirSync(path.join(sandbox.envRoot('hostile'), 'vol', 'dags'))).toEqual([]);
  });

  it('the real CLI prints one line for a few of them', async () => {
    for (const name of ['yaml_alias_bomb', 'nul_raw_in_command', 'traversal_dag_id']) {
      const result = await sandbox.run(['dags', 'create', '--env', 'hostile', '--file', path.join(sandbox.dir, 'corpus', `${name}.yaml`)]);
      expect(result.code, name).toBe(1);
      // stderr also carries progress ("validating ..."); the error is one line.
      expect(result.stderr.split('\n').filter((line) => line.startsWith('Error:')), name).toHaveLength(1);
      expect(result.stderr, name).not.toMatch(/^\s+at /m);
    }
  });

  it('a tick with the same files on the volume survives and records an import error for each', async () => {
    const dags = path.join(sandbox.envRoot('hostile'), 'vol', 'dags');
    for (const name of Object.keys(CORPUS)) fs.copyFileSync(path.join(sandbox.dir, 'corpus', `${name}.yaml`), path.join(dags, `${name}.yaml`));
    fs.writeFileSync(path.join(dags, 'good.yaml'), dag({ id: 'good' }));
    const outcome = await tickOnce(environment, silentLogger);
    expect(outcome.ran).toBe('here');
    if (outcome.ran !== 'here') return;
    expect(outcome.result).toMatchObject({ ran: true, manifestsParsed: Object.keys(CORPUS).length + 1, importErrors: Object.keys(CORPUS).length });
    const errors = await withReadDatabase(environment, (db) => listImportErrors(db));
    expect(errors.map((e) => e.filename).sort()).toEqual(Object.keys(CORPUS).map((name) => `${name}.yaml`).sort());
  });
});
