"""Rule kinds as code. Frame rules judge one frame; rep rules judge a finished rep.

Each check returns ``True`` (fault), ``False`` (fine) or ``None`` (cannot be judged: a landmark is
unsure or a value is missing) — an unsure landmark never produces a form cue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from formcheck.core.exercise import RuleDef
from formcheck.core.gating import inside
from formcheck.core.kinematics import Side, point
from formcheck.core.landmarks import Pose
from formcheck.core.measures import Measure, torso_length
from formcheck.core.reps import RepRecord

FRAME_KINDS = ("range", "symmetry", "stability", "pairing")
REP_KINDS = ("peak", "tempo", "hold_time")


@dataclass(frozen=True, slots=True)
class FrameContext:
    """What a frame rule may look at."""

    pose: Pose
    side: Side
    measures: Mapping[str, Measure]
    min_confidence: float
    # Where tracked points were when the current phase began (for stability rules).
    anchors: Mapping[str, npt.NDArray[np.float32]]
    active_side: Side | None = None  # the limb side moving in an alternating exercise
    # The picture's size (pixels): a landmark guessed beyond its edge is not seen. None: unknown.
    frame: tuple[int, int] | None = None

    def value(self, name: str, side: Side | None = None) -> float:
        """A measure's value, or nan when any of its landmarks is below the confidence floor or
        outside the picture."""
        m = self.measures[name]
        s = side or self.side
        for i in m.landmarks(s):
            if self.pose.confidence(i) < self.min_confidence or not self._in_frame(i):
                return math.nan
        return m.value(self.pose, s)

    def in_picture(self, name: str, side: Side | None = None) -> bool:
        """Every landmark the measure reads lies inside the picture (seen or not)."""
        return all(self._in_frame(i) for i in self.measures[name].landmarks(side or self.side))

    def _in_frame(self, i: int) -> bool:
        return self.frame is None or inside(float(self.pose.image[i, 0]), float(self.pose.image[i, 1]), *self.frame)


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def rule_side(rule: RuleDef, ctx: FrameContext) -> Side | None:
    """The body side a rule reads its measure on (None: the limb it needs isn't moving)."""
    if rule.side == "near":
        return ctx.side
    if ctx.active_side is None:
        return None
    return ctx.active_side if rule.side == "active" else _other(ctx.active_side)


def frame_fault(rule: RuleDef, ctx: FrameContext) -> bool | None:
    """Judge a frame rule: True = fault, False = fine, None = can't tell."""
    if rule.kind == "range":
        side = rule_side(rule, ctx)
        if side is None:
            return None
        return rule.violated(ctx.value(rule.measure or "", side))
    if rule.kind == "symmetry":
        left, right = ctx.value(rule.measure or "", "left"), ctx.value(rule.measure or "", "right")
        if math.isnan(left) or math.isnan(right):
            return None
        return abs(left - right) > (rule.max if rule.max is not None else 0.0)
    if rule.kind == "stability":
        anchor = ctx.anchors.get(rule.point or "")
        if anchor is None:
            return None
        torso = torso_length(ctx.pose)
        if not torso > 0:
            return None
        moved = float(np.linalg.norm(point(ctx.pose, rule.point or "", ctx.side) - anchor)) / torso
        return moved > (rule.max if rule.max is not None else 0.0)
    if rule.kind == "pairing":
        return _pairing_fault(rule, ctx)
    raise ValueError(f"{rule.kind!r} is not a frame rule")


def _pairing_fault(rule: RuleDef, ctx: FrameContext) -> bool | None:
    """Contralateral pairing: with the ``active_side`` arm working, the *opposite* leg must be
    the one working (its ``leg`` measure in [min, max]) and the same-side leg must not be."""
    if ctx.active_side is None or rule.leg is None:
        return None
    same = ctx.value(rule.leg, ctx.active_side)
    opposite = ctx.value(rule.leg, _other(ctx.active_side))
    if math.isnan(same) or math.isnan(opposite):
        return None
    same_moving, opposite_moving = rule.in_range(same), rule.in_range(opposite)
    return same_moving and not opposite_moving


def rep_fault(rule: RuleDef, rep: RepRecord) -> bool | None:
    """Judge a rep rule on a finished rep."""
    if rule.kind == "peak":
        return rule.violated(rep.peak)
    if rule.kind in ("tempo", "hold_time"):
        duration = rep.phase_s(rule.rep_phase or "top")
        return None if duration is None else rule.duration_violated(duration)
    raise ValueError(f"{rule.kind!r} is not a rep rule")
