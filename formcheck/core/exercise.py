"""Typed exercise definitions, as loaded from the TOML library (``formcheck.exercises``).

Rule kinds (code) and their fields; thresholds live only in the exercise files:

* ``range`` — a measure stays within [min, max] during ``phase`` (joint angle in range, segment
  inclination, point above/below a line, alignment of three points: the measure's kind decides).
* ``symmetry`` — |left − right| of a measure ≤ max during ``phase``.
* ``stability`` — a point moves at most ``max`` torso lengths from where it was when the phase
  began.
* ``peak`` — at the end of a rep, the furthest value the rep's measure reached lies in [min, max].
* ``tempo`` — at the end of a rep, the duration of ``rep_phase`` (up/top/down, or the whole rep)
  lies in [min_s, max_s].
* ``hold_time`` — a hold (or a rep's top) lasted at least ``min_s``.
* ``pairing`` — in the ``top`` phase the limb pair moving is contralateral: the raised arm and
  the raised leg belong to opposite sides (measures ``arm`` and ``leg`` evaluated per side).
* ``visibility`` — listed landmarks seen with at least the given confidence (part of set-up).

Phases: ``always``, ``rest``, ``moving`` (leaving or returning to rest), ``top`` (from the moment
the target is crossed), ``peak`` (the held top, where a therapist looks: judged once per rep, when
it ends, on the median of the frames near the rep's own peak), ``hold`` (in the held position).

``margin`` gives the benefit of the doubt: a value must be beyond a threshold by more than the
margin (in the threshold's unit) to count as a fault, so a rep measured within the error of the
threshold is never flagged on one rep and passed on the next.

Personal limits: a threshold a calibration profile may move
(``formcheck.exercises.personal_thresholds``) has a *limit*, the loosest value a profile may give it
(a safety floor): ``min_limit`` ≤ ``min``, ``max_limit`` ≥ ``max`` and so on. A profile may always
make a rule stricter, and never looser than its limit; a threshold without a limit is never loosened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from formcheck.core.body import BodyModel
from formcheck.core.kinematics import Posture, View
from formcheck.core.measures import Measure

Phase = Literal["always", "rest", "moving", "top", "peak", "hold"]
RuleKind = Literal["range", "symmetry", "stability", "peak", "tempo", "hold_time", "pairing"]
RepPhase = Literal["up", "top", "down", "whole"]
Group = Literal["core", "mobility", "functional", "timer"]

# Thresholds a personal profile may move, each with whether a lower value is the looser one
# (flags less), and the rule kinds that have such thresholds. A pairing rule's min only decides
# which leg counts as lifted, so it is not a person's target.
ADJUSTABLE: dict[str, bool] = {"min": True, "max": False, "min_s": True, "max_s": False}
ADJUSTABLE_KINDS = ("range", "symmetry", "stability", "peak", "tempo", "hold_time")

# Severity: higher wins when two cues compete. Setup problems outrank form faults because form
# cannot be judged until the person is seen properly.
SEVERITY_INFO, SEVERITY_FAULT, SEVERITY_SETUP, SEVERITY_SAFETY = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Dose:
    sets: int
    reps: int | None = None
    hold_s: float | None = None
    per_side: bool = False
    rest_s: float = 30.0

    def text(self) -> str:
        each = " per side" if self.per_side else ""
        if self.reps:
            return f"{self.sets} × {self.reps} reps{each}"
        if self.hold_s:
            return f"{self.sets} × {self.hold_s:g} s hold{each}"
        return f"{self.sets} sets"


@dataclass(frozen=True, slots=True)
class Envelope:
    """How far the exercise's movement reaches beyond the starting position, in torso lengths, so
    the camera check can leave room for it (the bird dog's reach, the bridge's lift). ``front`` is
    the way the head points when lying or on hands and knees, the way the toes point when standing
    or sitting; ``back`` the opposite; ``up`` and ``down`` are on screen."""

    front: float = 0.2
    back: float = 0.2
    up: float = 0.2
    down: float = 0.2


@dataclass(frozen=True, slots=True)
class SetupDef:
    views: tuple[View, ...]
    landmarks: tuple[str, ...]
    # Where the exercise starts (the camera check asks for it before framing the movement).
    postures: tuple[Posture, ...] = ()
    min_visibility: float = 0.5
    position_cue: str = "Get into the starting position"
    envelope: Envelope = Envelope()


@dataclass(frozen=True, slots=True)
class Signal:
    """``measure`` leaves ``start`` and reaches ``target``, read on the rep's side, or (``opposite``)
    on the other side (the leg that goes with the working arm)."""

    measure: str
    start: float
    target: float
    opposite: bool = False


@dataclass(frozen=True, slots=True)
class RepDef:
    """A rep: ``measure`` leaves the rest side of ``start``, reaches ``target``, comes back.

    ``position``: the starting position, joint by joint (bird dog: on hands and knees); a rep can
    only begin from it. A movement that turns back short of ``target`` is still a rep (with the
    exercise's depth fault) unless it is a clear abort: less than ``ABORT_SHARE`` of this person's
    usual range in the set (``formcheck.core.reps``)."""

    measure: str
    start: float
    target: float
    hysteresis: float = 4.0
    min_phase_s: float = 0.2
    min_rest_s: float = 0.4
    alternating: bool = False
    # The loosest personal ``target`` (nearer ``start``) a calibration profile may set.
    target_limit: float | None = None
    # A person's own goal for the measure's furthest value (from range-of-motion calibration):
    # each rep's progress is shown as a percentage of the way from its rest value to the goal.
    goal: float | None = None
    position: tuple[Condition, ...] = ()
    # A second signal of the same movement, used where the first can't be seen (the bird dog's far
    # arm is hidden: its opposite leg shows the rep; a close-up hides the shins: the thigh shows
    # the squat). The rep's ``peak`` rules, which read the first measure, are then not judged.
    also: Signal | None = None

    @property
    def rising(self) -> bool:
        return self.target > self.start


@dataclass(frozen=True, slots=True)
class Condition:
    """One joint of a position: ``measure`` within [min, max]. ``cue`` tells the person what to do
    when it is the one missing ("Straighten your knees"), and names it in a set's "why nothing
    counted"."""

    measure: str
    min: float | None = None
    max: float | None = None
    cue: str = ""

    def holds(self, value: float) -> bool:
        if value != value:  # nan: not measurable
            return False
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@dataclass(frozen=True, slots=True)
class HoldDef:
    """A timed hold: time accumulates while all ``position`` conditions hold and form is clean.
    How long to hold is the prescription's: ``Dose.hold_s``."""

    position: tuple[Condition, ...]
    grace_s: float = 1.0
    min_record_s: float = 1.0
    # The hold begins once the position has been held this long: getting into a plank passes
    # through a sag on the way up (not a fault), and a therapist starts the clock once settled.
    settle_s: float = 1.0
    # Likewise, lowering out of the position passes through a sag: faults that start this close
    # to the end of the hold are part of leaving it and are dropped.
    exit_s: float = 0.8


@dataclass(frozen=True, slots=True)
class Variant:
    """An easier (or other) version of the exercise that the library has as its own exercise: when
    the person is in ``position`` instead of this exercise's, nothing is counted or judged here and
    they are told "This looks like <name>: choose it"."""

    exercise: str
    name: str
    position: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class RuleDef:
    code: str
    kind: RuleKind
    cue: str
    severity: int = SEVERITY_FAULT
    phase: Phase = "always"
    measure: str | None = None
    min: float | None = None
    max: float | None = None
    rep_phase: RepPhase | None = None
    min_s: float | None = None
    max_s: float | None = None
    point: str | None = None
    leg: str | None = None
    # Which body side the measure is read on: the side nearer the camera, or (alternating
    # exercises) the side of the limb working / the opposite one.
    side: Literal["near", "active", "opposite"] = "near"
    # A frame-level fault must last this long before it counts (filters single-frame noise).
    persist_s: float = 0.3
    margin: float = 0.0  # beyond a threshold by more than this to be a fault (see module doc)
    # The rule applies only while these hold (a check for the forearm support is no check of a
    # straight arm); elsewhere it is neither a fault nor "not judged": it doesn't apply.
    when: tuple[Condition, ...] = ()
    # Camera views this rule can be judged from (empty: any). Knees caving in shows from the
    # front; knees past the toes from the side. From another view the rule is "not judged".
    views: tuple[View, ...] = ()
    # A "peak" rule on the change since the rep began rather than the value itself: heels lifting
    # is the heel rising from where it stood, whatever the camera's angle makes of "flat".
    relative: bool = False
    # The loosest value a personal profile may give each threshold (None: never loosened).
    min_limit: float | None = None
    max_limit: float | None = None
    min_s_limit: float | None = None
    max_s_limit: float | None = None
    # Cues with a direction for a range rule with both bounds: under ``min`` / over ``max``.
    cue_low: str = ""
    cue_high: str = ""
    # What the rule looks at, for "not judged" reasons and the turn-to-the-camera cue ("your knees").
    looks_at: str = ""

    def in_range(self, value: float) -> bool:
        return Condition(self.measure or "", self.min, self.max).holds(value)

    def violated(self, value: float) -> bool | None:
        """Clearly outside [min, max] (by more than the margin); None when not measurable."""
        if value != value:
            return None
        return (self.min is not None and value < self.min - self.margin) or (
            self.max is not None and value > self.max + self.margin)

    def cue_for(self, value: float) -> str:
        """The cue for ``value``: the one with the direction to move when the rule has two."""
        if self.cue_low and self.min is not None and value < self.min:
            return self.cue_low
        if self.cue_high and self.max is not None and value > self.max:
            return self.cue_high
        return self.cue

    def duration_violated(self, seconds: float) -> bool:
        """A timed phase clearly outside [min_s, max_s] (by more than the margin, in seconds)."""
        return (self.min_s is not None and seconds < self.min_s - self.margin) or (
            self.max_s is not None and seconds > self.max_s + self.margin)


@dataclass(frozen=True, slots=True)
class ExerciseDef:
    id: str
    name: str
    group: Group
    instructions: str
    camera: str
    dose: Dose
    setup: SetupDef | None
    measures: dict[str, Measure] = field(default_factory=dict)
    rep: RepDef | None = None
    hold: HoldDef | None = None
    rules: tuple[RuleDef, ...] = ()
    variants: tuple[Variant, ...] = ()
    safety: tuple[str, ...] = ()
    positive_cue: str = "Good rep"
    # The calibration profile whose personal thresholds this definition carries ("" = none: the
    # population thresholds of the exercise file), e.g. "Eve v3".
    profile: str = ""
    # The person's body measurements (from that profile): a limb far longer than theirs is a
    # landmark on the wrong spot, and is not judged (``formcheck.core.body.screen``).
    body: BodyModel | None = None

    @property
    def timer_only(self) -> bool:
        return self.rep is None and self.hold is None
