"""A small Jinja stand-in for machines without jinja2 (the runtime is stdlib only at its core).

It covers the Jinja that DAG files use in templated fields: `{{ expr }}` with attribute and item access,
calls, filters and tests, string/number/list/dict/tuple literals, arithmetic, `~`, comparisons,
`and`/`or`/`not`, `in`, conditional expressions; `{% if/elif/else %}`, `{% for ... in ... [if ...] %}`
with `loop` and `{% else %}`, `{% set %}` (also the block form), `{% do %}`, `{% raw %}`; `{# #}`
comments; `-` whitespace control. Undefined names fail as Jinja's StrictUndefined does, with Jinja's
messages. `native=True` renders like jinja2.nativetypes.NativeEnvironment. Anything else (macros,
inheritance, includes) is a TemplateSyntaxError naming the tag, never a silent difference.
"""
import ast
import json
import os
import re

__all__ = ["Environment", "Template", "TemplateError", "TemplateSyntaxError", "UndefinedError", "TemplateNotFound"]


class TemplateError(Exception):
    pass


class TemplateSyntaxError(TemplateError):
    pass


class UndefinedError(TemplateError):
    pass


class TemplateNotFound(TemplateError):
    pass


class SecurityError(TemplateError):
    pass


def _type_repr(value):
    """Jinja's object_type_repr: `'dict object'`, `'None'`."""
    if value is None:
        return "None"
    if value is Ellipsis:
        return "Ellipsis"
    cls = type(value)
    if cls.__module__ == "builtins":
        return "%s object" % cls.__name__
    return "%s.%s object" % (cls.__module__, cls.__name__)


# --- lexing ------------------------------------------------------------------------------------------

