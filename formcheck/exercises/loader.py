"""Load and validate the exercise library: one commented TOML file per exercise.

Every problem is reported as ``ExerciseFileError`` naming the file, the key and what is wrong,
e.g. ``glute_bridge.toml: rep.target: must be a number, got "high"``.

Personal limits (safety floors): a rule may say how far a person's calibration profile may loosen
each of its thresholds, ``limit = { min = 155 }`` ("a profile may lower min to 155, no further"),
and ``[rep]`` likewise for the target (``limit = { target = 135 }``). A limit must lie on the loose
side of the value it limits (at or below a ``min``/``min_s``, at or above a ``max``/``max_s``, between
``start`` and ``target`` for the rep). A threshold without a limit is never loosened by a profile;
making a rule stricter is always allowed (see ``formcheck.exercises.profile``).

Movement envelope: ``[setup] envelope = { front = 1.0, back = 1.0, up = 0.3 }`` says how far (in
torso lengths) the exercise's movement reaches beyond the starting position, so the camera check
leaves room for it (``formcheck.core.exercise.Envelope``; unnamed directions default to 0.2).

The library is the built-in files next to this module plus the user's own folder
(``formcheck.paths.user_exercises_dir()``); a file that does not load is skipped and reported, so
one typo never hides the rest of the library.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, get_args

from formcheck.core.exercise import (
    ADJUSTABLE,
    ADJUSTABLE_KINDS,
    Condition,
    Dose,
    Envelope,
    ExerciseDef,
    Group,
    HoldDef,
    Phase,
    RepDef,
    RepPhase,
    RuleDef,
    RuleKind,
    SetupDef,
    Signal,
    Variant,
)
from formcheck.core.kinematics import Posture, View, landmark_index
from formcheck.core.landmarks import SIDED_JOINTS
from formcheck.core.measures import PAIR_KINDS, POINT_COUNT, Measure, MeasureSide
from formcheck.paths import user_exercises_dir
from formcheck.untrusted import (
    HOLD_S,
    ITEMS,
    NUMBER,
    REPS,
    REST_S,
    SETS,
    TEXT_CHARS,
    TOML_BYTES,
    Refused,
    parse_toml,
    read_text,
)

LIBRARY_DIR = Path(__file__).resolve().parent
# An id is also its file name, so it must never name a path (`--exercise ../../x`).
_ID = re.compile(r"[a-z0-9_]+")
_ID_RULE = "use lower-case letters, digits and _ only"


class ExerciseFileError(ValueError):
    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


class _Reader:
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

    def tables(self, key: str, example: str, default: Any = ...) -> list[_Reader]:
        """A list of tables (``[[rules]]``), each entry checked to be a table."""
        readers = []
        for i, entry in enumerate(self.get(key, list, default)):
            if not isinstance(entry, dict):
                raise self.err(f"{key}[{i}]", f"must be a table like {example}, got {entry!r}")
            readers.append(_Reader(self.file, entry, f"{self.prefix}{key}[{i}]."))
        return readers

    def sub(self, key: str, default: Any = ...) -> _Reader | None:
        table = self.get(key, dict, default)
        return None if table is None else _Reader(self.file, table, f"{self.prefix}{key}.")

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.err(unknown[0], "unknown key (a typo?)")


def _default(cls: type, name: str) -> Any:
    """A field's default, from the dataclass itself: defaults are written in one place only."""
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _type_name(k: type) -> str:
    names = {float: "a number", int: "a whole number", str: "text", bool: "true or false", list: "a list",
             dict: "a table", date: "a date (YYYY-MM-DD, no quotes)"}
    return names.get(k, k.__name__)


def _positive(v: float) -> str | None:
    return None if v > 0 else "must be greater than 0"


def _not_negative(v: float) -> str | None:
    return None if v >= 0 else "must not be negative"


def _joint_ok(name: str) -> bool:
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


