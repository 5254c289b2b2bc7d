"""XComArg: a reference to a task's XCom, passed as an argument (`t2(t1())`, `op.output`,
`XComArg(op)`, `op.output["key"]`). Passing one links the producing task upstream."""
from __future__ import annotations

from typing import Any

from airflow._core.dependencies import DependencyMixin


_MISSING = object()


class ResolveMixin:
    """Something a task resolves from its context at run time (XComArg, a @dag function's param)."""

    def resolve(self, context: Any) -> Any:
        raise NotImplementedError

    def iter_references(self) -> Any:
        return iter(())


class XComArg(ResolveMixin, DependencyMixin):
    def __new__(cls, operator: Any = None, key: str = "return_value") -> Any:
        if cls is XComArg:
            return object.__new__(PlainXComArg)
        return object.__new__(cls)

    @staticmethod
    def iter_xcom_references(arg: Any) -> Any:
        for op in upstream_operators(arg):
            yield op, "return_value"

    @staticmethod
    def apply_upstream_relationship(op: Any, arg: Any) -> None:
        for producer in upstream_operators(arg):
            op.set_upstream(producer)

    def map(self, f: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping (XComArg.map)")

    def zip(self, *others: Any, fillvalue: Any = None) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping (XComArg.zip)")

    def concat(self, *others: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping (XComArg.concat)")


class PlainXComArg(XComArg):
    def __init__(self, operator: Any, key: str = "return_value") -> None:
        self.operator = operator
        self.key = key

    def _dep_roots(self) -> list[Any]:
        return [self.operator]

    def _dep_leaves(self) -> list[Any]:
        return [self.operator]

    def __getitem__(self, item: str) -> PlainXComArg:
        if not isinstance(item, str):
            raise ValueError(f"XComArg only supports str lookup, received {type(item).__name__}")
        return PlainXComArg(self.operator, key=item)

    def __iter__(self) -> Any:
        raise TypeError("'XComArg' object is not iterable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlainXComArg):
            return NotImplemented
        return self.operator is other.operator and self.key == other.key

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    def __str__(self) -> str:
        # Airflow renders an XComArg inside a template string as an xcom_pull expression.
        key = "" if self.key == "return_value" else f", key='{self.key}'"
        return "{{ task_instance.xcom_pull(task_ids='" + self.operator.task_id + "', dag_id='" + (
            self.operator.dag.dag_id if self.operator.dag else ""
        ) + "'" + key + ") }}"

    def __repr__(self) -> str:
        return f"XComArg({self.operator!r}" + ("" if self.key == "return_value" else f", {self.key!r}") + ")"

    def iter_references(self) -> Any:
        yield self.operator, self.key

    def as_setup(self) -> PlainXComArg:
        self.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: Any = None) -> PlainXComArg:
        kwargs: dict[str, Any] = {"setups": setups}
        if on_failure_fail_dagrun is not None:
            kwargs["on_failure_fail_dagrun"] = on_failure_fail_dagrun
        self.operator.as_teardown(**kwargs)
        return self

    def __enter__(self) -> PlainXComArg:
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.operator.__exit__(*exc)

    def resolve(self, context: Any) -> Any:
        # Airflow's rule: a missing return value (or a missing key of a multiple_outputs task, which
        # may have been skipped) is None; any other missing key fails the task naming it.
        value = context["ti"].xcom_pull(task_ids=self.operator.task_id, key=self.key, default=_MISSING)
        if value is not _MISSING:
            return value
        if self.key == "return_value" or getattr(self.operator, "multiple_outputs", False):
            return None
        from airflow.exceptions import XComNotFound

        raise XComNotFound(getattr(self.operator.dag, "dag_id", ""), self.operator.task_id, self.key)


def upstream_operators(value: Any, _seen: set[int] | None = None) -> list[Any]:
    """The operators whose XComs `value` refers to, looking inside lists, tuples, sets and dicts."""
    if isinstance(value, PlainXComArg):
        return [value.operator]
    if isinstance(value, (list, tuple, set, frozenset)):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return []
    out: list[Any] = []
    for item in items:
        if isinstance(item, (PlainXComArg, list, tuple, set, frozenset, dict)):
            out.extend(upstream_operators(item))
    return out


def resolve_nested(value: Any, context: Any) -> Any:
    """`value` with every XComArg / @dag param reference inside it resolved from `context` (the task
    runner calls this for op_args, op_kwargs and template fields before rendering)."""
    if isinstance(value, ResolveMixin):
        return value.resolve(context)
    if isinstance(value, list):
        return [resolve_nested(v, context) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve_nested(v, context) for v in value)
    if isinstance(value, set):
        return {resolve_nested(v, context) for v in value}
    if isinstance(value, dict):
        return {k: resolve_nested(v, context) for k, v in value.items()}
    return value