_TAG = re.compile(r"(\{\{|\{%|\{#)(-|\+)?")
_EXPR_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>\d+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>\*\*|//|==|!=|<=|>=|[-+*/%~<>()\[\]{},.:|=])
""", re.X | re.S)


def _tokenize_expr(source, where):
    tokens = []
    pos = 0
    while pos < len(source):
        match = _EXPR_TOKEN.match(source, pos)
        if not match:
            raise TemplateSyntaxError("unexpected char %r at %d" % (source[pos], where + pos))
        pos = match.end()
        kind = match.lastgroup
        if kind == "ws":
            continue
        text = match.group()
        if kind == "float":
            tokens.append(("const", float(text)))
        elif kind == "int":
            tokens.append(("const", int(text)))
        elif kind == "string":
            tokens.append(("string", ast.literal_eval(text)))
        elif kind == "name":
            tokens.append(("name", text))
        else:
            tokens.append(("op", text))
    tokens.append(("end", None))
    return tokens


def _lex(source):
    """[(kind, payload)] with kind in text/var/block; comments dropped; whitespace control applied."""
    parts = []
    pos = 0
    strip_next = False
    closers = {"{{": "}}", "{%": "%}", "{#": "#}"}
    while True:
        match = _TAG.search(source, pos)
        if not match:
            text = source[pos:]
            if strip_next:
                text = text.lstrip()
            if text:
                parts.append(["text", text])
            break
        text = source[pos:match.start()]
        if strip_next:
            text = text.lstrip()
        opener, modifier = match.group(1), match.group(2)
        if modifier == "-":
            text = text.rstrip()
        if text:
            parts.append(["text", text])
        closer = closers[opener]
        start = match.end()
        if opener == "{#":
            end = source.find("#}", start)
            if end < 0:
                raise TemplateSyntaxError("missing end of comment tag")
            strip_next = source[end - 1] == "-" if end > start else False
            pos = end + 2
            continue
        end = _find_closer(source, start, closer)
        inner = source[start:end]
        strip_next = inner.endswith("-")
        if inner.endswith("-") or inner.endswith("+"):
            inner = inner[:-1]
        pos = end + 2
        if opener == "{%" and re.match(r"\s*raw\s*$", inner):
            raw_end = re.compile(r"\{%(-)?\s*endraw\s*(-)?%\}").search(source, pos)
            if not raw_end:
                raise TemplateSyntaxError("missing endraw")
            text = source[pos:raw_end.start()]
            if strip_next:
                text = text.lstrip()
            if raw_end.group(1):
                text = text.rstrip()
            parts.append(["text", text])
            strip_next = bool(raw_end.group(2))
            pos = raw_end.end()
            continue
        parts.append(["var" if opener == "{{" else "block", inner, start])
    return parts


def _find_closer(source, start, closer):
    """The closing `}}`/`%}`, skipping string literals that contain it."""
    pos = start
    quote = None
    while pos < len(source):
        char = source[pos]
        if quote:
            if char == "\\":
                pos += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif source.startswith(closer, pos):
            return pos
        pos += 1
    raise TemplateSyntaxError("unexpected end of template, expected %r" % closer)


# --- expressions -------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset=0):
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, kind, value=None):
        token = self.peek()
        return token[0] == kind and (value is None or token[1] == value)

    def at_name(self, *names):
        token = self.peek()
        return token[0] == "name" and token[1] in names

    def accept(self, kind, value=None):
        if self.at(kind, value):
            return self.next()
        return None

    def expect(self, kind, value=None):
        token = self.next()
        if token[0] != kind or (value is not None and token[1] != value):
            wanted = value if value is not None else kind
            got = token[1] if token[0] != "end" else "end of statement"
            raise TemplateSyntaxError("expected %r, got %r" % (wanted, got))
        return token

    def done(self):
        if not self.at("end"):
            raise TemplateSyntaxError("unexpected %r" % (self.peek()[1],))

    # precedence climbing, as Jinja's parser does it
    def expression(self, with_condexpr=True):
        node = self.or_expr()
        if with_condexpr and self.at_name("if"):
            self.next()
            test = self.or_expr()
            otherwise = self.expression() if self.accept("name", "else") else ("undefined_else",)
            return ("cond", test, node, otherwise)
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.accept("name", "or"):
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.accept("name", "and"):
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.accept("name", "not"):
            return ("not", self.not_expr())
        return self.compare()

    def compare(self):
        node = self.math1()
        ops = []
        while True:
            token = self.peek()
            if token[0] == "op" and token[1] in ("==", "!=", "<", ">", "<=", ">="):
                self.next()
                ops.append((token[1], self.math1()))
            elif self.at_name("in"):
                self.next()
                ops.append(("in", self.math1()))
            elif self.at_name("not") and self.peek(1) == ("name", "in"):
                self.next()
                self.next()
                ops.append(("notin", self.math1()))
            else:
                break
        return ("compare", node, ops) if ops else node

    def math1(self):
        node = self.concat()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            node = ("binop", self.next()[1], node, self.concat())
        return node

    def concat(self):
        node = self.math2()
        while self.accept("op", "~"):
            node = ("concat", node, self.math2())
        return node

    def math2(self):
        node = self.pow()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "//", "%"):
            node = ("binop", self.next()[1], node, self.pow())
        return node

    def pow(self):
        node = self.unary()
        while self.accept("op", "**"):
            node = ("binop", "**", node, self.unary())
        return node

    def unary(self, with_filter=True):
        if self.accept("op", "-"):
            node = ("neg", self.unary(False))
        elif self.accept("op", "+"):
            node = ("pos", self.unary(False))
        else:
            node = self.primary()
        node = self.postfix(node)
        if with_filter:
            node = self.filters_and_tests(node)
        return node

    def primary(self):
        kind, value = self.next()
        if kind == "name":
            if value in ("true", "True"):
                return ("const", True)
            if value in ("false", "False"):
                return ("const", False)
            if value in ("none", "None"):
                return ("const", None)
            return ("name", value)
        if kind == "string":
            while self.at("string"):
                value += self.next()[1]
            return ("const", value)
        if kind == "const":
            return ("const", value)
        if kind == "op" and value == "(":
            if self.accept("op", ")"):
                return ("tuple", [])
            first = self.expression()
            if self.accept("op", ")"):
                return first
            items = [first]
            while self.accept("op", ","):
                if self.at("op", ")"):
                    break
                items.append(self.expression())
            self.expect("op", ")")
            return ("tuple", items)
        if kind == "op" and value == "[":
            items = []
            while not self.at("op", "]"):
                items.append(self.expression())
                if not self.accept("op", ","):
                    break
            self.expect("op", "]")
            return ("list", items)
        if kind == "op" and value == "{":
            pairs = []
            while not self.at("op", "}"):
                key = self.expression()
                self.expect("op", ":")
                pairs.append((key, self.expression()))
                if not self.accept("op", ","):
                    break
            self.expect("op", "}")
            return ("dict", pairs)
        raise TemplateSyntaxError("unexpected %r" % (value if kind != "end" else "end of statement",))

    def postfix(self, node):
        while True:
            if self.accept("op", "."):
                kind, value = self.next()
                if kind == "name":
                    node = ("getattr", node, value)
                elif kind == "const" and isinstance(value, int):
                    node = ("getitem", node, ("const", value))
                else:
                    raise TemplateSyntaxError("expected name or number after '.'")
            elif self.accept("op", "["):
                node = ("getitem", node, self.subscript())
                self.expect("op", "]")
            elif self.at("op", "("):
                node = ("call", node) + self.call_args()
            else:
                return node

    def subscript(self):
        parts = [None, None, None]
        index = 0
        if not self.at("op", ":"):
            parts[0] = self.expression()
            if not self.at("op", ":"):
                return parts[0]
        while self.accept("op", ":"):
            index += 1
            if index > 2:
                raise TemplateSyntaxError("invalid slice")
            if not self.at("op", ":") and not self.at("op", "]"):
                parts[index] = self.expression()
        return ("slice", parts)

    def call_args(self):
        self.expect("op", "(")
        args, kwargs, star, dstar = [], [], None, None
        while not self.at("op", ")"):
            if self.accept("op", "**"):
                dstar = self.expression()
            elif self.accept("op", "*"):
                star = self.expression()
            elif self.at("name") and self.peek(1) == ("op", "="):
                name = self.next()[1]
                self.next()
                kwargs.append((name, self.expression()))
            else:
                args.append(self.expression())
            if not self.accept("op", ","):
                break
        self.expect("op", ")")
        return (args, kwargs, star, dstar)

    def filters_and_tests(self, node):
        while True:
            if self.accept("op", "|"):
                name = self.expect("name")[1]
                while self.accept("op", "."):
                    name += "." + self.expect("name")[1]
                args = self.call_args() if self.at("op", "(") else ([], [], None, None)
                node = ("filter", node, name) + args
            elif self.at_name("is"):
                self.next()
                negated = bool(self.accept("name", "not"))
                name = self.expect("name")[1]
                if self.at("op", "("):
                    args = self.call_args()
                elif self.peek()[0] in ("const", "string", "name") and not self.at_name(
                        "and", "or", "else", "if", "in", "is", "not"):
                    args = ([self.unary(False)], [], None, None)
                else:
                    args = ([], [], None, None)
                node = ("test", node, name, negated) + args
            else:
                return node

    def assign_target(self):
        names = [self.expect("name")[1]]
        if self.at("op", "."):
            self.next()
            return ("attr", names[0], self.expect("name")[1])
        while self.accept("op", ","):
            names.append(self.expect("name")[1])
        return ("names", names)


# --- statements --------------------------------------------------------------------------------------

def _parse_expr(source, offset=0):
    parser = _Parser(_tokenize_expr(source, offset))
    node = parser.expression()
    parser.done()
    return node


def _parse(parts):
    """Nested node lists from the lexer's flat parts."""
    pos = 0

    def block(ends):
        nonlocal pos
        body = []
        while pos < len(parts):
            part = parts[pos]
            kind = part[0]
            if kind == "text":
                body.append(("text", part[1]))
                pos += 1
                continue
            if kind == "var":
                body.append(("output", _parse_expr(part[1], part[2])))
                pos += 1
                continue
            source = part[1].strip()
            tag = source.split(None, 1)[0] if source else ""
            rest = source[len(tag):].strip()
            if tag in ends:
                return body, tag, rest
            pos += 1
            if tag == "if":
                branches = [(_parse_expr(rest), None)]
                bodies = []
                while True:
                    inner, end, end_rest = block(("elif", "else", "endif"))
                    bodies.append(inner)
                    pos += 1
                    if end == "elif":
                        branches.append((_parse_expr(end_rest), None))
                    elif end == "else":
                        otherwise, _, _ = block(("endif",))
                        pos += 1
                        body.append(("if", [(t, b) for (t, _), b in zip(branches, bodies)], otherwise))
                        break
                    else:
                        body.append(("if", [(t, b) for (t, _), b in zip(branches, bodies)], []))
                        break
            elif tag == "for":
                parser = _Parser(_tokenize_expr(rest, 0))
                target = parser.assign_target()
                parser.expect("name", "in")
                iterable = parser.expression(with_condexpr=False)
                condition = parser.expression() if parser.accept("name", "if") else None
                recursive = bool(parser.accept("name", "recursive"))
                parser.done()
                if recursive:
                    raise TemplateSyntaxError("recursive for loops are not supported by the stand-in renderer")
                inner, end, _ = block(("else", "endfor"))
                pos += 1
                otherwise = []
                if end == "else":
                    otherwise, _, _ = block(("endfor",))
                    pos += 1
                body.append(("for", target, iterable, condition, inner, otherwise))
            elif tag == "set":
                parser = _Parser(_tokenize_expr(rest, 0))
                target = parser.assign_target()
                if parser.accept("op", "="):
                    value = parser.expression()
                    if parser.at("op", ","):
                        items = [value]
                        while parser.accept("op", ","):
                            if parser.at("end"):
                                break
                            items.append(parser.expression())
                        value = ("tuple", items)
                    parser.done()
                    body.append(("set", target, value))
                else:
                    filters = []
                    while parser.accept("op", "|"):
                        filters.append(parser.expect("name")[1])
                    parser.done()
                    inner, _, _ = block(("endset",))
                    pos += 1
                    body.append(("setblock", target, inner, filters))
            elif tag == "do":
                body.append(("do", _parse_expr(rest)))
            else:
                known = {"elif", "else", "endif", "endfor", "endset"}
                if tag in known:
                    raise TemplateSyntaxError("unexpected '%s'" % tag)
                raise TemplateSyntaxError("the '%s' tag is not supported by the stand-in Jinja renderer "
                                          "(install jinja2 for it)" % tag)
        if ends:
            raise TemplateSyntaxError("unexpected end of template, expected %s" % " or ".join("'%s'" % e for e in ends))
        return body, None, None

    body, _, _ = block(())
    return body


