"""Label files for `formcheck eval` (format in ``formcheck.evaluation.evaluate``): read and checked.

Every problem raises ``LabelError`` with one sentence naming the file, the clip, the item and the fix.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.untrusted import ITEMS, SESSION_S, TOML_BYTES, Refused, parse_toml, read_text

CLEAN = "clean"  # faults = ["clean"]: a clean rep or hold
NO_EXERCISE = "none"  # exercise = "none": nothing in the library; skipped
VIEWS = ("side", "front", "back", "oblique")  # a clip's 'view'


class LabelError(ValueError):
    """A label file or clip that can't be used; the message says where and what to do."""


# ---- labels -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """A labelled rep or hold."""

    start: float
    end: float
    turn: float | None = None
    side: str | None = None
    faults: frozenset[str] = frozenset()  # codes; empty = clean
    unsure: frozenset[str] = frozenset()
    unjudgeable: str | None = None


@dataclass(frozen=True, slots=True)
class ClipLabels:
    file: str
    exercise: str
    labels_path: Path
    view: str | None = None  # where the camera stood, as the labeller saw it (side, front, back, oblique)
    setup: tuple[str, ...] = ()
    reps: tuple[LabelledItem, ...] = ()
    holds: tuple[LabelledItem, ...] = ()
    partial: tuple[Span, ...] = ()


_TOP_KEYS = {"version", "labeller", "clip"}
_CLIP_KEYS = {"file", "exercise", "view", "setup", "note", "reps", "holds", "partial"}
_REP_KEYS = {"start", "turn", "end", "side", "faults", "unsure", "unjudgeable", "note"}
_HOLD_KEYS = {"start", "end", "side", "faults", "unsure", "unjudgeable", "note", "segments"}
_PARTIAL_KEYS = {"start", "end", "why", "note"}


