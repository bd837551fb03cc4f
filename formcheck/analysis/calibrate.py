"""Calibration runs on a camera or a video: camera placement, body measurements, and the three
reference reps that set a person's range-of-motion targets (`formcheck calibrate ...`).

Each runs the same pose and smoothing stages as a session, then the pure calibration logic
(``formcheck.core.placement``, ``formcheck.core.body``, ``formcheck.exercises.profile``).
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from formcheck.core.body import BodyModel, measure_body
from formcheck.core.events import RepCompleted
from formcheck.core.exercise import ExerciseDef
from formcheck.core.kinematics import classify_view
from formcheck.core.landmarks import PoseResult
from formcheck.core.placement import Placement, check_placement
from formcheck.core.reps import RepRecord
from formcheck.core.smoothing import PoseSmoother
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.personal_thresholds import rom_targets
from formcheck.exercises.profile import Profile, ProfileStore
from formcheck.paths import calibration_dir
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.database.rows import now_iso
from formcheck.records.session_folder import write_json_atomic
from formcheck.video.frames import brightness
from formcheck.video.source import FrameSource

log = logging.getLogger(__name__)

WINDOW_MS = 1500  # the placement check looks at the last 1.5 s
REFERENCE_REPS = 3


@dataclass(frozen=True, slots=True)
class Seen:
    """One frame as calibration sees it: the smoothed pose and the picture's brightness."""

    result: PoseResult
    brightness: float


def watch(source: FrameSource, estimator: PoseEstimator | None = None) -> Iterator[Seen]:
    """Pose (smoothed, as in a session) and brightness of each frame of ``source``."""
    own = estimator is None
    estimator = estimator or PoseEstimator(mode="video")
    smoother = PoseSmoother()
    try:
        for frame in source:
            yield Seen(smoother.update(estimator.process(frame)), brightness(frame.image))
    finally:
        source.close()
        if own:
            estimator.close()


def placements(frames: Iterator[Seen], exercise: ExerciseDef, window_ms: int = WINDOW_MS) -> Iterator[Placement]:
    """The placement verdict over the last ``window_ms``, every half window."""
    window: deque[Seen] = deque()
    last_ms: int | None = None
    for seen in frames:
        t = seen.result.t_ms
        window.append(seen)
        while window and window[0].result.t_ms < t - window_ms:
            window.popleft()
        if window[-1].result.t_ms - window[0].result.t_ms < window_ms * 0.9:
            continue  # not a full window yet
        if last_ms is None or t - last_ms >= window_ms // 2:
            last_ms = t
            light = sorted(s.brightness for s in window)[len(window) // 2]
            yield check_placement([s.result for s in window], exercise, light)


def check_camera(frames: Iterator[Seen], exercise: ExerciseDef, live: bool,
                 on_verdict: Callable[[Placement], None] | None = None) -> Placement | None:
    """Placement on a camera (``live``: until it is good twice running, or the source ends) or a
    video (the first window with the person in the starting position). None: too short to judge."""
    last: Placement | None = None
    good = 0
    for placement in placements(frames, exercise):
        if on_verdict is not None and (last is None or placement.text() != last.text()):
            on_verdict(placement)
        last = placement
        if live:
            good = good + 1 if placement.ok else 0
            if good >= 2:
                break
        elif placement.refused is None:
            break
    return last


def camera_file(camera: str) -> Path:
    """Where a camera's placement check is kept (one file per camera, the newest check)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", camera).strip("-") or "camera"
    return calibration_dir() / "cameras" / f"{slug}.json"


def save_camera_check(camera: str, placement: Placement) -> Path:
    """Keep the newest placement check of ``camera``."""
    path = camera_file(camera)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {
        "camera": camera, "checked": now_iso(), "exercise": placement.exercise,
        "ok": placement.ok, "refused": placement.refused, "view": placement.view, "fill": placement.fill,
        "distance_m": placement.distance_m, "roll_deg": placement.roll_deg, "turned_deg": placement.turned_deg,
        "margins": placement.margins, "brightness": placement.brightness,
        "instructions": list(placement.instructions)})
    return path


def measure_body_from(frames: Iterator[Seen], seconds: float = 5.0) -> BodyModel:
    """Body measurements from the first ``seconds`` after the person is first seen standing."""
    kept: list[PoseResult] = []
    start: int | None = None
    for seen in frames:
        r = seen.result
        if start is None and r.pose is not None and classify_view(r.pose).posture == "standing":
            start = r.t_ms
        if start is not None:
            if r.t_ms - start > seconds * 1000:
                break
            kept.append(r)
        elif len(kept) < 3:  # so that "nobody in view" / "not standing" can be told apart
            kept.append(r)
    return measure_body(kept)


class CalibrationError(ValueError):
    """A recording that can't calibrate; the message says why and what to do."""


def reference_reps(frames: Iterator[Seen], exercise: ExerciseDef, n: int = REFERENCE_REPS) -> list[RepRecord]:
    """The first ``n`` movements (reps, or attempts that fell short of the target) in ``frames``."""
    tracker = ExerciseTracker(exercise)
    found: list[RepRecord] = []
    for seen in frames:
        r = seen.result
        evaluation = tracker.update(r, classify_view(r.pose) if r.pose is not None else None)
        found += [e.rep for e in evaluation.events if isinstance(e, RepCompleted)]
        if len(found) >= n:
            return found[:n]
    raise CalibrationError(f"Found {len(found)} of the {n} reference reps needed: record {n} {exercise.name.lower()} "
                           "reps, done the way the therapist wants them, with the whole body in view.")


def calibrate_person(person: str, exercise: ExerciseDef, frames: Iterator[Seen], made_from: str,
                     reason: str = "", by: str | None = None, store: ProfileStore | None = None,
                     library: dict[str, ExerciseDef] | None = None) -> tuple[Profile, list[str]]:
    """Three reference reps → the person's next profile version with their own targets."""
    store = store or ProfileStore()
    reps = reference_reps(frames, exercise)
    values, notes = rom_targets(exercise, reps)
    base = store.latest(person) or Profile(person)
    profile = base.with_values(exercise.id, rep=values.rep, rules=values.rules, created=now_iso(),
                               created_by=by or login_name(), made_from=made_from,
                               reason=reason or f"{exercise.name}: targets from {len(reps)} reference reps")
    return store.save(profile, library), notes


def calibrate_body(person: str, frames: Iterator[Seen], made_from: str, by: str | None = None,
                   store: ProfileStore | None = None, library: dict[str, ExerciseDef] | None = None) -> Profile:
    """Standing a few seconds → the person's next profile version with their body measurements."""
    store = store or ProfileStore()
    body = measure_body_from(frames)
    base = store.latest(person) or Profile(person)
    profile = dataclasses.replace(base, body=body, version=0, path=None, created=now_iso(), created_by=by or login_name(),
                                  made_from=made_from, reason="body calibration")
    return store.save(profile, library)


def login_name() -> str:
    """Who is making a profile, when nobody said (``--by``): the computer's login name."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return "unknown"