# --- evaluation --------------------------------------------------------------------------------------

class _Loop:
    def __init__(self, length):
        self.length = length
        self.index0 = 0

    index = property(lambda self: self.index0 + 1)
    revindex = property(lambda self: self.length - self.index0)
    revindex0 = property(lambda self: self.length - self.index0 - 1)
    first = property(lambda self: self.index0 == 0)
    last = property(lambda self: self.index0 == self.length - 1)

    def cycle(self, *values):
        return values[self.index0 % len(values)]


class Namespace:
    def __init__(self, **attrs):
        self.__dict__.update(attrs)


def _safe_attr(name):
    if name.startswith("__") or name in ("func_globals", "gi_frame", "f_globals", "mro"):
        raise SecurityError("access to attribute %r is unsafe" % name)


class _Undefined(Exception):
    """Raised inside evaluation for a missing value; tests like `is defined` catch it."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _getattr(obj, name):
    _safe_attr(name)
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError):
        raise _Undefined("%r has no attribute %r" % (_type_repr(obj), name)) from None


def _getitem(obj, key):
    try:
        return obj[key]
    except (TypeError, LookupError):
        if isinstance(key, str):
            _safe_attr(key)
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        raise _Undefined("%r has no attribute %r" % (_type_repr(obj), key)) from None


class _Evaluator:
    def __init__(self, env, scopes):
        self.env = env
        self.scopes = scopes

    def lookup(self, name):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.env.globals:
            return self.env.globals[name]
        raise _Undefined("%r is undefined" % name)

    def eval(self, node):
        kind = node[0]
        method = getattr(self, "_" + kind)
        return method(node)

    def value(self, node):
        """Evaluation where an undefined value is an error (StrictUndefined)."""
        try:
            return self.eval(node)
        except _Undefined as undefined:
            raise UndefinedError(undefined.message) from None

    def _const(self, node):
        return node[1]

    def _name(self, node):
        return self.lookup(node[1])

    def _tuple(self, node):
        return tuple(self.eval(item) for item in node[1])

    def _list(self, node):
        return [self.eval(item) for item in node[1]]

    def _dict(self, node):
        return {self.eval(k): self.eval(v) for k, v in node[1]}

    def _getattr(self, node):
        return _getattr(self.eval(node[1]), node[2])

    def _getitem(self, node):
        target = self.eval(node[1])
        key_node = node[2]
        if key_node[0] == "slice":
            parts = [None if p is None else self.eval(p) for p in key_node[1]]
            return target[slice(*parts)]
        return _getitem(target, self.eval(key_node))

    def _slice(self, node):
        raise TemplateSyntaxError("slice outside of a subscript")

    def _arguments(self, args, kwargs, star, dstar):
        values = [self.eval(a) for a in args]
        if star is not None:
            values.extend(self.eval(star))
        named = {name: self.eval(v) for name, v in kwargs}
        if dstar is not None:
            named.update(self.eval(dstar))
        return values, named

    def _call(self, node):
        function = self.eval(node[1])
        if not callable(function):
            raise TemplateError("%r object is not callable" % _type_repr(function))
        args, kwargs = self._arguments(*node[2:6])
        return function(*args, **kwargs)

    def _filter(self, node):
        name = node[2]
        function = self.env.filters.get(name)
        if function is None:
            raise TemplateError("No filter named %r." % name)
        args, kwargs = self._arguments(*node[3:7])
        if name in ("default", "d"):
            try:
                value = self.eval(node[1])
            except _Undefined:
                return args[0] if args else kwargs.get("default_value", "")
            return function(value, *args, **kwargs)
        return function(self.eval(node[1]), *args, **kwargs)

    def _test(self, node):
        name, negated = node[2], node[3]
        if name in ("defined", "undefined"):
            try:
                self.eval(node[1])
                result = name == "defined"
            except _Undefined:
                result = name == "undefined"
        else:
            function = _TESTS.get(name)
            if function is None:
                raise TemplateError("No test named %r." % name)
            args, kwargs = self._arguments(*node[4:8])
            result = function(self.eval(node[1]), *args, **kwargs)
        return not result if negated else bool(result)

    def _cond(self, node):
        if self.eval(node[1]):
            return self.eval(node[2])
        if node[3][0] == "undefined_else":
            raise _Undefined("the inline if-expression on line 1 evaluated to false and no else section was defined.")
        return self.eval(node[3])

    def _undefined_else(self, node):
        raise _Undefined("no else section")

    def _or(self, node):
        return self.eval(node[1]) or self.eval(node[2])

    def _and(self, node):
        return self.eval(node[1]) and self.eval(node[2])

    def _not(self, node):
        return not self.eval(node[1])

    def _neg(self, node):
        return -self.eval(node[1])

    def _pos(self, node):
        return +self.eval(node[1])

    def _concat(self, node):
        return _to_str(self.eval(node[1])) + _to_str(self.eval(node[2]))

    def _binop(self, node):
        op, left, right = node[1], self.eval(node[2]), self.eval(node[3])
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        if op == "//":
            return left // right
        if op == "%":
            return left % right
        return left ** right

    def _compare(self, node):
        left = self.eval(node[1])
        for op, right_node in node[2]:
            right = self.eval(right_node)
            if op == "==":
                ok = left == right
            elif op == "!=":
                ok = left != right
            elif op == "<":
                ok = left < right
            elif op == ">":
                ok = left > right
            elif op == "<=":
                ok = left <= right
            elif op == ">=":
                ok = left >= right
            elif op == "in":
                ok = left in right
            else:
                ok = left not in right
            if not ok:
                return False
            left = right
        return True


def _to_str(value):
    return str(value)


def _assign(scope, target, value, evaluator=None):
    if target[0] == "attr":
        try:
            holder = evaluator.lookup(target[1]) if evaluator is not None else scope.get(target[1])
        except _Undefined:
            holder = None
        if not isinstance(holder, Namespace):
            raise TemplateError("can only assign attributes of a namespace() object")
        setattr(holder, target[2], value)
        return
    names = target[1]
    if len(names) == 1:
        scope[names[0]] = value
        return
    values = list(value)
    if len(values) != len(names):
        raise TemplateError("cannot unpack %d values into %d names" % (len(values), len(names)))
    for name, item in zip(names, values):
        scope[name] = item


def _run(env, body, evaluator, out):
    for node in body:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
        elif kind == "output":
            out.append(evaluator.value(node[1]))
        elif kind == "if":
            for test, branch in node[1]:
                if evaluator.value(test):
                    _run(env, branch, evaluator, out)
                    break
            else:
                _run(env, node[2], evaluator, out)
        elif kind == "for":
            _, target, iterable, condition, inner, otherwise = node
            items = evaluator.value(iterable)
            if isinstance(items, dict):
                items = list(items.keys())
            items = list(items)
            scope = {}
            evaluator.scopes.append(scope)
            try:
                if condition is not None:
                    kept = []
                    for item in items:
                        _assign(scope, target, item)
                        if evaluator.value(condition):
                            kept.append(item)
                    items = kept
                loop = _Loop(len(items))
                for index, item in enumerate(items):
                    scope.clear()
                    loop.index0 = index
                    scope["loop"] = loop
                    _assign(scope, target, item)
                    _run(env, inner, evaluator, out)
            finally:
                evaluator.scopes.pop()
            if not items:
                _run(env, otherwise, evaluator, out)
        elif kind == "set":
            _assign(evaluator.scopes[-1], node[1], evaluator.value(node[2]), evaluator)
        elif kind == "setblock":
            captured = []
            _run(env, node[2], evaluator, captured)
            value = "".join(_to_str(v) for v in captured)
            for name in node[3]:
                value = env.filters[name](value)
            _assign(evaluator.scopes[-1], node[1], value, evaluator)
        elif kind == "do":
            evaluator.value(node[1])


def _native_concat(values):
    """jinja2.nativetypes.native_concat: one value is returned as is; text is literal_eval'd if it can be."""
    if not values:
        return None
    if len(values) == 1:
        raw = values[0]
        if not isinstance(raw, str):
            return raw
    else:
        raw = "".join(_to_str(v) for v in values)
    try:
        return ast.literal_eval(ast.parse(raw, mode="eval"))
    except (ValueError, SyntaxError, MemoryError, TypeError):
        return raw


