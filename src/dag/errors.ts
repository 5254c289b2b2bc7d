/** A manifest that cannot become DAGs, with every problem found (not just the first). */

export interface ManifestProblem {
  /** 1-based line in the manifest, or null when the problem is about the whole file. */
  line: number | null;
  message: string;
}

/** How many problems the one-paragraph message shows; `problems` always has all of them. */
const PROBLEMS_IN_MESSAGE = 5;

export class ManifestError extends Error {
  readonly file: string;
  readonly problems: ManifestProblem[];

  constructor(file: string, problems: ManifestProblem[], options?: { cause?: unknown }) {
    super(formatProblems(file, problems), options);
    this.name = 'ManifestError';
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblem(file: string, problem: ManifestProblem): string {
  return problem.line === null ? `${file}: ${problem.message}` : `${file}:${problem.line}: ${problem.message}`;
}

function formatProblems(file: string, problems: readonly ManifestProblem[]): string {
  const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).map((problem) => formatProblem(file, problem));
  const more = problems.length - shown.length;
  if (more > 0) shown.push(`... and ${more} more problem${more === 1 ? '' : 's'}`);
  return shown.length > 0 ? shown.join('\n') : `${file}: invalid manifest`;
}
