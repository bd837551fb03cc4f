"""Drive an exercise definition with scripted *measure values* instead of poses.

This checks each exercise file's thresholds, rep/hold definitions and rule wiring exactly, for
every exercise in the library, without having to build a stick figure for every posture (the
pose → measure step is covered by tests/core and the pose-based tests). A frame is a dict:
``{"hip": 170}`` sets a measure on every side, ``{"arm:left": -10}`` on one side only. The pose fed
alongside is a fully visible figure, so set-up gating passes unless a test says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from formcheck.core import rules
from formcheck.core.exercise import ExerciseDef
from formcheck.core.kinematics import ViewEstimate
from formcheck.core.landmarks import SIDED_JOINTS, L, Pose
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.records.results_json import results_json
from tests.exercises.harness import FPS, Run
from tests.synthetic import figure, result

Frame = dict[str, float]


def blend(a: Frame, b: Frame, p: float) -> Frame:
    out = {}
    for k in set(a) | set(b):
        va, vb = _value(a, k, b), _value(b, k, a)
        out[k] = va + (vb - va) * p
    return out


def _value(frame: Frame, key: str, fallback: Frame) -> float:
    if key.startswith("_"):  # pose tweaks such as "_hip_up" default to none
        return frame.get(key, 0.0)
    if key in frame:
        return frame[key]
    base = key.split(":")[0]
    if base in frame:
        return frame[base]
    return fallback[key] if key in fallback else fallback[base]


def move(a: Frame, b: Frame, seconds: float) -> list[Frame]:
    n = max(1, round(seconds * FPS))
    return [blend(a, b, i / n) for i in range(n)]


def stay(a: Frame, seconds: float) -> list[Frame]:
    return [dict(a) for _ in range(max(1, round(seconds * FPS)))]


def rep(rest: Frame, top: Frame, up: float = 1.2, top_s: float = 3.0, down: float = 1.5, after: float = 1.0) -> list[Frame]:
    return move(rest, top, up) + stay(top, top_s) + move(top, rest, down) + stay(rest, after)


@contextmanager
def scripted_values(current: list[Frame]) -> Iterator[None]:
    original = rules.FrameContext.value

    def value(self: rules.FrameContext, name: str, side: str | None = None) -> float:
        s = side or self.side
        frame = current[0]
        return float(frame.get(f"{name}:{s}", frame.get(name, math.nan)))

    rules.FrameContext.value = value  # type: ignore[method-assign]
    try:
        yield
    finally:
        rules.FrameContext.value = original  # type: ignore[method-assign]


def _pose(view: str, hip_shift: float = 0.0, out: tuple[str, ...] = ()) -> Pose:
    pose = figure((320, 215), 90.0, spread=80.0 if view != "side" else 0.0)
    if hip_shift or out:
        image = pose.image.copy()
        image[[L.LEFT_HIP, L.RIGHT_HIP], 1] -= hip_shift
        for joint in out:  # both sides' landmarks of that joint below the bottom of the picture
            image[list(SIDED_JOINTS[joint]), 1] = 900.0
        pose = Pose(image, pose.world, pose.visibility, pose.presence)
    return pose


def drive_values(exercise: str | ExerciseDef, frames: list[Frame], view: str | None = None) -> Run:
    """Run the tracker over scripted measure values, seen from ``view`` (default: the exercise's
    first); ``_hip_up`` (px) lifts the hips in the pose, ``_out_<joint>`` = 1 puts that joint (both
    sides) out of the picture."""
    ex = load_by_id(exercise) if isinstance(exercise, str) else exercise
    view = view or (ex.setup.views[0] if ex.setup else "side")
    tracker = ExerciseTracker(ex)
    current: list[Frame] = [{}]
    cues, setup, phases = [], [], []
    base = _pose(view)
    with scripted_values(current):
        for i, frame in enumerate(frames):
            current[0] = frame
            shift = frame.get("_hip_up", 0.0)
            out = tuple(k[5:] for k, v in frame.items() if k.startswith("_out_") and v >= 0.5)
            pose = _pose(view, shift, out) if shift or out else base
            ev = tracker.update(result(round(i * 1000 / FPS), pose), ViewEstimate(view, "standing", 1.0))  # type: ignore[arg-type]
            phases.append(ev.phase)
            if ev.new_cue is not None:
                if ev.new_cue.kind == "setup":
                    setup.append(ev.new_cue.text)
                else:
                    cues.append((round(i / FPS, 2), ev.new_cue.text))
    return Run(results_json(tracker), cues, setup, phases)