class Template:
    def __init__(self, env, source):
        self.env = env
        if source.endswith("\r\n"):
            source = source[:-2]
        elif source.endswith("\n") or source.endswith("\r"):
            source = source[:-1]
        self.body = _parse(_lex(source))

    def render(self, *args, **kwargs):
        context = dict(*args, **kwargs)
        out = []
        _run(self.env, self.body, _Evaluator(self.env, [context]), out)
        if self.env.native:
            return _native_concat(out)
        return "".join(_to_str(v) for v in out)


# --- filters and tests -----------------------------------------------------------------------------

def _default(value, default_value="", boolean=False):
    return default_value if boolean and not value else value


def _join(value, d="", attribute=None):
    items = [_getattr(v, attribute) if attribute else v for v in value]
    return d.join(_to_str(v) for v in items)


def _map(value, *args, attribute=None, default=None):
    if attribute is not None:
        return [getattr(v, attribute, None) if not isinstance(v, dict) else v.get(attribute, default) for v in value]
    name = args[0]
    return [_FILTERS[name](v, *args[1:]) for v in value]


def _round(value, precision=0, method="common"):
    import math

    if method == "ceil":
        return math.ceil(value * 10 ** precision) / 10 ** precision
    if method == "floor":
        return math.floor(value * 10 ** precision) / 10 ** precision
    return round(value, precision)


