"""The MediaPipe adapter: the only module that touches MediaPipe types.

Results are converted once into ``formcheck.core.landmarks`` packets (pixels, metres, numpy);
nothing from MediaPipe leaves this module. MediaPipe's own usage telemetry is kept off the
network by ``telemetry.block_mediapipe_telemetry()`` (see there).

Modes:
* ``"video"`` — files: every frame in order, MediaPipe tracks the person between frames.
* ``"live"`` — cameras: the same synchronous tracker, but frames larger than ``live_max_side``
  are shrunk before inference (the landmark model works on a 256 px crop anyway), and the caller
  feeds only the newest frame (the UI worker drops stale ones). We don't use MediaPipe's
  LIVE_STREAM mode: its results arrive on MediaPipe's own thread, which would need a second
  hand-off while giving no lower latency than dropping frames ourselves.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

from formcheck.core.frame import Frame
from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.pipeline import model_store, telemetry

log = logging.getLogger(__name__)

# Before any MediaPipe task exists (importing mediapipe doesn't load libmediapipe.so; creating
# the first task does): MediaPipe's usage uploads must find libcurl's proxy blocked.
telemetry.block_mediapipe_telemetry()

Mode = Literal["video", "live"]


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the INFO/WARNING lines MediaPipe's native runtime prints while it starts up.

    They go straight to file descriptor 2, so Python logging can't filter them; shown with -v.
    """
    if log.isEnabledFor(logging.DEBUG):
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PoseError(RuntimeError):
    """The pose model could not be started; the message says what to do."""


class PoseEstimator:
    """Runs MediaPipe PoseLandmarker on frames and returns ``PoseResult`` packets."""

    def __init__(
        self,
        model_path: Path | None = None,
        mode: Mode = "video",
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        live_max_side: int = 640,
    ) -> None:
        self.model_path = Path(model_path) if model_path else model_store.ensure_model()
        self.mode = mode
        self.live_max_side = live_max_side
        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        try:
            with _quiet_native_stderr():
                self._landmarker = PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise PoseError(
                f"Could not load the pose model {self.model_path.name} ({exc}); "
                "run `formcheck models --force` to rebuild it."
            ) from exc
        self._last_t_ms = -1
        self._first = True

    @property
    def model_name(self) -> str:
        return self.model_path.stem

    def process(self, frame: Frame) -> PoseResult:
        """Detect the pose in one frame. Timestamps must increase; equal ones are nudged forward."""
        image = frame.image
        if self.mode == "live" and max(image.shape[:2]) > self.live_max_side:
            scale = self.live_max_side / max(image.shape[:2])
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        # MediaPipe rejects non-increasing timestamps in VIDEO mode.
        t_ms = max(frame.t_ms, self._last_t_ms + 1)
        self._last_t_ms = t_ms
        image_mp = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._first:  # the runtime logs a few more lines on its first inference
            with _quiet_native_stderr():
                result = self._landmarker.detect_for_video(image_mp, t_ms)
            self._first = False
        else:
            result = self._landmarker.detect_for_video(image_mp, t_ms)
        pose = _to_pose(result, frame.width, frame.height)
        return PoseResult(frame.t_ms, frame.width, frame.height, pose)

    def close(self) -> None:
        with _quiet_native_stderr():
            self._landmarker.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_pose(result: object, width: int, height: int) -> Pose | None:
    """Convert MediaPipe's result for the first person; None when nobody was found."""
    image_lms = getattr(result, "pose_landmarks", None)
    world_lms = getattr(result, "pose_world_landmarks", None)
    if not image_lms or not world_lms:
        return None
    img, world = image_lms[0], world_lms[0]
    if len(img) != NUM_LANDMARKS or len(world) != NUM_LANDMARKS:
        return None
    image = np.array([(p.x * width, p.y * height, p.z * width) for p in img], dtype=np.float32)
    world_xyz = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
    visibility = np.array([p.visibility or 0.0 for p in img], dtype=np.float32)
    presence = np.array([p.presence or 0.0 for p in img], dtype=np.float32)
    return Pose(image, world_xyz, visibility, presence)
