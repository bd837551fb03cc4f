"""The one rule for what comes from outside: bounded readers and checked values.

Bundles, session folders, label, programme, exercise and calibration files can come from another
computer, another version of formcheck or a person with a text editor. Every importer reads them
through here, so the same bounds hold everywhere by construction:

- a file is read only when it is a regular file (a FIFO or a device named ``*.toml`` would block
  for ever) and no bigger than its format allows;
- text is UTF-8; JSON and TOML are parsed with their size (and JSON its nesting) bounded;
- every number is finite and inside the bounds of what it means (a dose, a time, a version);
- uids are lower-case hex; a relative path is resolved and must stay inside its folder.

A refusal is ``Refused``: one sentence saying what is wrong, which each importer turns into its
own message ("nothing was imported", "skipped ...").
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

# ---- sizes and counts ---------------------------------------------------------------------------
TOML_BYTES = 1 * MiB  # an exercise, programme, profile or label file
JSON_BYTES = 1 * MiB  # session.json, video.json, a bundle's manifest
EVENTS_BYTES = 64 * MiB  # a session's events.jsonl (hours of cues and reps are a few MB)
REVIEW_BYTES = 16 * MiB  # a session's review.jsonl
LINE_BYTES = 1 * MiB  # one line of a JSON-lines file
TRACK_BYTES = 2 * GiB  # a session's track.npys (4 h at 60 fps is about 0.9 GiB)
TRACK_ROWS = 1_000_000
VIDEO_BYTES = 16 * GiB  # a kept camera video
MEMBERS = 20_000  # files in one bundle
BUNDLE_BYTES = 64 * GiB  # everything one bundle unpacks to
# Real tracks deflate about 2–4 times, videos not at all; a member that inflates more than this
# from more than a megabyte is a zip bomb, not a recording.
INFLATION = 50
ITEMS = 1_000  # entries of one list in a TOML file
TEXT_CHARS = 10_000  # one note, cue, message or other free text
NAME_CHARS = 200  # a person's, exercise's or file's name
JSON_DEPTH = 32

# ---- what numbers mean --------------------------------------------------------------------------
NUMBER = 1e6  # any number in a TOML file: thresholds, angles, distances, seconds
SESSION_S = 48 * 3600.0  # a time inside a session, in seconds
SETS = (1, 20)  # a dose's sets
REPS = (1, 500)  # a dose's reps
HOLD_S = 3600.0  # a dose's hold, in seconds (above 0)
REST_S = 3600.0  # rest between sets, in seconds
VERSION = (1, 1_000_000)  # a programme or profile version
SET_NUMBER = (1, 10_000)
ITEM_INDEX = (1, 1_000_000)  # a rep's or attempt's number in its set
SCORE = (0, 10)  # pain and effort
PID = (1, 1 << 31)
YEARS = (2000, 2200)  # any date or time: sessions, programmes (week-by-week figures walk from the first)

_UID = re.compile(r"[0-9a-f]{8,64}")


class Refused(ValueError):
    """Input that can't be used, as one sentence saying what is wrong."""