def _int(value, default=0, base=10):
    try:
        if isinstance(value, str):
            return int(value, base)
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _float(value, default=0.0):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _truncate(value, length=255, killwords=False, end="...", leeway=5):
    if len(value) <= length + leeway:
        return value
    if killwords:
        return value[:length - len(end)] + end
    result = value[:length - len(end)].rsplit(" ", 1)[0]
    return result + end


def _indent(value, width=4, first=False, blank=False):
    prefix = " " * width if isinstance(width, int) else width
    lines = value.splitlines(True)
    out = []
    for index, line in enumerate(lines):
        if (index == 0 and not first) or (not blank and not line.strip()):
            out.append(line)
        else:
            out.append(prefix + line)
    return "".join(out)


_FILTERS = {
    "default": _default, "d": _default,
    "upper": lambda v: _to_str(v).upper(), "lower": lambda v: _to_str(v).lower(),
    "title": lambda v: _to_str(v).title(), "capitalize": lambda v: _to_str(v).capitalize(),
    "trim": lambda v, chars=None: _to_str(v).strip(chars),
    "length": len, "count": len,
    "join": _join,
    "replace": lambda v, old, new, count=None: _to_str(v).replace(old, new, -1 if count is None else count),
    "int": _int, "float": _float, "string": _to_str, "list": list,
    "first": lambda v: next(iter(v)), "last": lambda v: list(v)[-1],
    "sort": lambda v, reverse=False, case_sensitive=False, attribute=None: sorted(
        v, reverse=reverse, key=(lambda x: _getattr(x, attribute)) if attribute else None),
    "reverse": lambda v: v[::-1] if isinstance(v, str) else list(reversed(list(v))),
    "unique": lambda v: list(dict.fromkeys(v)),
    "tojson": lambda v, indent=None: json.dumps(v, indent=indent, sort_keys=True),
    "abs": abs, "round": _round, "sum": lambda v, attribute=None, start=0: sum(v, start),
    "min": lambda v: min(v), "max": lambda v: max(v),
    "dictsort": lambda v, case_sensitive=False, by="key", reverse=False: sorted(
        v.items(), key=lambda kv: kv[0 if by == "key" else 1], reverse=reverse),
    "items": lambda v: list(v.items()),
    "map": _map,
    "select": lambda v, test=None, *a: [x for x in v if (_TESTS[test](x, *a) if test else x)],
    "reject": lambda v, test=None, *a: [x for x in v if not (_TESTS[test](x, *a) if test else x)],
    "batch": lambda v, n, fill=None: [list(v)[i:i + n] for i in range(0, len(list(v)), n)],
    "truncate": _truncate, "indent": _indent,
    "center": lambda v, width=80: _to_str(v).center(width),
    "wordcount": lambda v: len(_to_str(v).split()),
    "format": lambda v, *a, **k: _to_str(v) % (a or k) if (a or k) else _to_str(v),
    "e": lambda v: v, "escape": lambda v: v, "safe": lambda v: v,
    "urlencode": lambda v: __import__("urllib.parse").parse.quote(_to_str(v)),
}

