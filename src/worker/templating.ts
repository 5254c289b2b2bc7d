/**
 * Renders templated operator fields with nunjucks, configured to behave like Airflow's Jinja environment:
 * no HTML autoescaping, an undefined name or attribute fails naming it (Airflow's StrictUndefined),
 * values print as Python would print them, `+`/`-` work on dates and timedeltas, and the `ds`/`ts` family
 * of filters exists. The Python task runner renders Python DAG files' fields with real Jinja; both follow
 * the same rules.
 */
import nunjucks from 'nunjucks';
import { DateTime } from 'luxon';
import { TemplateDateTime } from './template-datetime.js';
import { isPlainMapping } from './template-dict.js';
import { pyStr } from './python-str.js';
import { parseInstant } from './python-datetime.js';
import { pyBinary, pyTypeName } from './template-macros.js';
import { pySlice } from './template-slices.js';

export class TemplateRenderError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TemplateRenderError';
  }
}

export interface RenderOptions {
  /**
   * Airflow's `render_template_as_native_obj`: a string that is exactly one `{{ expression }}` renders to
   * the expression's value (a list stays a list) instead of its text.
   */
  native?: boolean;
}

type Runtime = {
  suppressValue: (value: unknown, autoescape: boolean) => unknown;
  contextOrFrameLookup: (context: unknown, frame: unknown, name: string) => unknown;
  memberLookup: (obj: unknown, key: unknown) => unknown;
  pyBinary?: (op: '+' | '-', left: unknown, right: unknown) => unknown;
  pyTruth?: (value: unknown) => unknown;
  pyOr?: (left: unknown, right: () => unknown) => unknown;
  pyIter?: (value: unknown) => unknown;
  pyIterPairs?: (value: unknown) => unknown;
  pyAnd?: (left: unknown, right: () => unknown) => unknown;
  pySlice?: (value: unknown, start: unknown, stop: unknown, step: unknown) => unknown;
};

/** Jinja's UndefinedError, raised where StrictUndefined raises: printing or using an undefined value. */
export class UndefinedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndefinedError';
  }
}

/**
 * nunjucks prints values with JavaScript's String() and offers no hook to change that, so while one of our
 * templates renders (synchronously, so nothing else can interleave) its output function prints Python's
 * str() instead. Other users of nunjucks in the same process are untouched: the flag is off for them.
 */
let pythonStyleRenders = 0;
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
const originalSuppressValue = runtime.suppressValue;
runtime.suppressValue = function pythonStyleSuppressValue(value: unknown, autoescape: boolean): unknown {
  if (pythonStyleRenders > 0 && !autoescape) {
    if (value === undefined) throw new UndefinedError(lastUndefined ?? 'an undefined value was printed');
    return pyStr(value);
  }
  return originalSuppressValue(value, autoescape);
};

/**
 * StrictUndefined: nunjucks yields `undefined` for a missing name or attribute and prints it as ''. While
 * one of our templates renders, each miss is remembered with Jinja's message, and printing it, testing
 * its truth (`{% if missing %}`) or looking an attribute up on it throws that message. Tests
 * (`is defined`) and the `default` filter still see a plain undefined, as with Jinja.
 */
let lastUndefined: string | null = null;
const originalLookup = runtime.contextOrFrameLookup;
runtime.contextOrFrameLookup = function strictLookup(context: unknown, frame: unknown, name: string): unknown {
  const value = originalLookup(context, frame, name);
  if (value === undefined && pythonStyleRenders > 0) lastUndefined = `'${name}' is undefined`;
  return value;
};
const originalMemberLookup = runtime.memberLookup;
runtime.memberLookup = function strictMemberLookup(obj: unknown, key: unknown): unknown {
  if (pythonStyleRenders === 0) return originalMemberLookup(obj, key);
  if (obj === undefined) throw new UndefinedError(lastUndefined ?? `'${String(key)}' is undefined`);
  if (obj === null) throw new UndefinedError(`'None' has no attribute '${String(key)}'`);
  // Python's negative indexes (`xs[-1]`, `ds[-2]`).
  if (typeof key === 'number' && key < 0 && (Array.isArray(obj) || typeof obj === 'string')) key = obj.length + key;
  const raw = (obj as Record<string, unknown>)[String(key)];
  // A callable with attributes (`macros.datetime` and `macros.datetime.now()`): nunjucks would wrap it in
  // a bound function without them. It never needs `this`.
  if (typeof raw === 'function' && Object.keys(raw).length > 0) return raw;
  const value = originalMemberLookup(obj, key);
  if (value === undefined) lastUndefined = `'${pyTypeName(obj)}' has no attribute '${String(key)}'`;
  return value;
};

/**
 * `x[a:b:c]` (template-slices.ts parses it): Python's slice. An undefined `x` raises (StrictUndefined); an
 * undefined bound is Jinja's TypeError on the slice, which pySlice raises.
 */
