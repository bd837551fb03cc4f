"""One pipeline, three shells: the per-frame step shared by `analyze`, the live app and replay.

Frame → pose (MediaPipe) → smoothing → kinematics → exercise tracker → overlay.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from formcheck.core.frame import Frame
from formcheck.core.frame_output import FrameOutput
from formcheck.core.kinematics import Side, ViewEstimate, body_angles, classify_view, facing_side
from formcheck.core.landmarks import PoseResult
from formcheck.core.overlay import Overlay
from formcheck.core.smoothing import PoseSmoother
from formcheck.core.tracker import FrameEvaluation


class PoseStage(Protocol):
    @property
    def model_name(self) -> str: ...

    def process(self, frame: Frame) -> PoseResult: ...


class TrackerStage(Protocol):
    """The exercise engine as the pipeline sees it (``formcheck.core.tracker.ExerciseTracker``)."""

    def update(self, result: PoseResult, view: ViewEstimate | None) -> FrameEvaluation: ...

    def overlay(self) -> Overlay: ...


@dataclass
class ViewTally:
    """Counts per-frame view labels, weighted by confidence, for a clip-level verdict."""

    weights: Counter[str] = field(default_factory=Counter)
    frames: int = 0

    def add(self, view: ViewEstimate) -> None:
        self.weights[view.label] += view.confidence
        self.frames += 1

    def verdict(self) -> tuple[str | None, float]:
        if not self.weights:
            return None, 0.0
        label, weight = self.weights.most_common(1)[0]
        total = sum(self.weights.values())
        return label, round(weight / total, 3) if total > 0 else 0.0


class FrameJudge:
    """The stages after the pose: view, exercise tracker, overlay (cheap, and stateful in order).

    Split from the pose stages so `analyze --jobs N` can find poses in worker processes and judge
    them here, frame by frame in order, exactly as a single process does.
    """

    def __init__(self, tracker: TrackerStage | None = None) -> None:
        self.tracker = tracker
        self.views = ViewTally()

    def step(self, frame: Frame, raw: PoseResult, smoothed: PoseResult) -> FrameOutput:
        view: ViewEstimate | None = None
        side: Side | None = None
        angles: dict[str, float] = {}
        if smoothed.pose is not None:
            view = classify_view(smoothed.pose)
            self.views.add(view)
            side = facing_side(smoothed.pose)
            if self.tracker is None:  # the tracker measures what its exercise needs itself
                angles = body_angles(smoothed.pose, side)
        evaluation = self.tracker.update(smoothed, view) if self.tracker else None
        overlay = self.tracker.overlay() if self.tracker else _plain_overlay(view, side, angles)
        return FrameOutput(frame, raw, smoothed, view, side, angles, evaluation, overlay)


class FramePipeline:
    """Runs the stages for one frame at a time; holds the per-session state."""

    def __init__(
        self,
        pose: PoseStage,
        smoother: PoseSmoother | None = None,
        tracker: TrackerStage | None = None,
    ) -> None:
        self.pose_stage = pose
        self.smoother = smoother or PoseSmoother()
        self.judge = FrameJudge(tracker)

    @property
    def views(self) -> ViewTally:
        return self.judge.views

    def poses(self, frame: Frame) -> tuple[PoseResult, PoseResult]:
        """The pose stages alone: the pose as found and smoothed (the expensive part)."""
        raw = self.pose_stage.process(frame)
        return raw, self.smoother.update(raw)

    def step(self, frame: Frame) -> FrameOutput:
        return self.judge.step(frame, *self.poses(frame))


def _plain_overlay(view: ViewEstimate | None, side: Side | None, angles: dict[str, float]) -> Overlay:
    """Overlay when no exercise is chosen: the view and the main angles of the visible side."""
    if view is None:
        return Overlay(cue="No person in view", cue_level="setup")
    shown = ("knee", "hip", "elbow")
    # OpenCV's Hershey fonts have no degree sign, hence "deg".
    values = "  ".join(
        f"{k} {angles[k]:.0f} deg"
        for k in shown
        if k in angles and not math.isnan(angles[k])
    )
    return Overlay(title=f"{view.label} ({side} side)", lines=(values,) if values else ())
