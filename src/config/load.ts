/** Reading config.yaml: YAML → `${ENV}` interpolation → validation with defaults → Config. */
import { readFileSync } from 'node:fs';
import { describeIssues } from '../dag/issues.js';
import { readYaml } from '../dag/yaml-source.js';
import { configProblem, ConfigError } from './errors.js';
import type { ConfigProblem } from './errors.js';
import { interpolate, retypePlainScalar } from './interpolate.js';
import type { Config } from './model.js';
import { ALLOWED, configSchema, SECTION_KEYS } from './schema.js';

/** Every key at its default: what an empty or absent config.yaml means. */
export function defaultConfig(): Config {
  return configSchema.parse(undefined);
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    const problem = missing ? 'config file not found' : `cannot read config file (${(error as Error).message})`;
    throw new ConfigError(file, [configProblem(file, null, null, problem, 'a readable YAML file (see config.example.yaml)')], { cause: error });
  }
  return parseConfig(text, file, env);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const source = readYaml(text, {
    version: '1.2',
    transformString: (value, scalar, path) => {
      const replaced = interpolate(value, env, path.join('.'));
      return replaced !== value && scalar.type === 'PLAIN' ? retypePlainScalar(replaced) : replaced;
    },
  });
  const readProblems = source.problems.map((problem) => {
    // Interpolation problems start with their key ("database.connection_string: ..."); syntax errors don't.
    const keyed = /^([\w.]+): (.*); allowed: (.*)$/s.exec(problem.message);
    if (keyed) return configProblem(file, keyed[1] ?? null, problem.line, keyed[2] ?? '', keyed[3] ?? '');
    return configProblem(file, null, problem.line, problem.message, 'valid YAML (see config.example.yaml)');
  });
  // A syntax error leaves no document to validate; interpolation problems leave one with those keys null,
  // and the rest is still validated so that every error is reported at once.
  if (readProblems.some((problem) => problem.key === null)) throw new ConfigError(file, readProblems);
  const reported = new Set(readProblems.map((problem) => problem.key));
  const result = configSchema.safeParse(source.value);
  if (result.success) {
    if (readProblems.length > 0) throw new ConfigError(file, readProblems);
    return result.data;
  }

  const schemaProblems: ConfigProblem[] = describeIssues(result.error, source.value, {
    allowedKeys: (path) => SECTION_KEYS[path.map(String).join('.')] ?? [],
    // The whole database section may hold the URL (e.g. `database: postgres://...`): never echo it.
    isSecret: (path) => path[0] === 'database',
  }).map((issue) => {
    const key = issue.path.map(String).join('.');
    const parent = issue.path.slice(0, -1).map(String).join('.');
    const allowed =
      issue.unknownKey !== undefined
        ? (SECTION_KEYS[parent] ?? []).join(', ')
        : (ALLOWED[key] ?? (SECTION_KEYS[key] ? `a mapping with keys ${SECTION_KEYS[key]!.join(', ')}` : 'see config.example.yaml'));
    const problem = issue.unknownKey !== undefined ? issue.problem.replace(/^unknown field '[^']*'/, 'unknown key') : issue.problem;
    return configProblem(file, key === '' ? null : key, source.index.lineOf(source.value, issue.path), problem, allowed);
  });
  const problems = [...readProblems, ...schemaProblems.filter((problem) => !reported.has(problem.key))];
  throw new ConfigError(file, problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}
