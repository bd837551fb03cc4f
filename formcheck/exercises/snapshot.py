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
from formcheck.core.landmarks import SIDED_JOINTS
from formcheck.core.measures import PAIR_KINDS, POINT_COUNT
from formcheck.exercises.toml_reader import joint_ok
from formcheck.untrusted import HOLD_S, REPS, REST_S, SETS

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


def checked(exercise: ExerciseDef) -> ExerciseDef:
    """``exercise`` (a snapshot read back from a session, which may come from another computer)
    when every field has its declared type and it refers only to what exists: measures with their
    number of known joints, rules and the rep on defined measures. ``ValueError`` says what is
    wrong. The numbers' bounds are the caller's (``formcheck.untrusted``)."""
    _typed(exercise, type(exercise), "definition")
    d = exercise.dose  # bounded like every dose (formcheck.untrusted)
    if not (SETS[0] <= d.sets <= SETS[1] and (d.reps is None or REPS[0] <= d.reps <= REPS[1])
            and (d.hold_s is None or 0 < d.hold_s <= HOLD_S) and 0 <= d.rest_s <= REST_S):
        raise ValueError(f"definition: the dose {d.text()} is outside what a dose may be")
    for name, m in exercise.measures.items():
        if len(m.points) != POINT_COUNT[m.kind] or not all(joint_ok(p) for p in m.points):
            raise ValueError(f"definition: measure {name!r} has {len(m.points)} points or an unknown joint")
        if m.kind in PAIR_KINDS and not all(p in SIDED_JOINTS for p in m.points):
            raise ValueError(f"definition: measure {name!r} needs left/right joints")
    named = [exercise.rep.measure] if exercise.rep else []
    named += [c.measure for c in exercise.hold.position] if exercise.hold else []
    named += [x for r in exercise.rules for x in (r.measure, r.leg) if x is not None]
    missing = [n for n in named if n not in exercise.measures]
    if missing:
        raise ValueError(f"definition: no measure named {missing[0]!r}")
    points = [r.point for r in exercise.rules if r.point is not None]
    points += list(exercise.setup.landmarks) if exercise.setup else []
    if not all(joint_ok(p) for p in points):
        raise ValueError("definition: a rule or the set-up names an unknown joint")
    return exercise


def _typed(value: Any, kind: Any, where: str) -> None:
    """``value`` is of the (annotated) type ``kind``: dataclasses field by field, Optional,
    Literal, tuple[X, ...], dict[str, X], and the plain types."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return
    if origin in (typing.Union, types.UnionType):
        if any(_fits(value, a, where) for a in args):
            return
        raise ValueError(f"{where}: {value!r:.60} is not one of {kind}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"{where}: {value!r:.60} is not one of {', '.join(map(str, args))}")
        return
    if origin is tuple:
        if not isinstance(value, tuple):
            raise ValueError(f"{where}: must be a list")
        for i, v in enumerate(value):
            _typed(v, args[0], f"{where}[{i}]")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: must be a table")
        for k, v in value.items():
            _typed(k, args[0], f"{where} key")
            _typed(v, args[1], f"{where}.{k}")
        return
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, kind):
            raise ValueError(f"{where}: must be a {kind.__name__}")
        hints = typing.get_type_hints(kind)
        for f in dataclasses.fields(kind):
            _typed(getattr(value, f.name), hints[f.name], f"{where}.{f.name}")
        return
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is type(None):
        ok = value is None
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ValueError(f"{where}: {value!r:.60} is not {getattr(kind, '__name__', kind)}")


def _fits(value: Any, kind: Any, where: str) -> bool:
    try:
        _typed(value, kind, where)
    except ValueError:
        return False
    return True
