"""Personal thresholds: what a calibration profile does to an exercise, and where its values come from.

``apply_profile`` makes the personal ``ExerciseDef``: a value is bounded by the limit the exercise
file gives it (``limit = { min = 155 }``, its safety floor), so a profile can make a rule stricter
but never looser than that floor, and never looser at all without one. ``rom_targets`` measures a
person's own targets from reference reps, ``population_profile`` is the default everyone starts
from, and ``personalise`` is the exercise as a person is judged today.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from formcheck.core.exercise import ADJUSTABLE, ADJUSTABLE_KINDS, ExerciseDef, RepDef, RuleDef
from formcheck.core.reps import RepRecord
from formcheck.exercises.profile import ExerciseOverrides, Profile, ProfileError, ProfileStore, read_profile


def _looser(key: str, value: float, than: float) -> bool:
    return value < than if ADJUSTABLE[key] else value > than


def bound(rule: RuleDef, key: str, value: float) -> tuple[float, str | None]:
    """``value`` for ``rule.key`` within the rule's safety floor, and why it was changed (if it was).

    Stricter than the population value is always allowed; looser only as far as ``limit``.
    """
    base = getattr(rule, key)
    floor = getattr(rule, f"{key}_limit")
    if not _looser(key, value, base):
        return value, None
    if floor is None:
        return base, (f"{value:g} would be looser than {base:g} and the exercise file allows this rule no "
                      f"personal limit; {base:g} is used")
    if _looser(key, value, floor):
        return floor, f"{value:g} is looser than the safety floor {floor:g} in the exercise file; {floor:g} is used"
    return value, None


def bound_target(rep: RepDef, value: float) -> tuple[float, str | None]:
    """A personal rep target within the exercise's limit (looser = nearer ``start``)."""
    floor = rep.target_limit if rep.target_limit is not None else rep.target
    looser = (value < floor) if rep.rising else (value > floor)
    if looser:
        if rep.target_limit is None:
            return floor, (f"{value:g} would be looser than {floor:g} and the exercise file allows no personal "
                           f"target; {floor:g} is used")
        return floor, f"{value:g} is looser than the limit {floor:g} in the exercise file; {floor:g} is used"
    if abs(value - rep.start) <= 2 * rep.hysteresis or (value > rep.start) != rep.rising:
        return rep.target, f"{value:g} is not clearly past start ({rep.start:g}); {rep.target:g} is used"
    return value, None


def apply_profile(exercise: ExerciseDef, profile: Profile | None) -> tuple[ExerciseDef, list[str]]:
    """The exercise with the profile's personal values, and a ``file: key: problem`` line for each
    value that was bounded or ignored. Without a profile (or with nothing for this exercise) the
    thresholds are the population ones; the result still names the profile it was judged with."""
    if profile is None:
        return exercise, []
    file = str(profile.path) if profile.path else profile.label
    notes: list[str] = []
    overrides = profile.exercises.get(exercise.id, ExerciseOverrides())
    prefix = f"exercises.{exercise.id}"
    rules = {r.code: r for r in exercise.rules}
    for code in overrides.rules:
        if code not in rules:
            notes.append(f"{file}: {prefix}.rules.{code}: {exercise.id} has no such rule (any more); ignored")
    new_rules = []
    for rule in exercise.rules:
        values = overrides.rules.get(rule.code, {})
        changes: dict[str, Any] = {}  # threshold name -> value (Any: replace() checks every field)
        for key, value in values.items():
            where = f"{file}: {prefix}.rules.{rule.code}.{key}"
            if rule.kind not in ADJUSTABLE_KINDS or getattr(rule, key) is None:
                notes.append(f"{where}: the rule has no personal {key}; ignored")
                continue
            changes[key], why = bound(rule, key, value)
            if why:
                notes.append(f"{where}: {why}")
        lo, hi = changes.get("min", rule.min), changes.get("max", rule.max)
        lo_s, hi_s = changes.get("min_s", rule.min_s), changes.get("max_s", rule.max_s)
        if (lo is not None and hi is not None and lo >= hi) or (lo_s is not None and hi_s is not None and lo_s >= hi_s):
            notes.append(f"{file}: {prefix}.rules.{rule.code}: its min is not below its max; the rule keeps "
                         "its population thresholds")
            changes = {}
        new_rules.append(dataclasses.replace(rule, **changes) if changes else rule)
    rep = exercise.rep
    if overrides.rep and rep is None:
        notes.append(f"{file}: {prefix}.rep: {exercise.id} counts no reps; ignored")
    elif rep is not None and overrides.rep:
        if "target" in overrides.rep:
            target, why = bound_target(rep, overrides.rep["target"])
            if why:
                notes.append(f"{file}: {prefix}.rep.target: {why}")
            rep = dataclasses.replace(rep, target=target)
        if "goal" in overrides.rep:
            rep = dataclasses.replace(rep, goal=overrides.rep["goal"])
    label = "" if profile.population else profile.label
    return dataclasses.replace(exercise, rules=tuple(new_rules), rep=rep, profile=label, body=profile.body), notes


