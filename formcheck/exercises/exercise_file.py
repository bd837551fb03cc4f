"""One exercise file: its TOML schema, checked key by key into an ``ExerciseDef``.

Every problem is reported as ``ExerciseFileError`` naming the file, the key and what is wrong,
e.g. ``glute_bridge.toml: rep.target: must be a number, got "high"``.

Personal limits (safety floors): a rule may say how far a person's calibration profile may loosen
each of its thresholds, ``limit = { min = 155 }`` ("a profile may lower min to 155, no further"),
and ``[rep]`` likewise for the target (``limit = { target = 135 }``). A limit must lie on the loose
side of the value it limits (at or below a ``min``/``min_s``, at or above a ``max``/``max_s``, between
``start`` and ``target`` for the rep). A threshold without a limit is never loosened by a profile;
making a rule stricter is always allowed (see ``formcheck.exercises.personal_thresholds``).

Movement envelope: ``[setup] envelope = { front = 1.0, back = 1.0, up = 0.3 }`` says how far (in
torso lengths) the exercise's movement reaches beyond the starting position, so the camera check
leaves room for it (``formcheck.core.exercise.Envelope``; unnamed directions default to 0.2).
"""

from __future__ import annotations

import dataclasses
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
from formcheck.core.kinematics import Posture, View
from formcheck.core.landmarks import SIDED_JOINTS
from formcheck.core.measures import PAIR_KINDS, POINT_COUNT, Measure, MeasureSide
from formcheck.exercises.toml_reader import (
    EXERCISE_ID,
    ID_RULE,
    ExerciseFileError,
    TableReader,
    field_default,
    joint_ok,
    read_toml,
    within,
)
from formcheck.untrusted import HOLD_S, REPS, REST_S, SETS


def _not_negative(v: float) -> str | None:
    return None if v >= 0 else "must not be negative"


def load_exercise(path: Path) -> ExerciseDef:
    """Parse and validate one exercise file."""
    file = path.name
    r = TableReader(file, read_toml(path, file, ExerciseFileError))
    ex_id = r.get("id", str, check=lambda v: None if EXERCISE_ID.fullmatch(v)
                  else f"{ID_RULE} (it is also the file name), got {v!r}")
    if ex_id != path.stem:
        raise r.err("id", f"must match the file name {path.stem!r}, got {ex_id!r}")

    measures = _measures(r.sub("measures", {}) or TableReader(file, {}))
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
        positive_cue=r.get("positive_cue", str, field_default(ExerciseDef, "positive_cue")),
    )
    r.finish()
    return ex


def _measures(r: TableReader) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for name in list(r.table):
        m = r.sub(name)
        assert m is not None
        kind = m.choice("kind", tuple(POINT_COUNT))
        points = m.get("points", list, [])
        if len(points) != POINT_COUNT[kind]:
            raise m.err("points", f"a {kind} measure needs {POINT_COUNT[kind]} points, got {len(points)}")
        for p in points:
            if not isinstance(p, str) or not joint_ok(p):
                raise m.err("points", f"unknown joint {p!r}")
            if kind in PAIR_KINDS and p not in SIDED_JOINTS:
                raise m.err("points", f"a {kind} measure needs left/right joint names such as 'knee', got {p!r}")
        out[name] = Measure(
            name, kind, tuple(points), m.get("signed", bool, False), m.choice("side", get_args(MeasureSide), None)
        )
        m.finish()
    r.finish()
    return out



def read_dose(r: TableReader, sets_default: Any = ..., rest_default: Any = ...) -> Dose:
    """A dose, wherever one is read (exercise and programme files): bounded by ``formcheck.untrusted``."""
    return Dose(
        sets=r.get("sets", int, sets_default, within(*SETS)),
        reps=r.get("reps", int, field_default(Dose, "reps"), within(*REPS)),
        hold_s=r.get("hold_s", float, field_default(Dose, "hold_s"), within(0, HOLD_S, low_ok=False)),
        per_side=r.get("per_side", bool, field_default(Dose, "per_side")),
        rest_s=r.get("rest_s", float, field_default(Dose, "rest_s") if rest_default is ... else rest_default,
                     within(0, REST_S)),
    )


def _dose(r: TableReader | None) -> Dose:
    assert r is not None
    d = read_dose(r)
    r.finish()
    return d


def _setup(r: TableReader) -> SetupDef:
    landmarks = r.get("landmarks", list)
    for j in landmarks:
        if not isinstance(j, str) or not joint_ok(j):
            raise r.err("landmarks", f"unknown joint {j!r}")
    s = SetupDef(
        views=r.choices("views", get_args(View)),  # type: ignore[arg-type]
        landmarks=tuple(landmarks),
        postures=r.choices("postures", get_args(Posture), []),  # type: ignore[arg-type]
        min_visibility=r.get("min_visibility", float, field_default(SetupDef, "min_visibility"),
                             lambda v: None if 0 <= v <= 1 else "must be between 0 and 1"),
        position_cue=r.get("position_cue", str, field_default(SetupDef, "position_cue")),
        envelope=_envelope(r.sub("envelope", None)),
    )
    r.finish()
    return s