_TESTS = {
    "none": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, float),
    "string": lambda v: isinstance(v, str),
    "mapping": lambda v: isinstance(v, dict),
    "sequence": lambda v: hasattr(v, "__len__") and hasattr(v, "__getitem__"),
    "iterable": lambda v: hasattr(v, "__iter__"),
    "boolean": lambda v: isinstance(v, bool),
    "true": lambda v: v is True, "false": lambda v: v is False,
    "even": lambda v: v % 2 == 0, "odd": lambda v: v % 2 == 1,
    "divisibleby": lambda v, n: v % n == 0,
    "sameas": lambda v, other: v is other,
    "eq": lambda v, o: v == o, "equalto": lambda v, o: v == o, "==": lambda v, o: v == o,
    "ne": lambda v, o: v != o, "lt": lambda v, o: v < o, "gt": lambda v, o: v > o,
    "le": lambda v, o: v <= o, "ge": lambda v, o: v >= o,
    "in": lambda v, seq: v in seq,
    "callable": callable,
    "lower": lambda v: _to_str(v).islower(), "upper": lambda v: _to_str(v).isupper(),
}


def _range(*args):
    return range(*args)


class Environment:
    """The part of jinja2.Environment the runtime uses: `from_string`, `get_template`, `filters`,
    `globals`; always StrictUndefined, with `native` for NativeEnvironment's rendering."""

    def __init__(self, searchpath=(), native=False):
        self.searchpath = list(searchpath)
        self.native = native
        self.filters = dict(_FILTERS)
        self.tests = dict(_TESTS)
        self.globals = {"range": _range, "dict": dict, "namespace": Namespace, "lipsum": lambda *a, **k: ""}

    def from_string(self, source):
        return Template(self, source)

    def get_template(self, name):
        for folder in self.searchpath:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    return Template(self, handle.read())
        raise TemplateNotFound(name)