# ---- files --------------------------------------------------------------------------------------
def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise Refused(f"{path.name} can't be read ({exc.strerror or exc})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise Refused(f"{path.name} is {info.st_size} bytes, more than the {limit} bytes a file of its kind may have")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise Refused(f"{path.name} can't be read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise Refused(f"{path.name} is more than the {limit} bytes a file of its kind may have")
    return data


def decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def read_text(path: Path, limit: int = TOML_BYTES) -> str:
    return decode(read_bytes(path, limit), path.name)


def parse_toml(text: str, what: str) -> dict[str, Any]:
    """A TOML document; ``tomllib.TOMLDecodeError`` for a syntax error (callers word it), and
    ``Refused`` for one nested too deep to read."""
    try:
        return tomllib.loads(text)
    except RecursionError as exc:
        raise Refused(f"{what} is nested too deeply to be a formcheck file") from exc


def parse_json(data: bytes | str, what: str, limit: int = JSON_BYTES) -> Any:
    """One JSON value of at most ``limit`` bytes and ``JSON_DEPTH`` levels."""
    if len(data) > limit:
        raise Refused(f"{what} is more than the {limit} bytes it may have")
    try:
        value = json.loads(data)
    except RecursionError as exc:
        raise Refused(f"{what} is nested too deeply") from exc
    except ValueError as exc:  # also UnicodeDecodeError, and ints of over 4300 digits
        raise Refused(f"{what} is not JSON ({exc})") from exc
    if _depth(value) > JSON_DEPTH:
        raise Refused(f"{what} is nested more than {JSON_DEPTH} levels deep")
    return value


def json_lines(data: bytes, what: str, limit: int) -> list[tuple[int, Any]]:
    """(line number, value) of each complete line of a JSON-lines file. A line that isn't JSON
    is returned as a ``Refused`` value, so the caller decides: a crash cuts the last line short
    (skipped), a changed file is refused."""
    if len(data) > limit:
        raise Refused(f"{what} is more than the {limit} bytes it may have")
    text = data.decode("utf-8", errors="replace")
    out: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((number, parse_json(line, f"{what} line {number}", LINE_BYTES)))
        except Refused as exc:
            out.append((number, exc))
    return out


def inside(root: Path, relative: str | Path) -> Path:
    """``root / relative``, resolved, when it stays inside ``root`` (no ``..``, no absolute path,
    no link out)."""
    base = root.resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise Refused(f"{str(relative)!r} points outside {root}")
    return target


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


# ---- values -------------------------------------------------------------------------------------
def is_uid(value: Any) -> bool:
    return isinstance(value, str) and _UID.fullmatch(value) is not None


def uid(value: Any, what: str) -> str:
    if not is_uid(value):
        raise Refused(f"{what} must be 8 to 64 lower-case hex digits, got {_short(value)}")
    return value


def whole(value: Any, bounds: tuple[int, int], what: str) -> int:
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Refused(f"{what} must be a whole number from {lo} to {hi}, got {_short(value)}")
    return value


def number(value: Any, lo: float, hi: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not lo <= value <= hi:
        raise Refused(f"{what} must be a number from {lo:g} to {hi:g}, got {_short(value)}")
    return float(value)


def text(value: Any, what: str, max_chars: int = TEXT_CHARS) -> str:
    if not isinstance(value, str) or len(value) > max_chars:
        raise Refused(f"{what} must be text of at most {max_chars} characters, got {_short(value)}")
    return value


def name(value: Any, what: str) -> str:
    """A name as lists and reports show it (a reviewer's): 1 to ``NAME_CHARS`` characters, not all
    blank, and no line break, escape or other control character (which could rewrite what a list,
    a log or a report shows)."""
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_CHARS or not value.isprintable():
        raise Refused(f"{what} must be a name of 1 to {NAME_CHARS} characters without line breaks or other control "
                      f"characters, got {_short(value)}")
    return value


def iso_time(value: Any, what: str) -> str:
    """A date and time as formcheck writes them (ISO 8601 with a time zone)."""
    text(value, what, 64)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Refused(f"{what} must be a date and time like 2026-11-30T10:15:00+00:00, got {_short(value)}") from exc
    if when.tzinfo is None:
        raise Refused(f"{what} must say its time zone (like 2026-11-30T10:15:00+00:00), got {_short(value)}")
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise Refused(f"{what} must lie in the years {YEARS[0]}–{YEARS[1]}, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


class Fields:
    """Checked access to one JSON object (a line of events.jsonl, session.json, a manifest):
    every getter checks the type and bounds, and names the key in its refusal."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise Refused(f"{where} must be a JSON object, got {_short(data)}")
        self.data, self.where = data, where

    def _value(self, key: str, default: Any) -> Any:
        if key in self.data and self.data[key] is not None:
            return self.data[key]
        if default is ...:
            raise Refused(f"{self.where} has no {key}")
        return _MISSING

    def get(self, key: str, check: Callable[[Any, str], Any], default: Any = ...) -> Any:
        value = self._value(key, default)
        return default if value is _MISSING else check(value, f"{self.where}: {key}")

    def text(self, key: str, default: Any = ..., max_chars: int = TEXT_CHARS) -> Any:
        return self.get(key, lambda v, w: text(v, w, max_chars), default)

    def name(self, key: str, default: Any = ...) -> Any:
        return self.get(key, name, default)

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        def check(v: Any, w: str) -> str:
            if v not in options:
                raise Refused(f"{w} must be one of {', '.join(options)}, got {_short(v)}")
            return str(v)

        return self.get(key, check, default)

    def whole(self, key: str, bounds: tuple[int, int], default: Any = ...) -> Any:
        return self.get(key, lambda v, w: whole(v, bounds, w), default)

    def number(self, key: str, lo: float, hi: float, default: Any = ...) -> Any:
        return self.get(key, lambda v, w: number(v, lo, hi, w), default)

    def seconds(self, key: str, default: Any = ...) -> Any:
        """A time on the session's clock, in seconds."""
        return self.number(key, 0.0, SESSION_S, default)

    def flag(self, key: str, default: Any = ...) -> Any:
        def check(v: Any, w: str) -> bool:
            if not isinstance(v, bool):
                raise Refused(f"{w} must be true or false, got {_short(v)}")
            return v

        return self.get(key, check, default)

    def time(self, key: str, default: Any = ...) -> Any:
        return self.get(key, iso_time, default)

    def uid(self, key: str, default: Any = ...) -> Any:
        return self.get(key, uid, default)

    def items(self, key: str, max_items: int = ITEMS) -> list[Any]:
        value = self._value(key, [])
        if value is _MISSING:
            return []
        if not isinstance(value, list) or len(value) > max_items:
            raise Refused(f"{self.where}: {key} must be a list of at most {max_items} entries, got {_short(value)}")
        return value

    def object(self, key: str) -> Fields | None:
        value = self._value(key, None)
        return None if value is _MISSING else Fields(value, f"{self.where}: {key}")


_MISSING = object()
