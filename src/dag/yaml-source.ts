/**
 * YAML to plain JSON-like values, remembering the source line of every key and list item.
 *
 * Manifests and config files are validated as plain objects (zod), but every problem must name the line
 * it comes from. The `yaml` package's nodes carry ranges, yet a plain object loses them, and manifests
 * deep-merge a `default:` block into every DAG, so a value's line is the line of whichever block it came
 * from. We therefore convert the document ourselves and keep a side index: for each object or array we
 * produced, the line of each of its keys (or items). Merged objects copy the entries of the side that won.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Scalar, ScalarTag, Tags } from 'yaml';

export type PathSegment = string | number;

interface ContainerLines {
  /** Line where the object/array itself starts. */
  self: number | null;
  /** Line of each key (objects) or item (arrays). */
  entries: Map<PathSegment, number | null>;
}

export interface YamlProblem {
  line: number | null;
  message: string;
}

/** Where each value in a converted document came from. Lookups never throw; unknown means null. */
export class LineIndex {
  private readonly containers = new WeakMap<object, ContainerLines>();

  register(container: object, self: number | null): ContainerLines {
    const lines: ContainerLines = { self, entries: new Map() };
    this.containers.set(container, lines);
    return lines;
  }

  setEntry(container: object, key: PathSegment, line: number | null): void {
    this.containers.get(container)?.entries.set(key, line);
  }

  /**
   * Line of the value at `path` below `container`: the line of the deepest key on the path that we know,
   * or null when not even the first key is known (the caller then falls back to a line of its own).
   */
  lineOf(container: unknown, path: readonly PropertyKey[]): number | null {
    let current: unknown = container;
    let best: number | null = null;
    for (const raw of path) {
      if (current === null || typeof current !== 'object') break;
      const segment = typeof raw === 'symbol' ? String(raw) : raw;
      const entries = this.containers.get(current)?.entries;
      const line = entries?.get(segment) ?? entries?.get(String(segment));
      if (line !== undefined && line !== null) best = line;
      current = (current as Record<PropertyKey, unknown>)[segment];
    }
    return best;
  }

  /** Line where an object or array starts (its first key or item). */
  startLine(container: unknown): number | null {
    return container !== null && typeof container === 'object' ? (this.containers.get(container)?.self ?? null) : null;
  }

  /**
   * Deep merge for dag-factory's `default:` block: objects merge key by key (the `over` side wins),
   * anything else is replaced. Lines follow the winning side, so problems point at the text that set them.
   */
  mergeDeep(base: unknown, over: unknown): unknown {
    if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
    const merged: Record<string, unknown> = {};
    const baseLines = this.containers.get(base);
    const overLines = this.containers.get(over);
    this.register(merged, overLines?.self ?? baseLines?.self ?? null);
    for (const [key, value] of Object.entries(base)) {
      defineEntry(merged, key, value);
      this.setEntry(merged, key, baseLines?.entries.get(key) ?? null);
    }
    for (const [key, value] of Object.entries(over)) {
      const combined = key in merged ? this.mergeDeep(merged[key], value) : value;
      defineEntry(merged, key, combined);
      this.setEntry(merged, key, overLines?.entries.get(key) ?? baseLines?.entries.get(key) ?? null);
    }
    return merged;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Assign without ever invoking the `__proto__` setter: keys come from untrusted files. */
export function defineEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export interface ReadYamlOptions {
  /** '1.1' matches PyYAML (what dag-factory users write for); '1.2' is the core schema. */
  version: '1.1' | '1.2';
  /**
   * Called for every string value (never for keys). Returns the value to keep; may throw a
   * `ScalarTransformError` whose message becomes a problem on that line.
   */
  transformString?: (value: string, scalar: Scalar, path: readonly PathSegment[]) => unknown;
}

export class ScalarTransformError extends Error {}

export interface ReadYamlResult {
  /** `null` for an empty document. */
  value: unknown;
  index: LineIndex;
  problems: YamlProblem[];
}

/** Alias expansion bound: a few anchors can otherwise expand into gigabytes ("billion laughs"). */
const MAX_ALIAS_EXPANSIONS = 10_000;

/**
 * YAML 1.1 as PyYAML reads it (dag-factory files are written for PyYAML), with two adjustments:
 * - timestamps stay strings: YAML 1.1 would make `2025-01-01` a Date at UTC midnight, losing the fact
 *   that it was naive, and naive dates belong to the DAG's timezone, so the DAG parser reads them;
 * - booleans are PyYAML's set (yes/no/true/false/on/off): the spec's `y` and `n` are not booleans in
 *   PyYAML, and a task named `y` must stay a task named `y`.
 */
const PYYAML_BOOL: Readonly<Record<string, RegExp>> = {
  true: /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
  false: /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
};

function pyYamlTags(tags: Tags): Tags {
  return tags
    .filter((tag) => !(typeof tag === 'object' && tag.tag === 'tag:yaml.org,2002:timestamp'))
    .map((tag) => {
      if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag)) return tag;
      return { ...tag, test: PYYAML_BOOL[String(tag.identify?.(true) === true)] } as ScalarTag;
    });
}