def load_exercise(path: Path) -> ExerciseDef:
    """Parse and validate one exercise file."""
    file = path.name
    r = _Reader(file, read_toml(path, file, ExerciseFileError))
    ex_id = r.get("id", str, check=lambda v: None if _ID.fullmatch(v)
                  else f"{_ID_RULE} (it is also the file name), got {v!r}")
    if ex_id != path.stem:
        raise r.err("id", f"must match the file name {path.stem!r}, got {ex_id!r}")

    measures = _measures(r.sub("measures", {}) or _Reader(file, {}))
    dose = _dose(r.sub("dose"))
    setup_r = r.sub("setup", None)
    setup = _setup(setup_r) if setup_r else None
    rep_r = r.sub("rep", None)
    rep = _rep(rep_r, measures) if rep_r else None
    hold_r = r.sub("hold", None)
    hold = _hold(hold_r, measures) if hold_r else None
    rules = tuple(_rule(t, measures) for t in r.tables("rules", "[[rules]] (a block with kind, code, cue, ...)", []))
    variants = tuple(_variant(t, measures, ex_id) for t in r.tables(
        "variants", '[[variants]] (a block with exercise, name, position)', []))
    codes = [x.code for x in rules]
    if len(set(codes)) != len(codes):
        raise r.err("rules", "two rules share a code")
    if (rep or hold) and setup is None:
        raise r.err("setup", "is required for an exercise that counts reps or holds")
    if hold is not None and not dose.hold_s:
        raise r.err("dose", "hold_s (how long to hold) is required for an exercise with a [hold]")
    ex = ExerciseDef(
        id=ex_id,
        name=r.get("name", str),
        group=r.choice("group", get_args(Group)),
        instructions=r.get("instructions", str).strip(),
        camera=r.get("camera", str),
        dose=dose,
        setup=setup,
        measures=measures,
        rep=rep,
        hold=hold,
        rules=rules,
        variants=variants,
        safety=tuple(r.get("safety", list, [])),
        positive_cue=r.get("positive_cue", str, _default(ExerciseDef, "positive_cue")),
    )
    r.finish()
    return ex


def _measures(r: _Reader) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for name in list(r.table):
        m = r.sub(name)
        assert m is not None
        kind = m.choice("kind", tuple(POINT_COUNT))
        points = m.get("points", list, [])
        if len(points) != POINT_COUNT[kind]:
            raise m.err("points", f"a {kind} measure needs {POINT_COUNT[kind]} points, got {len(points)}")
        for p in points:
            if not isinstance(p, str) or not _joint_ok(p):
                raise m.err("points", f"unknown joint {p!r}")
            if kind in PAIR_KINDS and p not in SIDED_JOINTS:
                raise m.err("points", f"a {kind} measure needs left/right joint names such as 'knee', got {p!r}")
        out[name] = Measure(
            name, kind, tuple(points), m.get("signed", bool, False), m.choice("side", get_args(MeasureSide), None)
        )
        m.finish()
    r.finish()
    return out


def within(lo: float, hi: float, low_ok: bool = True) -> Callable[[float], str | None]:
    """A check that a value lies in [lo, hi] (or (lo, hi] when ``low_ok`` is False)."""
    def check(v: float) -> str | None:
        if (lo <= v if low_ok else lo < v) and v <= hi:
            return None
        return f"must be {'at least' if low_ok else 'greater than'} {lo:g} and at most {hi:g}"

    return check


def read_dose(r: _Reader, sets_default: Any = ..., rest_default: Any = ...) -> Dose:
    """A dose, wherever one is read (exercise and programme files): bounded by ``formcheck.untrusted``."""
    return Dose(
        sets=r.get("sets", int, sets_default, within(*SETS)),
        reps=r.get("reps", int, _default(Dose, "reps"), within(*REPS)),
        hold_s=r.get("hold_s", float, _default(Dose, "hold_s"), within(0, HOLD_S, low_ok=False)),
        per_side=r.get("per_side", bool, _default(Dose, "per_side")),
        rest_s=r.get("rest_s", float, _default(Dose, "rest_s") if rest_default is ... else rest_default,
                     within(0, REST_S)),
    )


