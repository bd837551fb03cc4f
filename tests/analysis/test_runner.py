"""The per-frame pipeline every shell shares, with a scripted pose stage (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.analysis.runner import FramePipeline
from formcheck.core.events import RepCompleted
from formcheck.core.frame import Frame
from formcheck.core.landmarks import PoseResult
from formcheck.core.smoothing import PoseSmoother, SmoothingConfig
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from tests.exercises.scripted import move, scripted_values, stay
from tests.synthetic import figure

pytestmark = pytest.mark.unit


class ScriptedPose:
    """A pose stage that returns the same standing figure every frame (None where scripted)."""

    model_name = "scripted"

    def __init__(self, present: list[bool]) -> None:
        self.present = present

    def process(self, frame: Frame) -> PoseResult:
        if frame.index >= len(self.present) or not self.present[frame.index]:
            return PoseResult(frame.t_ms, 640, 480, None)
        return PoseResult(frame.t_ms, 640, 480, figure((320, 200), 90.0))


def frames(n: int) -> list[Frame]:
    image = np.zeros((480, 640, 3), np.uint8)
    return [Frame(i, round(i * 1000 / 30), image) for i in range(n)]


def test_step_runs_smoothing_view_tracker_and_overlay():
    # The knee angle the squat tracker reads is scripted (measures are tested on poses elsewhere).
    rest, bottom = {"knee": 172.0, "knee_spread": 1.0}, {"knee": 95.0, "knee_spread": 1.0}
    script = stay(rest, 1.0) + move(rest, bottom, 1.0) + stay(bottom, 0.5) + move(bottom, rest, 1.0) + stay(rest, 1.0)
    pipe = FramePipeline(ScriptedPose([True] * len(script)), PoseSmoother(SmoothingConfig(enabled=False)),
                         ExerciseTracker(load_by_id("squat")))
    current = [script[0]]
    with scripted_values(current):
        outs = []
        for frame, values in zip(frames(len(script)), script, strict=True):
            current[0] = values
            outs.append(pipe.step(frame))
    assert all(o.pose.pose is not None and o.view is not None for o in outs)
    reps = [e for o in outs for e in o.evaluation.events if isinstance(e, RepCompleted)]
    assert len(reps) == 1 and reps[0].rep.reached
    assert outs[-1].overlay.lines[0] == "Reps 1/10"
    label, share = pipe.views.verdict()
    assert label is not None and share > 0.9  # one view throughout


def test_no_person_gives_an_explicit_empty_result_and_a_plain_overlay():
    pipe = FramePipeline(ScriptedPose([False] * 5), PoseSmoother(), None)
    out = pipe.step(frames(1)[0])
    assert out.pose.pose is None and out.view is None and out.evaluation is None
    assert out.overlay.cue == "No person in view"
