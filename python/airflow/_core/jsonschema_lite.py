"""Validation of a value against a Param's JSON Schema, as Airflow does with `jsonschema`: the real
package when it is importable, else this small validator for the keywords params use in practice
(type, enum, const, bounds, lengths, pattern, items, properties/required, anyOf/oneOf/allOf/not).
`format` is not checked (Airflow only checks formats whose optional checkers are installed)."""
from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, (list, tuple)),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def validate(value: Any, schema: dict[str, Any]) -> str | None:
    """None when `value` satisfies `schema`, else the first problem in words."""
    try:
        import jsonschema  # type: ignore[import-not-found]
    except ImportError:
        return _check(value, schema, "")
    try:
        jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as error:
        return error.message
    return None


def _check(value: Any, schema: Any, where: str) -> str | None:
    if not isinstance(schema, dict):
        return None
    at = f" at {where}" if where else ""
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES.get(k, lambda v: True)(value) for k in kinds):
            return f"{value!r} is not of type {', '.join(repr(k) for k in kinds)}{at}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{value!r} is not one of {schema['enum']!r}{at}"
    if "const" in schema and value != schema["const"]:
        return f"{schema['const']!r} was expected{at}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Worded as jsonschema words them, so messages do not depend on which validator ran.
        for key, fails, words in (
            ("minimum", lambda v, b: v < b, "is less than the minimum of"),
            ("maximum", lambda v, b: v > b, "is greater than the maximum of"),
            ("exclusiveMinimum", lambda v, b: v <= b, "is less than or equal to the minimum of"),
            ("exclusiveMaximum", lambda v, b: v >= b, "is greater than or equal to the maximum of"),
        ):
            bound = schema.get(key)
            if isinstance(bound, (int, float)) and not isinstance(bound, bool) and fails(value, bound):
                return f"{value!r} {words} {bound!r}{at}"
        step = schema.get("multipleOf")
        if isinstance(step, (int, float)) and step and (value / step) % 1:
            return f"{value!r} is not a multiple of {step!r}{at}"
    if isinstance(value, str):
        if isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
            return f"{value!r} is too short{at}"
        if isinstance(schema.get("maxLength"), int) and len(value) > schema["maxLength"]:
            return f"{value!r} is too long{at}"
        if isinstance(schema.get("pattern"), str) and not re.search(schema["pattern"], value):
            return f"{value!r} does not match {schema['pattern']!r}{at}"
    if isinstance(value, (list, tuple)):
        if isinstance(schema.get("minItems"), int) and len(value) < schema["minItems"]:
            return f"{list(value)!r} should have at least {schema['minItems']} items{at}"
        if isinstance(schema.get("maxItems"), int) and len(value) > schema["maxItems"]:
            return f"{list(value)!r} should have at most {schema['maxItems']} items{at}"
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            return f"{list(value)!r} has non-unique elements{at}"
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problem = _check(item, schema["items"], f"{where}[{i}]")
                if problem:
                    return problem
    if isinstance(value, dict):
        for name in schema.get("required") or []:
            if name not in value:
                return f"{name!r} is a required property{at}"
        properties = schema.get("properties") or {}
        for name, item in value.items():
            if name in properties:
                problem = _check(item, properties[name], f"{where}.{name}" if where else str(name))
                if problem:
                    return problem
            elif schema.get("additionalProperties") is False:
                return f"additional property {name!r} is not allowed{at}"
    for sub in schema.get("allOf") or []:
        problem = _check(value, sub, where)
        if problem:
            return problem
    if schema.get("anyOf") and all(_check(value, sub, where) for sub in schema["anyOf"]):
        return f"{value!r} is not valid under any of the given schemas{at}"
    if schema.get("oneOf") and sum(1 for sub in schema["oneOf"] if not _check(value, sub, where)) != 1:
        return f"{value!r} is not valid under exactly one of the given schemas{at}"
    if isinstance(schema.get("not"), dict) and not _check(value, schema["not"], where):
        return f"{value!r} should not be valid under {schema['not']!r}{at}"
    return None