def _dose(r: _Reader | None) -> Dose:
    assert r is not None
    d = read_dose(r)
    r.finish()
    return d


def _setup(r: _Reader) -> SetupDef:
    landmarks = r.get("landmarks", list)
    for j in landmarks:
        if not isinstance(j, str) or not _joint_ok(j):
            raise r.err("landmarks", f"unknown joint {j!r}")
    s = SetupDef(
        views=r.choices("views", get_args(View)),  # type: ignore[arg-type]
        landmarks=tuple(landmarks),
        postures=r.choices("postures", get_args(Posture), []),  # type: ignore[arg-type]
        min_visibility=r.get("min_visibility", float, _default(SetupDef, "min_visibility"),
                             lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
        position_cue=r.get("position_cue", str, _default(SetupDef, "position_cue")),
        envelope=_envelope(r.sub("envelope", None)),
    )
    r.finish()
    return s


def _envelope(r: _Reader | None) -> Envelope:
    """``envelope = { front = 0.9, back = 0.9 }``: torso lengths the movement reaches beyond the
    starting position (unnamed directions keep the default, ``Envelope``)."""
    if r is None:
        return Envelope()
    default = Envelope()
    values = {k: r.get(k, float, getattr(default, k), lambda v: None if v >= 0 else "must not be negative")
              for k in ("front", "back", "up", "down")}
    r.finish()
    return Envelope(**values)


def _known_measure(r: _Reader, key: str, measures: dict[str, Measure], default: Any = ...) -> Any:
    return r.get(key, str, default, lambda v: None if v in measures else f"no measure named {v!r} in [measures]")


def _conditions(r: _Reader, key: str, measures: dict[str, Measure], default: Any = ...) -> tuple[Condition, ...]:
    """``position = [{ measure = "knee", min = 135, cue = "Straighten your knees" }, ...]``: the
    joints that make a position, each with what to do when it is the one missing."""
    out = []
    for c in r.tables(key, '{ measure = "hip", min = 160 }', default):
        cond = Condition(_known_measure(c, "measure", measures), c.get("min", float, None),
                         c.get("max", float, None), c.get("cue", str, ""))
        if cond.min is None and cond.max is None:
            raise c.err("min", "a condition needs min and/or max")
        c.finish()
        out.append(cond)
    return tuple(out)


def _signal(r: _Reader | None, measures: dict[str, Measure]) -> Signal | None:
    """``also = { measure = "leg", start = -30, target = -15, opposite = true }``."""
    if r is None:
        return None
    sig = Signal(_known_measure(r, "measure", measures), r.get("start", float), r.get("target", float),
                 r.get("opposite", bool, False))
    r.finish()
    return sig


def _variant(r: _Reader, measures: dict[str, Measure], own_id: str) -> Variant:
    exercise = r.get("exercise", str, check=lambda v: None if _ID.fullmatch(v) and v != own_id
                     else f"the id of another exercise ({_ID_RULE}), got {v!r}")
    v = Variant(exercise, r.get("name", str), _conditions(r, "position", measures))
    if not v.position:
        raise r.err("position", "a variant needs the position that tells it apart")
    r.finish()
    return v


def _rep(r: _Reader, measures: dict[str, Measure]) -> RepDef:
    rep = RepDef(
        measure=_known_measure(r, "measure", measures),
        start=r.get("start", float),
        target=r.get("target", float),
        hysteresis=r.get("hysteresis", float, _default(RepDef, "hysteresis"), _not_negative),
        min_phase_s=r.get("min_phase_s", float, _default(RepDef, "min_phase_s"), _not_negative),
        min_rest_s=r.get("min_rest_s", float, _default(RepDef, "min_rest_s"), _not_negative),
        alternating=r.get("alternating", bool, _default(RepDef, "alternating")),
        position=_conditions(r, "position", measures, []),
        also=_signal(r.sub("also", None), measures),
    )
    if abs(rep.target - rep.start) <= 2 * rep.hysteresis:
        raise r.err("target", "must differ from start by more than twice the hysteresis")
    if rep.also is not None and abs(rep.also.target - rep.also.start) <= 2 * rep.hysteresis:
        raise r.err("also.target", "must differ from also.start by more than twice the hysteresis")
    limit = r.sub("limit", None)
    if limit is not None:
        value = limit.get("target", float)
        between = min(rep.start, rep.target) < value <= max(rep.start, rep.target)
        if not between or abs(value - rep.start) <= 2 * rep.hysteresis:
            raise limit.err("target", f"must lie between start ({rep.start:g}) and target ({rep.target:g}), more "
                            f"than twice the hysteresis from start: the loosest target a personal profile "
                            f"may set; got {value:g}")
        limit.finish()
        rep = dataclasses.replace(rep, target_limit=value)
    r.finish()
    return rep


def _hold(r: _Reader, measures: dict[str, Measure]) -> HoldDef:
    h = HoldDef(
        position=_conditions(r, "position", measures),
        grace_s=r.get("grace_s", float, _default(HoldDef, "grace_s")),
        min_record_s=r.get("min_record_s", float, _default(HoldDef, "min_record_s")),
        settle_s=r.get("settle_s", float, _default(HoldDef, "settle_s")),
        exit_s=r.get("exit_s", float, _default(HoldDef, "exit_s")),
    )
    r.finish()
    return h


_RULE_NEEDS: dict[str, tuple[str, ...]] = {
    "range": ("measure",),
    "symmetry": ("measure", "max"),
    "stability": ("point", "max"),
    "peak": (),  # judged on the rep measure's furthest value
    "tempo": ("rep_phase",),
    "hold_time": ("min_s",),
    "pairing": ("leg",),
}


def _rule(r: _Reader, measures: dict[str, Measure]) -> RuleDef:
    kind = r.choice("kind", get_args(RuleKind))
    rule = RuleDef(
        code=r.get("code", str, check=lambda v: None if v.replace("_", "").isalnum() else "use letters, digits and _"),
        kind=kind,
        cue=r.get("cue", str),
        severity=r.get("severity", int, _default(RuleDef, "severity"), lambda v: None if 1 <= v <= 4 else "must be 1–4"),
        phase=r.choice("phase", get_args(Phase), _default(RuleDef, "phase")),
        measure=_known_measure(r, "measure", measures, None),
        min=r.get("min", float, None),
        max=r.get("max", float, None),
        rep_phase=r.choice("rep_phase", get_args(RepPhase), None),
        min_s=r.get("min_s", float, None),
        max_s=r.get("max_s", float, None),
        point=r.get("point", str, None, lambda v: None if _joint_ok(v) else f"unknown joint {v!r}"),
        leg=_known_measure(r, "leg", measures, None),
        side=r.choice("side", ("near", "active", "opposite"), _default(RuleDef, "side")),
        persist_s=r.get("persist_s", float, _default(RuleDef, "persist_s")),
        margin=r.get("margin", float, _default(RuleDef, "margin"), lambda v: None if v >= 0 else "must be 0 or more"),
        views=r.choices("views", get_args(View), []),  # type: ignore[arg-type]
        relative=r.get("relative", bool, _default(RuleDef, "relative")),
        when=_conditions(r, "when", measures, []),
        cue_low=r.get("cue_low", str, ""),
        cue_high=r.get("cue_high", str, ""),
        looks_at=r.get("looks_at", str, ""),
    )
    if (rule.cue_low or rule.cue_high) and (rule.kind != "range" or rule.min is None or rule.max is None):
        raise r.err("cue_low", "cue_low and cue_high are for a range rule with both min and max")
    for need in _RULE_NEEDS[kind]:
        if getattr(rule, need) is None:
            raise r.err(need, f"is required for a {kind} rule")
    if kind in ("range", "peak", "pairing") and rule.min is None and rule.max is None:
        raise r.err("min", f"a {kind} rule needs min and/or max")
    if rule.relative and rule.phase != "peak":
        raise r.err("relative", "only a rule judged at the peak (phase = \"peak\") can be relative to the rep's start")
    if kind == "tempo" and rule.min_s is None and rule.max_s is None:
        raise r.err("min_s", "a tempo rule needs min_s and/or max_s")
    limit = r.sub("limit", None)
    if limit is not None:
        rule = _rule_limits(limit, rule)
    r.finish()
    return rule


def _rule_limits(r: _Reader, rule: RuleDef) -> RuleDef:
    """``limit = { min = 155 }``: the loosest value a personal profile may give each threshold."""
    if rule.kind not in ADJUSTABLE_KINDS:
        raise r.err("", f"a {rule.kind} rule has no personal thresholds to limit")
    limits: dict[str, Any] = {}  # threshold name -> value (Any: replace() checks every field)
    for key, lower_is_looser in ADJUSTABLE.items():
        value = r.get(key, float, None)
        if value is None:
            continue
        base = getattr(rule, key)
        if base is None:
            raise r.err(key, f"the rule has no {key} to limit")
        if (value > base) if lower_is_looser else (value < base):
            side = "below" if lower_is_looser else "above"
            raise r.err(key, f"must be at or {side} {key} ({base:g}): it is the loosest value a personal profile "
                        f"may set; got {value:g}")
        limits[f"{key}_limit"] = value
    r.finish()
    return dataclasses.replace(rule, **limits)


@dataclass(frozen=True, slots=True)
class Library:
    """The exercises that loaded, which of them are the user's own, and each file that did not."""

    exercises: dict[str, ExerciseDef]
    custom: frozenset[str]
    problems: tuple[ExerciseFileError, ...]


def load_library(directory: Path = LIBRARY_DIR, custom_dir: Path | None = None) -> Library:
    """The built-in exercises in ``directory`` and the user's own in ``custom_dir`` (default
    ``user_exercises_dir()``). Bad files are skipped and listed in ``problems``; a custom file
    is named by its full path there, so the user can find it."""
    custom_dir = custom_dir or user_exercises_dir()
    exercises: dict[str, ExerciseDef] = {}
    problems: list[ExerciseFileError] = []
    builtin_ids = {p.stem for p in directory.glob("*.toml")}
    for path in sorted(directory.glob("*.toml")):
        try:
            exercises[path.stem] = load_exercise(path)
        except ExerciseFileError as exc:
            problems.append(exc)
    custom: set[str] = set()
    for path in sorted(custom_dir.glob("*.toml")) if custom_dir.is_dir() else ():
        if path.stem in builtin_ids:
            problems.append(ExerciseFileError(str(path), "id", f"{path.stem!r} is a built-in exercise; give your "
                                              f"copy another id and file name (e.g. my_{path.stem}.toml)"))
            continue
        try:
            exercises[path.stem] = load_exercise(path)
        except ExerciseFileError as exc:
            problems.append(ExerciseFileError(str(path), exc.key, exc.problem))
            continue
        custom.add(path.stem)
    return Library(exercises, frozenset(custom), tuple(problems))


def load_by_id(exercise_id: str) -> ExerciseDef:
    """One exercise by id: a built-in one, else one from the user's folder."""
    if not _ID.fullmatch(exercise_id):
        raise ExerciseFileError(repr(exercise_id), "id", f"not an exercise id ({_ID_RULE}); "
                                "`formcheck exercises` lists the valid ones")
    folders = (LIBRARY_DIR, user_exercises_dir())
    for folder in folders:
        path = folder / f"{exercise_id}.toml"
        if path.is_file():
            return load_exercise(path)
    known = ", ".join(sorted({p.stem for f in folders for p in f.glob("*.toml")}))
    raise ExerciseFileError(f"{exercise_id}.toml", "id", f"no such exercise; known: {known}")
