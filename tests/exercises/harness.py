"""Drive an ExerciseTracker with synthetic poses generated from joint angles over time."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.core.kinematics import classify_view
from formcheck.core.landmarks import Pose
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.records.results_json import results_json
from tests.synthetic import result

FPS = 30
FRAME_MS = 1000 / FPS


def ramp(a: float, b: float, seconds: float) -> list[float]:
    """Values moving linearly from a to b over ``seconds`` (excluding b's frame)."""
    n = max(1, round(seconds * FPS))
    return list(np.linspace(a, b, n, endpoint=False))


def hold(v: float, seconds: float) -> list[float]:
    return [v] * max(1, round(seconds * FPS))


def rep(rest: float, peak: float, up_s: float = 1.0, top_s: float = 2.5, down_s: float = 1.5, rest_s: float = 1.0) -> list[float]:
    return ramp(rest, peak, up_s) + hold(peak, top_s) + ramp(peak, rest, down_s) + hold(rest, rest_s)


@dataclass
class Run:
    results: dict[str, Any]
    cues: list[tuple[float, str]]
    setup_cues: list[str]
    phases: list[str]

    @property
    def reps(self) -> list[dict[str, Any]]:
        return self.results["reps"]

    @property
    def attempts(self) -> list[dict[str, Any]]:
        return self.results["attempts"]

    @property
    def holds(self) -> list[dict[str, Any]]:
        return self.results["holds"]

    def fault_codes(self) -> list[set[str]]:
        return [{f["code"] for f in r["faults"]} for r in self.reps]

    def all_fault_codes(self) -> set[str]:
        out: set[str] = set()
        for item in self.reps + self.attempts + self.holds:
            out |= {f["code"] for f in item["faults"]}
        return out


def drive(
    exercise_id: str,
    frames: Iterable[Pose | None],
    *,
    noise_px: float = 0.0,
    seed: int = 0,
    drop: Callable[[int], bool] | None = None,
) -> Run:
    """Feed poses at 30 fps (None = nobody in frame); optional pixel noise and dropped frames."""
    tracker = ExerciseTracker(load_by_id(exercise_id))
    rng = np.random.default_rng(seed)
    cues, setup, phases = [], [], []
    for i, pose in enumerate(frames):
        if drop is not None and drop(i):
            continue
        if pose is not None and noise_px:
            image = pose.image.copy()
            image[:, :2] += rng.normal(0, noise_px, image[:, :2].shape)
            pose = Pose(image, pose.world, pose.visibility, pose.presence)
        ev = tracker.update(result(round(i * FRAME_MS), pose), classify_view(pose) if pose else None)
        phases.append(ev.phase)
        if ev.new_cue is not None:
            (setup if ev.new_cue.kind == "setup" else cues).append(
                ev.new_cue.text if ev.new_cue.kind == "setup" else (round(i / FPS, 2), ev.new_cue.text)
            )
    return Run(results_json(tracker), cues, setup, phases)
