"""Dependency wiring shared by operators, XComArgs, task groups and edge labels.

Every node answers `_dep_roots()` (the operators an edge INTO it lands on) and `_dep_leaves()` (the
operators an edge OUT of it starts from); `a >> b` links every leaf of `a` to every root of `b`. Task
groups compute both at the moment of the call, as Airflow does.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def _flatten(nodes: Any) -> list[Any]:
    if isinstance(nodes, (list, tuple, set, frozenset)):
        out: list[Any] = []
        for node in nodes:
            out.extend(_flatten(node))
        return out
    if not isinstance(nodes, DependencyMixin):
        raise TypeError(
            f"Relationships can only be set between operators, task groups, XComArgs and labels; "
            f"got {type(nodes).__name__}"
        )
    return [nodes]


def link(upstream: Any, downstream: Any, edge_modifier: Any = None) -> None:
    """Make every leaf of `upstream` a direct upstream of every root of `downstream`."""
    ups = _flatten(upstream)
    downs = _flatten(downstream)
    for up in ups:
        if isinstance(up, EdgeModifier):
            up._add_downstream(downs)
            continue
        for down in downs:
            if isinstance(down, EdgeModifier):
                down._add_upstream([up])
                continue
            for leaf in up._dep_leaves():
                for root in down._dep_roots():
                    leaf._add_edge_to(root)


class DependencyMixin:
    """`>>`, `<<`, `set_upstream`, `set_downstream` for anything that can be wired."""

    def _dep_roots(self) -> list[Any]:
        raise NotImplementedError

    def _dep_leaves(self) -> list[Any]:
        raise NotImplementedError

    @property
    def roots(self) -> list[Any]:
        return self._dep_roots()

    @property
    def leaves(self) -> list[Any]:
        return self._dep_leaves()

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        if edge_modifier is not None:
            link(other, edge_modifier)
            link(edge_modifier, self)
        else:
            link(other, self)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        if edge_modifier is not None:
            link(self, edge_modifier)
            link(edge_modifier, other)
        else:
            link(self, other)

    def update_relative(self, other: Any, upstream: bool = True, edge_modifier: Any = None) -> None:
        """Airflow's hook for a node that reacts to being linked; nothing to do here."""

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:
        # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other: Any) -> Any:
        # [a, b] << self
        self.set_downstream(other)
        return self


class EdgeModifier(DependencyMixin):
    """An edge label (`a >> Label("why") >> b`). Labels are cosmetic in Airflow: the edge a -> b is
    what counts, and the label text is not recorded."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[Any] = []
        self._downstream: list[Any] = []

    def _dep_roots(self) -> list[Any]:
        return []

    def _dep_leaves(self) -> list[Any]:
        return []

    def _add_upstream(self, nodes: list[Any]) -> None:
        self._upstream.extend(nodes)
        if self._downstream:
            link(nodes, self._downstream)

    def _add_downstream(self, nodes: list[Any]) -> None:
        self._downstream.extend(nodes)
        if self._upstream:
            link(self._upstream, nodes)


def Label(label: str) -> EdgeModifier:  # noqa: N802 - Airflow's name
    return EdgeModifier(label)


def chain(*tasks: Any) -> None:
    """Airflow's chain: consecutive elements are linked; two adjacent lists must have equal lengths
    and are linked pairwise."""
    for up, down in zip(tasks, tasks[1:]):
        up_is_list = isinstance(up, Sequence) and not isinstance(up, str)
        down_is_list = isinstance(down, Sequence) and not isinstance(down, str)
        if up_is_list and down_is_list:
            if len(up) != len(down):
                from airflow.exceptions import AirflowException

                raise AirflowException(
                    f"Chain not supported for different length Iterable. Got {len(up)} and {len(down)}."
                )
            for a, b in zip(up, down):
                link(a, b)
        else:
            link(up, down)


def chain_linear(*elements: Any) -> None:
    """Every element of each group links to every element of the next (Airflow 2.7+)."""
    if len(elements) < 2:
        raise ValueError("Chain linear must have at least two elements")
    for up, down in zip(elements, elements[1:]):
        link(up, down)


def cross_downstream(from_tasks: Iterable[Any], to_tasks: Any) -> None:
    for task in from_tasks:
        link(task, to_tasks)
