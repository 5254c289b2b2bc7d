"""A custom operator, as teams keep them next to their DAGs."""
from __future__ import annotations

from typing import Any

from airflow.models.baseoperator import BaseOperator


class GreetOperator(BaseOperator):
    """Returns a greeting; `name` is templated."""

    template_fields = ("name",)
    ui_color = "#d6f5ff"

    def __init__(self, name: str, punctuation: str = "!", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.punctuation = punctuation

    def execute(self, context: Any) -> str:
        message = f"Hello {self.name}{self.punctuation}"
        print(message)
        return message