runtime.pySlice = (value, start, stop, step) => {
  if (value === undefined) throw new UndefinedError(lastUndefined ?? 'an undefined value was sliced');
  return pySlice(value, start, stop, step, (v) => (v === null ? 'NoneType' : pyTypeName(v).replace(/ object$/, '')));
};

/**
 * Python's `+`/`-` (dates, timedeltas, lists): nunjucks compiles `a + b` to JavaScript's `+`; the
 * compiler is taught to emit `runtime.pyBinary('+', a, b)`, which keeps JavaScript's result for every
 * other operand, so other nunjucks users in the process see no difference.
 */
runtime.pyBinary = (op, left, right) =>
  pythonStyleRenders > 0 ? pyBinary(op, left, right) : op === '+' ? (left as number) + (right as number) : (left as number) - (right as number);
type CompilerPrototype = {
  compile(node: unknown, frame: unknown): void;
  _compileExpression(node: unknown, frame: unknown): void;
  _emit(code: string): void;
};
const compilerProto = (nunjucks as unknown as { compiler: { Compiler: { prototype: Record<string, unknown> } } }).compiler.Compiler.prototype;
/**
 * Python's truth in `{% if %}`, `x if c else y` and `not`: empty lists and dicts are false (JavaScript
 * finds every object true), and an undefined value raises (StrictUndefined). nunjucks' own compilers run
 * unchanged; only the condition's code is wrapped in `runtime.pyTruth(...)`.
 */
runtime.pyTruth = (value) => (pythonStyleRenders > 0 ? pythonTruth(value) : value);

