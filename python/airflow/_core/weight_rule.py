"""WeightRule: the priority-weight rules a task may name. Accepted so DAG files that set weight_rule
import; tasks are not ordered by priority here (weight_rule warns as accepted and ignored)."""
from __future__ import annotations

from enum import Enum


class WeightRule(str, Enum):
    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"

    @classmethod
    def is_valid(cls, weight_rule: str) -> bool:
        return weight_rule in cls.all_weight_rules()

    @classmethod
    def all_weight_rules(cls) -> set[str]:
        return {rule.value for rule in cls}

    def __str__(self) -> str:
        return self.value
