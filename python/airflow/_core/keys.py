"""Id checks Airflow makes at construction (so the error points at the DAG file's line). The words
match the TypeScript validation (src/dag/fields.ts idProblem), which checks the same ids again."""
from __future__ import annotations

import re

MAX_ID_LENGTH = 250
# Airflow's KEY_REGEX and GROUP_KEY_REGEX. Python's \w is Unicode, so `données_quotidiennes` is an id, as in
# Airflow; idProblem in TypeScript checks letters and digits of any script (\p{L}\p{N}) again. fullmatch:
# `$` would let a trailing newline through.
_KEY = re.compile(r"[\w.-]+")
_GROUP_KEY = re.compile(r"[\w-]+")


def validate_key(kind: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a string, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{kind} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{kind} '{value[:40]}...' is {len(value)} characters; the limit is {MAX_ID_LENGTH}")
    if not _KEY.fullmatch(value):
        raise ValueError(f"{kind} '{value}' may contain only letters, digits, '_', '.' and '-'")
    # Airflow's pattern lets them through, but they name a folder and its parent in every path and URL.
    if value in (".", ".."):
        raise ValueError(f"{kind} '{value}' is not usable: '.' and '..' name folders; add a letter or digit")
    return value


def validate_group_key(value: object) -> str:
    validate_key("group_id", value)
    if not _GROUP_KEY.fullmatch(value):  # type: ignore[arg-type]
        raise ValueError(f"group_id '{value}' may contain only letters, digits, '_' and '-' ('.' joins group ids)")
    return value  # type: ignore[return-value]
