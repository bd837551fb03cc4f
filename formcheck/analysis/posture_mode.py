"""The posture mode's pipeline: a low-rate frame source, the cheapest pose model, calibration and
the watch loop that feeds ``formcheck.core.posture_coach``.

Cheap by construction: frames are taken at most every ``sample_ms`` by their timestamps — a camera
is read only when a sample is due (its driver drops the rest, keeping one buffer), a video file is
``grab()``-bed past (no colour conversion or copy) on one decoding thread and only the due frames
are retrieved; the two-person check of the pose adapter runs once a minute instead of once a second.
Nothing leaves this module but the measures: no image is kept or stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from formcheck.core.frame import Frame
from formcheck.core.landmarks import PoseResult
from formcheck.core.posture import PostureMeasures, detect_view, measure
from formcheck.core.posture_coach import PostureCoach, PostureEvent, PostureSettings
from formcheck.core.posture_judge import Baseline, PostureJudge, State, calibrate
from formcheck.pose import model_store
from formcheck.video.camera import CaptureFactory
from formcheck.video.source import FrameSourceError

log = logging.getLogger(__name__)

PEOPLE_CHECK_MS = 60_000  # a second person matters little at a desk: look once a minute


def posture_model() -> tuple[Path, str]:
    """The cheapest pose model available, and a sentence saying which and why."""
    lite = model_store.model_path("lite")
    if lite.exists():
        try:
            model_store.verify_model(lite)
            return lite, "pose model: lite (the cheapest)"
        except model_store.ModelError as exc:
            log.warning("the lite model doesn't verify (%s); using full", exc)
    return model_store.ensure_model("full"), (
        "pose model: full — the lite model isn't here (`formcheck models lite` fetches it where Google's "
        "model storage can be reached; only the full model can be built from PyPI)"
    )


def pose_estimator(model: Path | None = None) -> Any:
    """A pose estimator set up for the posture mode (the import is here: MediaPipe loads slowly)."""
    from formcheck.pose.estimator import PoseEstimator

    return PoseEstimator(model or posture_model()[0], mode="live", people_check_ms=PEOPLE_CHECK_MS)


class SampledVideo:
    """A video file's frames at most one per ``every_ms`` of its own time, from ``start_ms`` to ``end_ms``.

    Frames in between are grabbed (decoded by the codec, which H.264 needs for the next frame: key
    frames are seconds apart, so seeking saves nothing) but not retrieved, so they cost no conversion
    or copy. One decoding thread: the default thread pool costs ~20 % more CPU per frame in
    synchronisation (measured with ``tools/posture_bench.py``), and speed is no concern at ≤ 2 fps.
    """

    def __init__(self, path: str | Path, every_ms: int, start_ms: int = 0, end_ms: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FrameSourceError(f"Video file not found: {self.path} — check the path.")
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
        if not self._cap.isOpened():  # a build without FFmpeg: whatever backend opens it
            self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise FrameSourceError(f"Could not open {self.path.name} as a video — try re-exporting it as MP4 (H.264).")
        self.every_ms, self.start_ms, self.end_ms = every_ms, start_ms, end_ms
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self.grabbed = 0  # frames grabbed, for the benchmark
        self.retrieved = 0

    def __iter__(self) -> Iterator[Frame]:
        if self.start_ms:
            self._cap.set(cv2.CAP_PROP_POS_MSEC, self.start_ms)
        due = self.start_ms
        index = 0
        last = -1
        while self._cap.grab():
            self.grabbed += 1
            pos = self._cap.get(cv2.CAP_PROP_POS_MSEC)
            t = round(pos) if pos > 0 else round(self.grabbed * 1000 / self.fps)
            t = max(t, last + 1)
            last = t
            if self.end_ms is not None and t >= self.end_ms:
                return
            if t < due:
                continue
            ok, image = self._cap.retrieve()
            if not ok or image is None:
                continue
            self.retrieved += 1
            due = t + self.every_ms
            yield Frame(index, t, image)
            index += 1

    def close(self) -> None:
        self._cap.release()


class SampledCamera:
    """A camera read only when a sample is due (the driver keeps one buffer and drops the rest).

    ``capture_factory`` replaces ``cv2.VideoCapture`` in tests (the hardware edge); ``close()``
    releases the camera at once (the posture mode's pause).
    """

    def __init__(self, device: int | str, every_ms: int, capture_factory: CaptureFactory | None = None,
                 clock_ms: Callable[[], int] = lambda: time.monotonic_ns() // 1_000_000,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.device, self.every_ms = device, every_ms
        self._clock_ms, self._sleep = clock_ms, sleep
        self._cap = capture_factory(device) if capture_factory else cv2.VideoCapture(device)
        if self._cap is None or not self._cap.isOpened():
            raise FrameSourceError(
                f"Could not open camera {device} — check it is connected and not in use by another app.")
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, 640)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, 480)
        self._closed = False

    def __iter__(self) -> Iterator[Frame]:
        t0 = self._clock_ms()
        due, index = t0, 0
        while not self._closed:
            wait = due - self._clock_ms()
            if wait > 0:
                self._sleep(wait / 1000)
                continue
            ok, image = self._cap.read()
            if self._closed:
                return
            if not ok or image is None:
                raise FrameSourceError(f"Camera {self.device} stopped sending pictures — reconnect it and start again.")
            now = self._clock_ms()
            yield Frame(index, now - t0, image)
            index += 1
            due = max(due + self.every_ms, now)

    def close(self) -> None:
        self._closed = True
        self._cap.release()


def measures_of(result: PoseResult) -> PostureMeasures | None:
    """The posture measures of one pose result (None: nobody, or head and shoulders not in view)."""
    if result.pose is None:
        return None
    view = detect_view(result.pose)
    return None if view is None else measure(result.pose, result.t_ms, view)


def sample(frames: Iterable[Frame], estimator: Any) -> Iterator[tuple[int, PostureMeasures | None]]:
    """(t_ms, measures) per frame; the frame itself goes no further than the pose model."""
    for frame in frames:
        yield frame.t_ms, measures_of(estimator.process(frame))


def calibrate_from(frames: Iterable[Frame], estimator: Any) -> Baseline:
    """A baseline from every frame of ``frames`` (the calibration's seconds)."""
    return calibrate([m for _t, m in sample(frames, estimator)])


@dataclass
class WatchResult:
    baseline: Baseline
    events: list[PostureEvent] = field(default_factory=list)
    states: list[tuple[int, State]] = field(default_factory=list)
    end_ms: int = 0


def watch(samples: Iterable[tuple[int, PostureMeasures | None]], baseline: Baseline, settings: PostureSettings,
          day_ms_at_start: int | None = None, on_event: Callable[[PostureEvent], None] | None = None,
          coach: PostureCoach | None = None) -> WatchResult:
    """Judge every sample against ``baseline`` and collect (and hand on) what the coach says.

    The watching stops when ``samples`` end — the end, a pause (the coach goes on with the next
    ``watch``), Ctrl-C or a lost camera: the last minute and a pending response are told even then.
    """
    coach = coach or PostureCoach(PostureJudge(baseline, settings.margins, settings.window), settings, day_ms_at_start)
    result = WatchResult(baseline)

    def tell(events: list[PostureEvent]) -> None:
        result.events.extend(events)
        if on_event:
            for event in events:
                on_event(event)

    t = 0
    try:
        for t, measures in samples:
            tell(coach.update(t, measures))
            result.states.append((t, coach.state))
    finally:
        result.end_ms = t + settings.sample_ms if result.states else 0
        if result.states:
            tell(coach.finish(result.end_ms))
    return result