def load_labels(path: Path) -> list[ClipLabels]:
    """The clips of one label file (format in this module's docstring); ``LabelError`` if wrong."""
    try:
        doc = parse_toml(read_text(path, TOML_BYTES), path.name)  # bounded: formcheck.untrusted
    except Refused as exc:
        raise LabelError(f"Can't read the label file {path} ({exc}); check the path.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LabelError(f"{path} is not a valid TOML file ({exc}); fix it and run again.") from exc
    where = path.name
    _known_keys(doc, _TOP_KEYS, where)
    if doc.get("version") != 1:
        raise LabelError(f"{where}: 'version' must be 1 (this formcheck reads version 1 label files).")
    clips = doc.get("clip")
    if not isinstance(clips, list) or not clips:
        raise LabelError(f"{where}: no [[clip]] tables; each labelled video needs one.")
    return [_clip(c, path, f"{where}: clip {i + 1}") for i, c in enumerate(clips)]


def _clip(table: Any, path: Path, where: str) -> ClipLabels:
    if not isinstance(table, dict):
        raise LabelError(f"{where}: must be a [[clip]] table.")
    file, exercise = _text(table, "file", where), _text(table, "exercise", where)
    where = f"{where} ({file})"
    _known_keys(table, _CLIP_KEYS, where)
    view = table.get("view")
    if view is not None and not (isinstance(view, str) and view in VIEWS):
        raise LabelError(f"{where}: 'view' must be one of {', '.join(VIEWS)}, not {view!r}.")
    return ClipLabels(
        file=file,
        exercise=exercise,
        labels_path=path,
        view=view,
        setup=tuple(_texts(table, "setup", where)),
        reps=tuple(_item(t, f"{where}, reps[{i}]", _REP_KEYS) for i, t in enumerate(_tables(table, "reps", where))),
        holds=tuple(_item(t, f"{where}, holds[{i}]", _HOLD_KEYS) for i, t in enumerate(_tables(table, "holds", where))),
        partial=tuple(_partial(t, f"{where}, partial[{i}]") for i, t in enumerate(_tables(table, "partial", where))),
    )


def _item(t: dict[str, Any], where: str, keys: set[str]) -> LabelledItem:
    _known_keys(t, keys, where)
    start, end = _span(t, where)
    turn = _time(t, "turn", where) if "turn" in t else None
    if turn is not None and not start <= turn <= end:
        raise LabelError(f"{where}: 'turn' ({turn}) must lie between 'start' and 'end'.")
    side = t.get("side")
    if side is not None and side not in ("left", "right"):
        raise LabelError(f"{where}: 'side' must be \"left\" or \"right\", not {side!r}.")
    faults = set(_texts(t, "faults", where, required=True))
    unjudgeable = t.get("unjudgeable")
    if unjudgeable is not None and not (isinstance(unjudgeable, str) and unjudgeable.strip()):
        raise LabelError(f"{where}: 'unjudgeable' must say why, as text.")
    if not faults and unjudgeable is None:
        raise LabelError(f"{where}: 'faults' is empty; write [\"clean\"] for a clean one, or give "
                         "unjudgeable = \"why\" when its form can't be judged.")
    if CLEAN in faults and len(faults) > 1:
        raise LabelError(f"{where}: 'faults' has \"clean\" beside fault codes; keep one or the other.")
    return LabelledItem(start, end, turn, side, frozenset(faults - {CLEAN}),
                        frozenset(_texts(t, "unsure", where)), unjudgeable)


def _partial(t: dict[str, Any], where: str) -> Span:
    _known_keys(t, _PARTIAL_KEYS, where)
    return Span(*_span(t, where))


def _span(t: dict[str, Any], where: str) -> tuple[float, float]:
    start, end = _time(t, "start", where), _time(t, "end", where)
    if end <= start:
        raise LabelError(f"{where}: 'end' ({end}) must come after 'start' ({start}).")
    return start, end


def _time(t: dict[str, Any], key: str, where: str) -> float:
    value = t.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise LabelError(f"{where}: '{key}' must be a time in seconds (a number ≥ 0), not {value!r}.")
    if value > SESSION_S:
        raise LabelError(f"{where}: '{key}' must be at most {SESSION_S:g} seconds, not {value!r}.")
    return float(value)


def _text(t: dict[str, Any], key: str, where: str) -> str:
    value = t.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LabelError(f"{where}: '{key}' is missing or empty; it must be text.")
    return value


def _texts(t: dict[str, Any], key: str, where: str, *, required: bool = False) -> list[str]:
    if key not in t and not required:
        return []
    value = t.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LabelError(f"{where}: '{key}' must be a list of words, e.g. {key} = [\"clean\"].")
    return value


def _tables(t: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = t.get(key, [])
    if not isinstance(value, list) or len(value) > ITEMS or not all(isinstance(v, dict) for v in value):
        raise LabelError(f"{where}: '{key}' must be a list of {{ start = ..., end = ... }} tables.")
    return value


def _known_keys(t: dict[str, Any], keys: set[str], where: str) -> None:
    unknown = sorted(set(t) - keys)
    if unknown:
        raise LabelError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(keys))}); "
                         "check its spelling.")


def check_codes(clip: ClipLabels, codes: set[str]) -> None:
    """Every code in the clip's ``faults`` and ``unsure`` is one of ``codes`` (its exercise's
    rules); ``LabelError`` naming the file, the clip, the item, the code and the valid codes if not."""
    for kind, items in (("reps", clip.reps), ("holds", clip.holds)):
        for i, item in enumerate(items):
            for code in sorted((item.faults | item.unsure) - codes):
                valid = f"its codes are {', '.join(sorted(codes))}" if codes else "it has no fault codes"
                raise LabelError(
                    f"{clip.labels_path.name}: clip {clip.file}, {kind}[{i}]: {code!r} is not a fault code of "
                    f"{clip.exercise} ({valid}); fix the label — `formcheck exercises --faults {clip.exercise}` "
                    "says what each code checks.")