def _envelope(r: TableReader | None) -> Envelope:
    """``envelope = { front = 0.9, back = 0.9 }``: torso lengths the movement reaches beyond the
    starting position (unnamed directions keep the default, ``Envelope``)."""
    if r is None:
        return Envelope()
    default = Envelope()
    values = {k: r.get(k, float, getattr(default, k), lambda v: None if v >= 0 else "must not be negative")
              for k in ("front", "back", "up", "down")}
    r.finish()
    return Envelope(**values)


def _known_measure(r: TableReader, key: str, measures: dict[str, Measure], default: Any = ...) -> Any:
    return r.get(key, str, default, lambda v: None if v in measures else f"no measure named {v!r} in [measures]")


def _conditions(r: TableReader, key: str, measures: dict[str, Measure], default: Any = ...) -> tuple[Condition, ...]:
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


def _signal(r: TableReader | None, measures: dict[str, Measure]) -> Signal | None:
    """``also = { measure = "leg", start = -30, target = -15, opposite = true }``."""
    if r is None:
        return None
    sig = Signal(_known_measure(r, "measure", measures), r.get("start", float), r.get("target", float),
                 r.get("opposite", bool, False))
    r.finish()
    return sig


def _variant(r: TableReader, measures: dict[str, Measure], own_id: str) -> Variant:
    exercise = r.get("exercise", str, check=lambda v: None if EXERCISE_ID.fullmatch(v) and v != own_id
                     else f"the id of another exercise ({ID_RULE}), got {v!r}")
    v = Variant(exercise, r.get("name", str), _conditions(r, "position", measures))
    if not v.position:
        raise r.err("position", "a variant needs the position that tells it apart")
    r.finish()
    return v


def _rep(r: TableReader, measures: dict[str, Measure]) -> RepDef:
    rep = RepDef(
        measure=_known_measure(r, "measure", measures),
        start=r.get("start", float),
        target=r.get("target", float),
        hysteresis=r.get("hysteresis", float, field_default(RepDef, "hysteresis"), _not_negative),
        min_phase_s=r.get("min_phase_s", float, field_default(RepDef, "min_phase_s"), _not_negative),
        min_rest_s=r.get("min_rest_s", float, field_default(RepDef, "min_rest_s"), _not_negative),
        alternating=r.get("alternating", bool, field_default(RepDef, "alternating")),
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


def _hold(r: TableReader, measures: dict[str, Measure]) -> HoldDef:
    h = HoldDef(
        position=_conditions(r, "position", measures),
        grace_s=r.get("grace_s", float, field_default(HoldDef, "grace_s")),
        min_record_s=r.get("min_record_s", float, field_default(HoldDef, "min_record_s")),
        settle_s=r.get("settle_s", float, field_default(HoldDef, "settle_s")),
        exit_s=r.get("exit_s", float, field_default(HoldDef, "exit_s")),
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


def _rule(r: TableReader, measures: dict[str, Measure]) -> RuleDef:
    kind = r.choice("kind", get_args(RuleKind))
    rule = RuleDef(
        code=r.get("code", str, check=lambda v: None if v.replace("_", "").isalnum() else "use letters, digits and _"),
        kind=kind,
        cue=r.get("cue", str),
        severity=r.get("severity", int, field_default(RuleDef, "severity"), lambda v: None if 1 <= v <= 4 else "must be 1–4"),
        phase=r.choice("phase", get_args(Phase), field_default(RuleDef, "phase")),
        measure=_known_measure(r, "measure", measures, None),
        min=r.get("min", float, None),
        max=r.get("max", float, None),
        rep_phase=r.choice("rep_phase", get_args(RepPhase), None),
        min_s=r.get("min_s", float, None),
        max_s=r.get("max_s", float, None),
        point=r.get("point", str, None, lambda v: None if joint_ok(v) else f"unknown joint {v!r}"),
        leg=_known_measure(r, "leg", measures, None),
        side=r.choice("side", ("near", "active", "opposite"), field_default(RuleDef, "side")),
        persist_s=r.get("persist_s", float, field_default(RuleDef, "persist_s")),
        margin=r.get("margin", float, field_default(RuleDef, "margin"), lambda v: None if v >= 0 else "must be 0 or more"),
        views=r.choices("views", get_args(View), []),  # type: ignore[arg-type]
        relative=r.get("relative", bool, field_default(RuleDef, "relative")),
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


def _rule_limits(r: TableReader, rule: RuleDef) -> RuleDef:
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