export function readYaml(text: string, options: ReadYamlOptions): ReadYamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: options.version,
    uniqueKeys: true,
    prettyErrors: true,
    customTags: options.version === '1.1' ? pyYamlTags : undefined,
  });
  const index = new LineIndex();
  // The first syntax error only, as PyYAML stops there: the parser's later ones are mostly its echoes.
  const problems: YamlProblem[] = doc.errors.slice(0, 1).map((error) => ({
    line: error.linePos?.[0]?.line ?? null,
    message: `YAML syntax error: ${firstLine(error.message)}`,
  }));
  // PyYAML's safe loader refuses a tag it has no constructor for; taking the plain value instead would
  // silently give a different manifest than dag-factory reads.
  for (const warning of doc.warnings) {
    if (warning.code === 'TAG_RESOLVE_FAILED') problems.push({ line: warning.linePos?.[0]?.line ?? null, message: `YAML: ${firstLine(warning.message)}` });
  }
  if (problems.length > 0) return { value: null, index, problems };
  const converter = new Converter(doc, lineCounter, index, options, problems);
  const value = converter.convert(doc.contents, []);
  return { value: value ?? null, index, problems };
}

/** yaml's messages end with a source excerpt; only the first line is ours to show (it may hold secrets). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

class Converter {
  private aliasExpansions = 0;

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly index: LineIndex,
    private readonly options: ReadYamlOptions,
    private readonly problems: YamlProblem[],
  ) {}

  lineOfNode(node: unknown): number | null {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lineCounter.linePos(range[0]).line : null;
  }

  convert(node: YamlNode | null | undefined, path: readonly PathSegment[]): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      this.aliasExpansions += 1;
      if (this.aliasExpansions > MAX_ALIAS_EXPANSIONS) {
        // Said once: every further alias of a bomb would repeat it.
        if (this.aliasExpansions === MAX_ALIAS_EXPANSIONS + 1) this.problem(node, `too many alias expansions (limit ${MAX_ALIAS_EXPANSIONS}): an alias bomb?`);
        return null;
      }
      const target = node.resolve(this.doc);
      if (!target) {
        this.problem(node, `unknown alias *${node.source}`);
        return null;
      }
      return this.convert(target, path);
    }
    if (isScalar(node)) {
      const value: unknown = node.value;
      if (typeof value === 'string' && this.options.transformString) {
        try {
          return this.options.transformString(value, node, path);
        } catch (error) {
          if (error instanceof ScalarTransformError) {
            this.problem(node, error.message);
            return null;
          }
          throw error;
        }
      }
      return value;
    }
    if (isSeq(node)) {
      const items: unknown[] = [];
      const lines = this.index.register(items, this.lineOfNode(node));
      node.items.forEach((item, position) => {
        items.push(this.convert(item as YamlNode | null, [...path, position]));
        lines.entries.set(position, this.lineOfNode(item) ?? lines.self);
      });
      return items;
    }
    if (isMap(node)) return this.convertMap(node.items, this.lineOfNode(node), path);
    this.problem(node, 'unsupported YAML node');
    return null;
  }

  private convertMap(pairs: readonly unknown[], self: number | null, path: readonly PathSegment[]): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const lines = this.index.register(result, self);
    const mergeSources: Array<{ node: YamlNode; line: number | null }> = [];
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyLine = this.lineOfNode(keyNode) ?? this.lineOfNode(pair.value) ?? self;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        // `<<: *anchor` (YAML 1.1 merge key): explicit keys of this map always win, so apply it last.
        if (pair.value) mergeSources.push({ node: pair.value as YamlNode, line: keyLine });
        continue;
      }
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.problem(keyNode ?? pair.value, 'keys must be plain scalars');
        continue;
      }
      const key = String(keyNode.value);
      defineEntry(result, key, this.convert(pair.value as YamlNode | null, [...path, key]));
      lines.entries.set(key, keyLine);
    }
    for (const source of mergeSources) this.applyMerge(result, source.node, source.line, path);
    return result;
  }

  private applyMerge(target: Record<string, unknown>, node: YamlNode, line: number | null, path: readonly PathSegment[]): void {
    // A list of anchors merges in order, earlier ones winning (YAML merge key spec).
    const sources = isSeq(node) ? (node.items as YamlNode[]) : [node];
    for (const source of sources) {
      const merged = this.convert(source, path);
      if (!isPlainObject(merged)) {
        this.problem(source, 'merge key << needs a mapping or a list of mappings');
        continue;
      }
      for (const [key, value] of Object.entries(merged)) {
        if (Object.prototype.hasOwnProperty.call(target, key)) continue;
        defineEntry(target, key, value);
        this.index.setEntry(target, key, this.index.lineOf(merged, [key]) ?? line);
      }
    }
  }

  private problem(node: unknown, message: string): void {
    this.problems.push({ line: this.lineOfNode(node), message });
  }
}
