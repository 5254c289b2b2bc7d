"""`self.log` for operators, hooks and user classes, as Airflow's LoggingMixin gives it."""
from __future__ import annotations

import logging
from typing import Any


class LoggingMixin:
    """A `log` attribute: a logger named after the class (the task runner sends it to the task log)."""

    _log_config_logger_name: str | None = None

    @property
    def log(self) -> logging.Logger:
        cls = type(self)
        prefix = self._log_config_logger_name
        name = f"{cls.__module__}.{cls.__name__}"
        return logging.getLogger(f"{prefix}.{name}" if prefix else name)

    @property
    def logger(self) -> Any:
        return self.log
