"""Checked reading of the library's TOML files (exercise, programme and profile files alike): typed
access to one table that names the file and the key path in every problem, e.g.
``glute_bridge.toml: rep.target: must be a number, got "high"``, and refuses unknown keys.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from formcheck.core.kinematics import landmark_index
from formcheck.untrusted import ITEMS, NUMBER, TEXT_CHARS, TOML_BYTES, Refused, parse_toml, read_text

# An id is also its file name, so it must never name a path (`--exercise ../../x`).
EXERCISE_ID = re.compile(r"[a-z0-9_]+")
ID_RULE = "use lower-case letters, digits and _ only"


class ExerciseFileError(ValueError):
    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


class TableReader:
    """Typed access to one TOML table, remembering the key path for error messages."""

    def __init__(self, file: str, table: dict[str, Any], prefix: str = "") -> None:
        self.file, self.table, self.prefix = file, table, prefix
        self.used: set[str] = set()

    def err(self, key: str, problem: str) -> ExerciseFileError:
        return ExerciseFileError(self.file, f"{self.prefix}{key}" if key else self.prefix.rstrip("."), problem)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., check: Callable[[Any], str | None] | None = None) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is ...:
                raise self.err(key, "is required")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(_type_name(k) for k in kinds)
            raise self.err(key, f"must be {names}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # TOML allows nan and inf
            raise self.err(key, f"must be a finite number, got {value!r}")
        # Bounds on everything (formcheck.untrusted): no threshold, dose or version is anywhere near.
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > NUMBER:
            raise self.err(key, f"must be between {-NUMBER:g} and {NUMBER:g}, got {value!r}")
        if isinstance(value, str) and len(value) > TEXT_CHARS:
            raise self.err(key, f"must be at most {TEXT_CHARS} characters long, got {len(value)}")
        if isinstance(value, list | dict) and len(value) > ITEMS:
            raise self.err(key, f"may have at most {ITEMS} entries, got {len(value)}")
        if check is not None:
            problem = check(value)
            if problem:
                raise self.err(key, problem)
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        return self.get(key, str, default, lambda v: None if v in options else f"must be one of {', '.join(options)}, got {v!r}")

    def choices(self, key: str, options: tuple[str, ...], default: Any = ...) -> tuple[str, ...]:
        values = self.get(key, list, default)
        for v in values:
            if v not in options:
                raise self.err(key, f"{v!r} is not one of {', '.join(options)}")
        return tuple(values)

    def tables(self, key: str, example: str, default: Any = ...) -> list[TableReader]:
        """A list of tables (``[[rules]]``), each entry checked to be a table."""
        readers = []
        for i, entry in enumerate(self.get(key, list, default)):
            if not isinstance(entry, dict):
                raise self.err(f"{key}[{i}]", f"must be a table like {example}, got {entry!r}")
            readers.append(TableReader(self.file, entry, f"{self.prefix}{key}[{i}]."))
        return readers

    def sub(self, key: str, default: Any = ...) -> TableReader | None:
        table = self.get(key, dict, default)
        return None if table is None else TableReader(self.file, table, f"{self.prefix}{key}.")

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.err(unknown[0], "unknown key (a typo?)")


def _type_name(k: type) -> str:
    names = {float: "a number", int: "a whole number", str: "text", bool: "true or false", list: "a list",
             dict: "a table", date: "a date (YYYY-MM-DD, no quotes)"}
    return names.get(k, k.__name__)


def field_default(cls: type, name: str) -> Any:
    """A field's default, from the dataclass itself: defaults are written in one place only."""
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def within(lo: float, hi: float, low_ok: bool = True) -> Callable[[float], str | None]:
    """A check that a value lies in [lo, hi] (or (lo, hi] when ``low_ok`` is False)."""
    def check(v: float) -> str | None:
        if (lo <= v if low_ok else lo < v) and v <= hi:
            return None
        return f"must be {'at least' if low_ok else 'greater than'} {lo:g} and at most {hi:g}"

    return check


def joint_ok(name: str) -> bool:
    """``name`` is a joint the pose model knows ("knee", "left_wrist", "mid_hip")."""
    try:
        landmark_index(name, "left")
    except (KeyError, ValueError):
        return False
    return True


def read_toml(path: Path, file: str, error: Callable[[str, str, str], Exception]) -> dict[str, Any]:
    """The file's top table; a syntax error or an unreadable file is raised as ``error(file, key, problem)``.
    Read through ``formcheck.untrusted``: a regular file of at most ``TOML_BYTES`` (a FIFO named
    ``*.toml`` is refused instead of blocking the library for ever)."""
    try:
        return parse_toml(read_text(path, TOML_BYTES), file)
    except tomllib.TOMLDecodeError as exc:
        raise error(file, "(syntax)", str(exc)) from exc
    except Refused as exc:
        raise error(file, "(file)", f"cannot be read: {exc}") from exc
