"""Shared helpers for the authoring tests (no tests here)."""
from __future__ import annotations

import os
import sys
import unittest
from typing import Any

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FALLBACK = os.path.join(PYTHON_DIR, "_fallback")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)
if FALLBACK not in sys.path:
    sys.path.append(FALLBACK)

from airflow._core import state  # noqa: E402
from airflow_serverless.serialize import serialize_dag  # noqa: E402


class AuthoringTestCase(unittest.TestCase):
    """Resets the package's parse-time state around each test, like the parse worker does per file."""

    def setUp(self) -> None:
        state.reset()

    def tearDown(self) -> None:
        state.reset()

    def raw(self, dag: Any) -> dict[str, Any]:
        return serialize_dag(dag)

    def tasks(self, dag: Any) -> dict[str, dict[str, Any]]:
        return {t["task_id"]: t for t in serialize_dag(dag)["tasks"]}

    def upstream(self, dag: Any) -> dict[str, list[str]]:
        return {t["task_id"]: t["upstream"] for t in serialize_dag(dag)["tasks"]}
