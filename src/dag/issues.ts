/**
 * zod issues → short, specific problems ("expected integer, got string", "unknown field 'x' (did you
 * mean 'y'?)"), each with the path of the offending key so the caller can look up its line.
 */
import type { z } from 'zod';
import { describeType } from './duration.js';
import { didYouMean } from './suggest.js';

export interface FieldProblem {
  /** Path of the key the problem is about (for unknown keys: the unknown key itself). */
  path: PropertyKey[];
  problem: string;
  /** Set for unknown keys. */
  unknownKey?: string;
}

export interface DescribeOptions {
  /** Keys allowed in the object at `path`, for did-you-mean hints. */
  allowedKeys(path: readonly PropertyKey[]): readonly string[];
  /** A dedicated message for a known-but-unsupported key, if any. */
  unsupportedKey?(key: string, path: readonly PropertyKey[]): string | undefined;
  /** True where values are secrets: messages then say `<redacted>` instead of quoting them. */
  isSecret?(path: readonly PropertyKey[]): boolean;
}

export function describeIssues(error: z.ZodError, input: unknown, options: DescribeOptions): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = [...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const allowed = options.allowedKeys(path);
      for (const key of issue.keys) {
        const problem = options.unsupportedKey?.(key, path) ?? `unknown field '${key}'${didYouMean(key, allowed)}`;
        problems.push({ path: [...path, key], problem, unknownKey: key });
      }
      continue;
    }
    const secret = options.isSecret?.(path) ?? false;
    problems.push({ path, problem: describeIssue(issue, valueAt(input, path), secret) });
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown, secret: boolean): string {
  const shown = secret ? '<redacted>' : JSON.stringify(value);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return 'missing required field';
      return `expected ${typeName(issue.expected)}, got ${describeType(value)}${secret ? '' : scalarPreview(value)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${shown}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      return `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, got ${shown}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, got ${shown}`;
    case 'invalid_format':
      return issue.message;
    case 'invalid_union':
      return `${issue.message.replace(/^Invalid input$/, 'invalid value')}, got ${describeType(value)}`;
    default:
      return issue.message;
  }
}

function typeName(expected: string): string {
  if (expected === 'int') return 'integer';
  if (expected === 'record' || expected === 'object') return 'mapping';
  if (expected === 'array') return 'list';
  return expected;
}

function scalarPreview(value: unknown): string {
  if (typeof value === 'string') return ` '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return ` ${String(value)}`;
  return '';
}

export function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
