"""An exercise definition frozen as JSON, stored with every recorded set.

A session keeps the definition and thresholds it was judged with, so a report written next year
(or after a therapist tuned a threshold) says what the person was told that day, and a recorded
session can be re-judged exactly. ``from_json(to_json(ex)) == ex`` for every definition.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, TypeVar

from formcheck.core.exercise import ExerciseDef

T = TypeVar("T")


def to_json(exercise: ExerciseDef) -> str:
    return json.dumps(dataclasses.asdict(exercise), ensure_ascii=False, sort_keys=True)


def from_json(text: str) -> ExerciseDef:
    """The definition back from ``to_json``, rebuilt field by field from the dataclasses' own type
    hints (nested definitions, tuples, optional parts), so a new field needs no code here. Keys a
    dataclass no longer has (a snapshot from an older version) are dropped; missing ones take
    their defaults (sets recorded before profiles existed: population thresholds)."""
    return _build(ExerciseDef, json.loads(text))


def _build(cls: type[T], data: dict[str, Any]) -> T:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], data[f.name]) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                  if f.name in data})


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        for option in args:
            if option is not type(None) and (not dataclasses.is_dataclass(option) or isinstance(value, dict)):
                return _value(option, value)
        return value
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_value(args[0], v) for v in value)
        return tuple(_value(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        return {k: _value(args[1], v) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _build(hint, value)
    return value