function pythonTruth(value: unknown): boolean {
  if (value === undefined) throw new UndefinedError(lastUndefined ?? 'an undefined value was tested');
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainMapping(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/**
 * Makes nunjucks' own compiler for `method` wrap one child expression in `runtime.<helper>(...)`; `pick`
 * names the child and the helper for a node. An own property shadows the prototype's `via` method while
 * this node compiles; nested nodes install and remove their own, after this child is already emitted.
 */
function wrapChild(method: string, via: '_compileExpression' | 'compile', pick: (node: Record<string, unknown>) => [unknown, string]): void {
  const original = compilerProto[method] as (this: CompilerPrototype, node: Record<string, unknown>, frame: unknown, async?: boolean) => void;
  compilerProto[method] = function (this: CompilerPrototype, node: Record<string, unknown>, frame: unknown, async?: boolean): void {
    const [target, helper] = pick(node);
    const compileNode = (compilerProto[via] as CompilerPrototype['compile']).bind(this);
    (this as unknown as Record<string, unknown>)[via] = (child: unknown, childFrame: unknown) => {
      if (child !== target) return compileNode(child, childFrame);
      this._emit(`runtime.${helper}(`);
      compileNode(child, childFrame);
      this._emit(')');
    };
    try {
      original.call(this, node, frame, async);
    } finally {
      delete (this as unknown as Record<string, unknown>)[via];
    }
  };
}
wrapChild('compileIf', '_compileExpression', (node) => [node['cond'], 'pyTruth']);
wrapChild('compileInlineIf', 'compile', (node) => [node['cond'], 'pyTruth']);

/**
 * `{% for k in mapping %}` iterates the keys, as in Python (nunjucks walks only arrays with one loop
 * variable); `{% for k, v in mapping %}` stays nunjucks' own. A missing iterable raises (StrictUndefined).
 */
const ArrayNode = (nunjucks as unknown as { nodes: { Array: abstract new (...args: never[]) => unknown } }).nodes.Array;
function iterable(value: unknown, keysOfMappings: boolean): unknown {
  if (pythonStyleRenders === 0) return value;
  if (value === undefined) throw new UndefinedError(lastUndefined ?? 'an undefined value was iterated');
  return keysOfMappings && isPlainMapping(value) ? Object.keys(value) : value;
}
runtime.pyIter = (value) => iterable(value, true);
runtime.pyIterPairs = (value) => iterable(value, false);
wrapChild('compileFor', '_compileExpression', (node) => [node['arr'], node['name'] instanceof ArrayNode ? 'pyIterPairs' : 'pyIter']);
/** Python's `and`/`or` return an operand chosen by Python's truth (`[] or 'x'` is `'x'`). */
runtime.pyOr = (left, right) => (pythonStyleRenders > 0 ? (pythonTruth(left) ? left : right()) : left || right());
runtime.pyAnd = (left, right) => (pythonStyleRenders > 0 ? (pythonTruth(left) ? right() : left) : left && right());
for (const [method, helper] of [['compileOr', 'pyOr'], ['compileAnd', 'pyAnd']] as const) {
  compilerProto[method] = function (this: CompilerPrototype, node: { left: unknown; right: unknown }, frame: unknown): void {
    // The right operand stays lazy, as in both languages.
    this._emit(`runtime.${helper}(`);
    this.compile(node.left, frame);
    this._emit(', function() { return ');
    this.compile(node.right, frame);
    this._emit('; })');
  };
}
compilerProto['compileNot'] = function (this: CompilerPrototype, node: { target: unknown }, frame: unknown): void {
  this._emit('!runtime.pyTruth(');
  this.compile(node.target, frame);
  this._emit(')');
};

for (const [method, op] of [['compileAdd', '+'], ['compileSub', '-']] as const) {
  compilerProto[method] = function (this: CompilerPrototype, node: { left: unknown; right: unknown }, frame: unknown): void {
    this._emit(`runtime.pyBinary('${op}', `);
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
  };
}

function asDateTime(value: unknown): TemplateDateTime {
  if (value instanceof TemplateDateTime) return value;
  if (DateTime.isDateTime(value)) return new TemplateDateTime(value);
  if (value instanceof Date) return new TemplateDateTime(DateTime.fromJSDate(value).toUTC());
  if (typeof value === 'string') return new TemplateDateTime(parseInstant(value));
  throw new TemplateRenderError(`Expected a datetime, got ${pyStr(value)}`);
}

const NATIVE_SLOT = '__native_result__';

function createEnvironment(): nunjucks.Environment {
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  // Airflow's filters (airflow/templates.py), through the datetime's own methods so a naive one keeps
  // its offset-less form (`ts` is its isoformat()).
  const dateFilters: Record<string, (dt: TemplateDateTime) => string> = {
    ds: (dt) => dt.strftime('%Y-%m-%d'),
    ds_nodash: (dt) => dt.strftime('%Y%m%d'),
    ts: (dt) => dt.isoformat(),
    ts_nodash: (dt) => dt.strftime('%Y%m%dT%H%M%S'),
    ts_nodash_with_tz: (dt) => dt.isoformat().replaceAll('-', '').replaceAll(':', ''),
  };
  for (const [name, format] of Object.entries(dateFilters)) {
    // Jinja's Airflow filters return '' for None rather than failing.
    env.addFilter(name, (value: unknown) => (value === null || value === undefined || value === '' ? '' : format(asDateTime(value))));
  }
  // Jinja spells its constants both ways; nunjucks only knows the lowercase ones.
  env.addGlobal('True', true);
  env.addGlobal('False', false);
  env.addGlobal('None', null);
  env.addFilter('string', (value: unknown) => pyStr(value));
  env.addFilter('tojson', (value: unknown) => JSON.stringify(value ?? null));
  // Captures the value of a whole-template expression for native rendering (see renderNative).
  env.addFilter('__native_capture__', function (this: { ctx: Record<string, unknown> }, value: unknown) {
    const slot = this.ctx[NATIVE_SLOT] as { value: unknown } | undefined;
    if (slot) slot.value = value;
    return '';
  });
  return env;
}

const environment = createEnvironment();

function renderText(template: string, context: object): string {
  pythonStyleRenders++;
  try {
    return environment.renderString(template, context);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\(unknown path\)\s*/g, '').replace(/\s+/g, ' ').trim() : String(error);
    throw new TemplateRenderError(`Template error in '${template.length > 80 ? template.slice(0, 77) + '...' : template}': ${message}`, { cause: error });
  } finally {
    pythonStyleRenders--;
  }
}

/** `{{ expr }}` and nothing else (no second expression, no statements), or null. */
function wholeExpression(template: string): string | null {
  const match = /^\s*\{\{-?([\s\S]*?)-?\}\}\s*$/.exec(template);
  if (!match) return null;
  const inner = match[1] ?? '';
  return inner.includes('{{') || inner.includes('}}') || inner.includes('{%') ? null : inner;
}

/** True when a string has Jinja syntax; a string without any renders as itself. */
export function hasTemplateSyntax(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

function renderString(template: string, context: Record<string, unknown>, options: RenderOptions): unknown {
  if (!hasTemplateSyntax(template)) return template;
  const expression = options.native ? wholeExpression(template) : null;
  if (expression === null) return renderText(template, context);
  const slot: { value: unknown } = { value: undefined };
  renderText(`{{ (${expression}) | __native_capture__ }}`, { ...context, [NATIVE_SLOT]: slot });
  // Plain JSON from here on: the value travels to a Python process or into an XCom file.
  return slot.value === undefined ? null : (JSON.parse(JSON.stringify(slot.value)) as unknown);
}

/**
 * Renders a templated field: strings are templates; lists and mappings are rendered item by item (values
 * only, never keys, as Airflow does); anything else is returned unchanged. Throws TemplateRenderError.
 */
export function renderTemplate(value: unknown, context: Record<string, unknown>, options: RenderOptions = {}): unknown {
  if (typeof value === 'string') return renderString(value, context, options);
  if (Array.isArray(value)) return value.map((item) => renderTemplate(item, context, options));
  if (isPlainMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderTemplate(item, context, options);
    return out;
  }
  return value;
}
