"""The packet one frame leaves the per-frame runner as: what the shells (analyze, the live app,
replay) and the recorder all read. A core type so that recording need not import the runner."""

from __future__ import annotations

from dataclasses import dataclass

from formcheck.core.frame import Frame
from formcheck.core.kinematics import Side, ViewEstimate
from formcheck.core.landmarks import PoseResult
from formcheck.core.overlay import Overlay
from formcheck.core.tracker import FrameEvaluation


@dataclass(frozen=True, slots=True, eq=False)
class FrameOutput:
    """Everything known about one frame after the pipeline ran."""

    frame: Frame
    raw: PoseResult
    pose: PoseResult  # smoothed
    view: ViewEstimate | None
    side: Side | None
    angles: dict[str, float]
    evaluation: FrameEvaluation | None
    overlay: Overlay
