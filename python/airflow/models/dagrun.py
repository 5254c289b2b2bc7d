"""DagRun, for type hints: the runner passes its own dag_run object."""
from __future__ import annotations


class DagRun:
    """Type-hint stand-in; instances come from the task runner."""


__all__ = ["DagRun"]
