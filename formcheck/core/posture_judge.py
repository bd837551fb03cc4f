"""The person's own "sitting tall" baseline, and judging each moment against it with margins.

A baseline is the median of each measure over a short calibration ("sit the way your therapist
showed you, 10 seconds"), in the view it was taken in. Each moment is then the median of the last
few samples, compared with the baseline: past the margin it is a posture fault; it is upright again
only once back within ``EXIT_SHARE`` of the margin (hysteresis, so a value hovering at the edge
doesn't flicker).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from formcheck.core.posture import JUDGED, PostureMeasures, View

Kind = Literal["slouched", "forward_head", "head_low", "leaning"]
State = Literal["upright", "slouched", "forward_head", "head_low", "leaning", "away", "unknown"]
FAULTS: tuple[Kind, ...] = ("slouched", "forward_head", "head_low", "leaning")
EXIT_SHARE = 0.6  # back within 60 % of a margin counts as upright again
MIN_CALIBRATION_SAMPLES = 5
MIN_CALIBRATION_SHARE = 0.6  # of the calibration's samples must show the person in one view


@dataclass(frozen=True, slots=True)
class Margins:
    """How far from the person's baseline a measure may go before it is a posture fault.

    Defaults, and why: a trunk 12° more forward than sitting tall is a visible slump; the neck line
    20° more forward (or the ear 0.15 torso lengths further ahead) is a clearly forward head,
    beyond the ±10° a head moves when reading a screen; from the front, the head sunk 20 % of its
    height towards the shoulders, the shoulder line 6° off level or the head 0.15 shoulder widths
    to one side are beyond what shifting in the chair does.
    """

    trunk_deg: float = 12.0
    neck_deg: float = 20.0
    head_forward: float = 0.15
    head_height_share: float = 0.20  # a drop, as a share of the baseline's head height
    shoulder_tilt_deg: float = 6.0
    head_offset: float = 0.15


# Which fault each measure's deviation means, and in which direction it counts.
_FAULT_OF: dict[str, tuple[Kind, int]] = {
    "trunk_deg": ("slouched", +1),
    "neck_deg": ("forward_head", +1),
    "head_forward": ("forward_head", +1),
    "head_height": ("head_low", -1),
    "shoulder_tilt_deg": ("leaning", 0),  # either way
    "head_offset": ("leaning", 0),
}


@dataclass(frozen=True, slots=True)
class Baseline:
    """The person's sitting-tall values, per measure, in one view."""

    view: View
    values: dict[str, float]
    source: str = "calibration"  # or "typical" when the person hasn't calibrated
    spread: dict[str, float] = field(default_factory=dict)  # interquartile range at calibration

    def margin(self, name: str, margins: Margins) -> float:
        if name == "head_height":
            return abs(self.values[name]) * margins.head_height_share
        return float(getattr(margins, name))

    def as_dict(self) -> dict[str, object]:
        return {"view": self.view, "values": self.values, "source": self.source, "spread": self.spread}


# Typical sitting-tall values (measured on upright stretches of the desk clips, side view), used
# only when a person hasn't calibrated; their own baseline is always better.
TYPICAL: dict[View, dict[str, float]] = {
    "side": {"trunk_deg": -5.0, "neck_deg": 12.0, "head_forward": 0.08},
    "front": {"head_height": 0.42, "shoulder_tilt_deg": 0.0, "head_offset": 0.0},
}


def typical_baseline(view: View) -> Baseline:
    return Baseline(view, dict(TYPICAL[view]), source="typical")


class CalibrationError(ValueError):
    """The calibration couldn't give a baseline; the message says what to do."""


def calibrate(samples: list[PostureMeasures | None]) -> Baseline:
    """A baseline from the samples of a calibration (None: nobody in view at that moment)."""
    seen = [s for s in samples if s is not None]
    if len(seen) < MIN_CALIBRATION_SAMPLES:
        raise CalibrationError(
            "Not enough of you was in view while calibrating: sit so your head and shoulders are in "
            "the picture, and try again."
        )
    views = [s.view for s in seen]
    view: View = "side" if views.count("side") >= views.count("front") else "front"
    in_view = [s for s in seen if s.view == view]
    if len(in_view) < max(MIN_CALIBRATION_SAMPLES, MIN_CALIBRATION_SHARE * len(samples)):
        raise CalibrationError(
            "The camera saw you from changing angles while calibrating: keep still, facing the screen, "
            "and try again."
        )
    values, spread = {}, {}
    for name in JUDGED[view]:
        column = np.array([s.value(name) for s in in_view], float)
        column = column[np.isfinite(column)]
        if len(column) >= MIN_CALIBRATION_SAMPLES:
            values[name] = float(np.median(column))
            q1, q3 = np.percentile(column, [25, 75])
            spread[name] = float(q3 - q1)
    if not values:
        raise CalibrationError(
            "Your head and shoulders weren't clear enough to measure: check the light and that they "
            "are in the picture, and try again."
        )
    return Baseline(view, values, "calibration", spread)


class PostureJudge:
    """Judges each sample against the baseline: upright, a posture fault, away or unknown."""

    def __init__(self, baseline: Baseline, margins: Margins | None = None, window: int = 3) -> None:
        self.baseline = baseline
        self.margins = margins or Margins()
        self._recent: deque[PostureMeasures] = deque(maxlen=window)
        self.state: State = "unknown"

    def reset(self) -> None:
        """Forget the recent samples (the watching stopped; what came before says nothing now)."""
        self._recent.clear()
        self.state = "unknown"

    def update(self, measures: PostureMeasures | None) -> State:
        """``measures`` None: nobody in view. A different view from the baseline's can't be judged."""
        if measures is None:
            self._recent.clear()
            self.state = "away"
            return self.state
        if measures.view != self.baseline.view:
            self._recent.clear()
            self.state = "unknown"
            return self.state
        self._recent.append(measures)
        worst: tuple[float, Kind] | None = None  # (how many margins past the baseline, fault)
        judged = False
        for name, base in self.baseline.values.items():
            values = [m.value(name) for m in self._recent]
            values = [v for v in values if math.isfinite(v)]
            if not values:
                continue
            judged = True
            kind, direction = _FAULT_OF[name]
            delta = float(np.median(values)) - base
            excess = abs(delta) if direction == 0 else delta * direction
            share = excess / self.baseline.margin(name, self.margins)
            if worst is None or share > worst[0]:
                worst = (share, kind)
        if not judged or worst is None:
            self.state = "unknown"
        elif worst[0] > 1.0:
            self.state = worst[1]
        elif worst[0] <= EXIT_SHARE or self.state in ("away", "unknown"):
            self.state = "upright"
        # between the exit and the margin: the state stays as it was (upright or the fault)
        return self.state
