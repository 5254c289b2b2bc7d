"""Id checks Airflow makes at construction (so the error points at the DAG file's line). The words
match the TypeScript validation (src/dag/fields.ts idProblem), which checks the same ids again."""
from __future__ import annotations

import re

MAX_ID_LENGTH = 250
_KEY = re.compile(r"^[a-zA-Z0-9_.-]+$")
_GROUP_KEY = re.compile(r"^[a-zA-Z0-9_-]+$")


def validate_key(kind: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{kind} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{kind} '{value[:40]}...' is {len(value)} characters; the limit is {MAX_ID_LENGTH}")
    if not _KEY.match(value):
        raise ValueError(f"{kind} '{value}' may contain only letters, digits, '_', '.' and '-'")
    return value


def validate_group_key(value: object) -> str:
    validate_key("group_id", value)
    if not _GROUP_KEY.match(value):  # type: ignore[arg-type]
        raise ValueError(f"group_id '{value}' may contain only letters, digits, '_' and '-' ('.' joins group ids)")
    return value  # type: ignore[return-value]
