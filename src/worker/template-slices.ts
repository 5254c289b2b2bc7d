/**
 * Python slices in YAML templates (`{{ ds[:4] }}`, `{{ xs[1:-1] }}`, `{{ s[::-1] }}`): nunjucks only
 * parses `x[i]`, so its parser is taught `x[start:stop:step]`, which compiles to `runtime.pySlice(...)`.
 * A subscript without a colon parses exactly as before, so other nunjucks users in the process see no
 * difference (a slice was a syntax error for them).
 */
import nunjucks from 'nunjucks';

type Token = { type: string; value: string; lineno: number; colno: number };
type AstNode = Record<string, unknown>;
type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => AstNode;
type ParserPrototype = {
  peekToken(): Token | null;
  nextToken(): Token;
  skip(type: string): boolean;
  fail(message: string, lineno?: number, colno?: number): never;
  parseExpression(): AstNode;
  parseSignature(): AstNode;
  parsePostfix(node: AstNode): AstNode;
};
type CompilerPrototype = { compile(node: unknown, frame: unknown): void; _emit(code: string): void };

const lib = nunjucks as unknown as {
  lexer: Record<string, string>;
  nodes: { Node: { extend(name: string, props: object): NodeClass } } & Record<string, NodeClass>;
  parser: { Parser: { prototype: ParserPrototype } };
  compiler: { Compiler: { prototype: Record<string, unknown> } };
  runtime: Record<string, unknown>;
};
const { lexer, nodes } = lib;
const TOKEN = {
  leftParen: lexer['TOKEN_LEFT_PAREN'] ?? 'left-paren',
  leftBracket: lexer['TOKEN_LEFT_BRACKET'] ?? 'left-bracket',
  rightBracket: lexer['TOKEN_RIGHT_BRACKET'] ?? 'right-bracket',
  colon: lexer['TOKEN_COLON'] ?? 'colon',
  operator: lexer['TOKEN_OPERATOR'] ?? 'operator',
  symbol: lexer['TOKEN_SYMBOL'] ?? 'symbol',
};
const { FunCall, LookupVal, Literal } = nodes as unknown as Record<'FunCall' | 'LookupVal' | 'Literal', NodeClass>;
const PySlice = nodes.Node.extend('PySlice', { fields: ['target', 'start', 'stop', 'step'] });

export class SliceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** `[` already peeked: an index (`LookupVal`, as nunjucks builds it) or a slice (`PySlice`). */
function parseSubscript(parser: ParserPrototype, target: AstNode): AstNode {
  const open = parser.nextToken();
  const parts: Array<AstNode | null> = [null];
  for (;;) {
    if (parser.skip(TOKEN.rightBracket)) break;
    if (parser.skip(TOKEN.colon)) {
      if (parts.length === 3) parser.fail('invalid slice: too many colons', open.lineno, open.colno);
      parts.push(null);
      continue;
    }
    if (parts[parts.length - 1] !== null) parser.fail('invalid index', open.lineno, open.colno);
    parts[parts.length - 1] = parser.parseExpression();
  }
  if (parts.length === 1) {
    if (parts[0] === null) parser.fail('expected an index or a slice', open.lineno, open.colno);
    return new LookupVal(open.lineno, open.colno, target, parts[0]);
  }
  const orNull = (part: AstNode | null | undefined) => part ?? new Literal(open.lineno, open.colno, null);
  return new PySlice(open.lineno, open.colno, target, orNull(parts[0]), orNull(parts[1]), orNull(parts[2]));
}

/** nunjucks' parsePostfix (calls, `.name`, `[index]`), with `[start:stop:step]` added. */
lib.parser.Parser.prototype.parsePostfix = function parsePostfix(this: ParserPrototype, node: AstNode): AstNode {
  for (let tok = this.peekToken(); tok; tok = this.peekToken()) {
    if (tok.type === TOKEN.leftParen) {
      node = new FunCall(tok.lineno, tok.colno, node, this.parseSignature());
    } else if (tok.type === TOKEN.leftBracket) {
      node = parseSubscript(this, node);
    } else if (tok.type === TOKEN.operator && tok.value === '.') {
      this.nextToken();
      const name = this.nextToken();
      if (name.type !== TOKEN.symbol) this.fail(`expected name as lookup value, got ${name.value}`, name.lineno, name.colno);
      node = new LookupVal(tok.lineno, tok.colno, node, new Literal(name.lineno, name.colno, name.value));
    } else {
      break;
    }
  }
  return node;
};

// nunjucks checks an expression's node type against its own list before compiling it.
const compilerProto = lib.compiler.Compiler.prototype;
const originalAssertType = compilerProto['assertType'] as (this: unknown, node: unknown, ...types: unknown[]) => void;
compilerProto['assertType'] = function assertType(this: unknown, node: unknown, ...types: unknown[]): void {
  if (node instanceof PySlice) return;
  originalAssertType.call(this, node, ...types);
};

compilerProto['compilePySlice'] = function compilePySlice(this: CompilerPrototype, node: AstNode, frame: unknown): void {
  this._emit('runtime.pySlice(');
  for (const [i, field] of (['target', 'start', 'stop', 'step'] as const).entries()) {
    if (i > 0) this._emit(', ');
    this.compile(node[field], frame);
  }
  this._emit(')');
};

/** A missing bound is null (the parser's literal); an undefined name is not an index, as in Jinja. */
function sliceIndex(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new SliceError('slice indices must be integers or None or have an __index__ method');
}

/** Python's `value[start:stop:step]` on a str or a list; `typeName` names other values in the error. */
export function pySlice(value: unknown, start: unknown, stop: unknown, step: unknown, typeName: (value: unknown) => string): unknown {
  const isString = typeof value === 'string';
  if (!isString && !Array.isArray(value)) {
    const name = typeName(value);
    throw new SliceError(name === 'dict' ? "a dict cannot be sliced (unhashable type: 'slice')" : `'${name}' object is not subscriptable`);
  }
  const items: unknown[] = isString ? Array.from(value) : (value as unknown[]);
  const length = items.length;
  const by = sliceIndex(step) ?? 1;
  if (by === 0) throw new SliceError('slice step cannot be zero');
  // CPython's PySlice_AdjustIndices: clamp to the sequence, counting negatives from the end.
  const [lower, upper] = by > 0 ? [0, length] : [-1, length - 1];
  const clamp = (index: number | null, fallback: number): number =>
    index === null ? fallback : index < 0 ? Math.max(index + length, lower) : Math.min(index, upper);
  const from = clamp(sliceIndex(start), by > 0 ? lower : upper);
  const to = clamp(sliceIndex(stop), by > 0 ? upper : lower);
  const out: unknown[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(items[i]);
  return isString ? out.join('') : out;
}
