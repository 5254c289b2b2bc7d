/**
 * Which files under `dags/` are DAG files, as Airflow decides:
 * - YAML manifests (`.yaml`, `.yml`): always;
 * - Python files (`.py`): only when their text contains both `airflow` and `dag`, case-insensitive
 *   (Airflow's `core.dag_discovery_safe_mode` heuristic), so helper modules are never imported as DAG files;
 * - hidden files and folders are skipped, and so is whatever an `.airflowignore` excludes. Its patterns
 *   use Airflow 3's default syntax (`core.dag_ignore_file_syntax = glob`: gitignore-style wildcards,
 *   `#` comments, `!` to re-include), relative to the folder holding the file and applying below it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const DAG_FILE_EXTENSIONS = new Set(['.yaml', '.yml', '.py']);
export const IGNORE_FILE = '.airflowignore';

export function isPythonFile(fileloc: string): boolean {
  return path.extname(fileloc).toLowerCase() === '.py';
}

export function isDagFileName(fileloc: string): boolean {
  return DAG_FILE_EXTENSIONS.has(path.extname(fileloc).toLowerCase());
}

/** Airflow's safe-mode heuristic: a Python file is a DAG file only if it mentions both words. */
export function mightContainDag(text: string): boolean {
  // Case-insensitive regexes scan without copying the text (toLowerCase would, for every file, every tick).
  return /airflow/i.test(text) && /dag/i.test(text);
}

interface IgnoreRule {
  /** Folder of the .airflowignore, relative to dags/ ('' at the top). */
  base: string;
  regex: RegExp;
  negate: boolean;
  directoryOnly: boolean;
}

/** One gitignore-style glob → a regex over the path relative to `base`. */
function compile(line: string, base: string): IgnoreRule | null {
  let pattern = line.replace(/\s+$/, '');
  if (pattern === '' || pattern.startsWith('#')) return null;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1);
  const directoryOnly = pattern.endsWith('/');
  if (directoryOnly) pattern = pattern.slice(0, -1);
  // A pattern with a slash (other than a trailing one) is anchored to the base; else it matches a name at any depth.
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  if (pattern === '') return null;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        source += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      source += char.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(anchored ? `^${source}$` : `(?:^|/)${source}$`);
  return { base, regex, negate, directoryOnly };
}

function isIgnored(rules: readonly IgnoreRule[], relative: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.directoryOnly && !isDirectory) continue;
    if (rule.base !== '' && !relative.startsWith(`${rule.base}/`)) continue;
    const inside = rule.base === '' ? relative : relative.slice(rule.base.length + 1);
    if (rule.regex.test(inside)) ignored = !rule.negate;
  }
  return ignored;
}

/**
 * Candidate DAG files (YAML and Python) relative to `dags/`, `/`-separated, sorted; null when there is no
 * dags folder. Python files still need `mightContainDag` on their text, which the caller reads anyway.
 */
export async function listDagFileCandidates(dagsDir: string): Promise<string[] | null> {
  const out: string[] = [];
  async function walk(dir: string, prefix: string, inherited: readonly IgnoreRule[]): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    let rules = inherited;
    if (entries.some((entry) => entry.name === IGNORE_FILE && entry.isFile())) {
      const text = await fs.readFile(path.join(dir, IGNORE_FILE), 'utf8').catch(() => '');
      const own = text.split('\n').map((line) => compile(line, prefix)).filter((rule): rule is IgnoreRule => rule !== null);
      rules = [...inherited, ...own];
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!isIgnored(rules, relative, true)) await walk(path.join(dir, entry.name), relative, rules);
      } else if (entry.isFile() && isDagFileName(entry.name) && !isIgnored(rules, relative, false)) {
        out.push(relative);
      }
    }
  }
  try {
    await walk(dagsDir, '', []);
  } catch (error) {
    // No dags/ folder at all is "nothing to sync", not "every file was deleted": a volume that failed to
    // mount must not turn every DAG stale.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return out.sort();
}
