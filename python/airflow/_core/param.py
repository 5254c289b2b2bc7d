"""Param and ParamsDict: DAG/task params with an optional JSON Schema (Airflow keeps the schema
keywords as given; TypeScript validates a trigger's conf against them)."""
from __future__ import annotations

import copy
from collections.abc import MutableMapping
from typing import Any

from airflow._core.baseoperator import NOTSET


class Param:
    """A param's default value plus JSON Schema keywords (`type`, `enum`, `minimum`, ...)."""

    __version__ = 1

    def __init__(self, default: Any = NOTSET, description: str | None = None, **kwargs: Any) -> None:
        if isinstance(default, Param):
            default = default.value
        self.value = default
        self.description = description
        self.schema = kwargs.pop("schema") if "schema" in kwargs else kwargs
        self.source = kwargs.pop("source", None) if isinstance(kwargs, dict) else None

    @property
    def has_value(self) -> bool:
        return self.value is not NOTSET and self.value is not None

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        """The value (or the default), checked against the schema as Airflow does."""
        from airflow.exceptions import ParamValidationError

        if value is NOTSET:
            value = self.value
        if value is NOTSET:
            if suppress_exception:
                return None
            raise ParamValidationError("No value passed and Param has no default value")
        if self.schema:
            from airflow._core.jsonschema_lite import validate

            problem = validate(value, self.schema)
            if problem is not None:
                if suppress_exception:
                    return None
                raise ParamValidationError(problem)
        return value

    def dump(self) -> dict[str, Any]:
        return {"value": None if self.value is NOTSET else self.value, "description": self.description, "schema": self.schema}

    def serialize(self) -> dict[str, Any]:
        return self.dump()

    def __copy__(self) -> Param:
        return Param(self.value, self.description, schema=copy.copy(self.schema))

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema!r})"


class ParamsDict(MutableMapping):
    """Name -> Param; item access gives the value, as in Airflow."""

    __slots__ = ("_dict", "suppress_exception")

    def __init__(self, dict_obj: Any = None, suppress_exception: bool = False) -> None:
        self._dict: dict[str, Param] = {}
        self.suppress_exception = suppress_exception
        if dict_obj:
            items = dict_obj._dict.items() if isinstance(dict_obj, ParamsDict) else dict_obj.items()
            for key, value in items:
                self._dict[key] = value if isinstance(value, Param) else Param(value)

    def __setitem__(self, key: str, value: Any) -> None:
        param = self._dict.get(key)
        if isinstance(value, Param):
            self._dict[key] = value
        elif param is not None:
            param.value = value
        else:
            self._dict[key] = Param(value)

    def __getitem__(self, key: str) -> Any:
        return self._dict[key].resolve(suppress_exception=self.suppress_exception)

    def __delitem__(self, key: str) -> None:
        del self._dict[key]

    def __iter__(self) -> Any:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __copy__(self) -> ParamsDict:
        return ParamsDict({k: copy.copy(v) for k, v in self._dict.items()}, self.suppress_exception)

    def get_param(self, key: str) -> Param:
        return self._dict[key]

    def items(self) -> Any:
        return [(k, v.value if v.value is not NOTSET else None) for k, v in self._dict.items()]

    def values(self) -> Any:
        return [v.value if v.value is not NOTSET else None for v in self._dict.values()]

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        other = args[0] if args else {}
        if isinstance(other, ParamsDict):
            self._dict.update(other._dict)
        else:
            for key, value in dict(other, **kwargs).items():
                self[key] = value
            return
        for key, value in kwargs.items():
            self[key] = value

    def dump(self) -> dict[str, Any]:
        return {k: (v.value if v.value is not NOTSET else None) for k, v in self._dict.items()}

    def validate(self) -> dict[str, Any]:
        from airflow.exceptions import ParamValidationError

        resolved: dict[str, Any] = {}
        for key, param in self._dict.items():
            try:
                resolved[key] = param.resolve(suppress_exception=self.suppress_exception)
            except ParamValidationError as error:
                raise ParamValidationError(f"Invalid input for param {key}: {error}") from None
        return resolved

    def deep_merge(self, data: Any) -> ParamsDict:
        merged = copy.copy(self)
        if data:
            merged.update(data)
        return merged

    def __repr__(self) -> str:
        return f"ParamsDict({self.dump()!r})"
