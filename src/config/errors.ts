/** An invalid config file, with the key and line at fault. */

export interface ConfigProblem {
  /** Dotted key path, or null for the whole file. */
  key: string | null;
  line: number | null;
  /** `<file>:<line>: <key>: <problem>; allowed: <what is allowed>` */
  message: string;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly key: string | null;
  readonly line: number | null;
  /** Every problem found; the message lists them all, one a line (`key` and `line` are the first's). */
  readonly problems: ConfigProblem[];

  constructor(file: string, problems: ConfigProblem[], options?: { cause?: unknown }) {
    const first = problems[0] ?? { key: null, line: null, message: `${file}: invalid config` };
    // All at once: fixing a config one error per run is a slow way to learn what is wrong with it.
    super(problems.length > 0 ? problems.map((problem) => problem.message).join('\n') : first.message, options);
    this.name = 'ConfigError';
    this.file = file;
    this.key = first.key;
    this.line = first.line;
    this.problems = problems;
  }
}

export function configProblem(file: string, key: string | null, line: number | null, problem: string, allowed: string): ConfigProblem {
  const location = line === null ? file : `${file}:${line}`;
  return { key, line, message: `${location}: ${key === null ? '' : `${key}: `}${problem}; allowed: ${allowed}` };
}