def rom_targets(exercise: ExerciseDef, reps: Sequence[RepRecord]) -> tuple[ExerciseOverrides, list[str]]:
    """A person's own targets from reference reps done the way the therapist wants them.

    The goal (progress is shown as % of it) is the median furthest value the reps reached. Where
    the *least* far of the reps falls short of a ``peak`` rule, or of the rep target when the
    exercise file gives that a limit (a personal depth), the threshold moves to just short of it —
    by a tenth of their range of motion, at least the rep's hysteresis, so reps like the references
    pass — bounded by the rule's safety floor. Thresholds the references already pass are left at
    the population value: on the labelled real squats, moving the target deeper for people who
    squat deep shortened the "bottom" phase the knee rule watches and halved its F1 (0.63 → 0.34,
    tools/measure_calibration.py); a therapist can still make a rule stricter in the review window.
    """
    rep = exercise.rep
    if rep is None:
        raise ValueError(f"{exercise.id} counts no reps, so it has no range-of-motion targets")
    peaks = [r.peak for r in reps if not math.isnan(r.peak)]
    ranges = [abs(r.peak - r.low) for r in reps if not (math.isnan(r.peak) or math.isnan(r.low))]
    if not peaks or not ranges:
        raise ValueError("the reference reps have no measured range of motion")
    least = min(peaks) if rep.rising else max(peaks)
    margin = max(0.1 * statistics.median(ranges), rep.hysteresis)
    reach = round(least - margin if rep.rising else least + margin, 1)
    key = "min" if rep.rising else "max"
    notes: list[str] = []
    rules: dict[str, dict[str, float]] = {}
    for rule in exercise.rules:
        if rule.kind == "peak" and getattr(rule, key) is not None and _looser(key, reach, getattr(rule, key)):
            value, why = bound(rule, key, reach)
            rules[rule.code] = {key: value}
            if why:
                notes.append(f"{exercise.id}: rules.{rule.code}.{key}: {why}")
    values: dict[str, float] = {"goal": round(statistics.median(peaks), 1)}
    short = (least - rep.hysteresis < rep.target) if rep.rising else (least + rep.hysteresis > rep.target)
    if short and rep.target_limit is not None:
        values["target"], why = bound_target(rep, reach)
        if why:
            notes.append(f"{exercise.id}: rep.target: {why}")
    elif short:
        notes.append(f"{exercise.id}: rep.target: the reference reps didn't clearly reach {rep.target:g} and the "
                     "exercise file allows no personal target, so reps like them may count as attempts")
    return ExerciseOverrides(values, rules), notes


def population_profile(exercises: dict[str, ExerciseDef]) -> Profile:
    """The default profile: every threshold a profile can set, at today's population value."""
    out: dict[str, ExerciseOverrides] = {}
    for ex_id in sorted(exercises):
        ex = exercises[ex_id]
        rules = {r.code: {k: getattr(r, k) for k in ADJUSTABLE if getattr(r, k) is not None}
                 for r in ex.rules if r.kind in ADJUSTABLE_KINDS}
        rep = {"target": ex.rep.target} if ex.rep is not None else {}
        if rules or rep:
            out[ex_id] = ExerciseOverrides(rep, {c: v for c, v in rules.items() if v})
    return Profile(person="", exercises=out, population=True,
                   reason="The thresholds in formcheck/exercises/*.toml: what everyone is judged with "
                          "until a personal profile says otherwise.")


def personalise(exercise: ExerciseDef, person: str, store: ProfileStore | None = None,
                profile_file: Path | None = None) -> tuple[ExerciseDef, list[str]]:
    """The exercise as ``person`` is judged today (their newest profile, or ``profile_file``), and
    what to tell the user: bounded values, or a broken profile replaced by the population values."""
    try:
        profile = read_profile(profile_file) if profile_file else (store or ProfileStore()).latest(person)
    except ProfileError as exc:
        return exercise, [f"{exc}; using the population thresholds instead"]
    return apply_profile(exercise, profile)
