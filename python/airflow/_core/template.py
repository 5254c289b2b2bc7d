"""literal(value): a value that templating leaves as it is (Airflow's way to pass text containing
`{{ }}` or a `.sh`/`.sql` name through a templated field unrendered)."""
from __future__ import annotations

from typing import Any

from airflow._core.xcom_arg import ResolveMixin


class LiteralValue(ResolveMixin):
    """The runner's renderer resolves ResolveMixins instead of rendering them: this one resolves to
    its value untouched."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def resolve(self, context: Any) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"literal({self.value!r})"


def literal(value: Any) -> LiteralValue:
    return LiteralValue(value)
