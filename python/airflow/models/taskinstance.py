"""TaskInstance, for type hints (`def f(ti: TaskInstance)`): the runner passes its own ti object."""
from __future__ import annotations


class TaskInstance:
    """Type-hint stand-in; instances come from the task runner."""


__all__ = ["TaskInstance"]
