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

One person is followed. A landmarker set to one person tracks whoever it found first and, when it
loses them, takes whoever it detects next, which may be someone else; one set to two people runs
its person detector on every frame that has fewer than two (~1.6x the time per frame). So the
one-person landmarker runs on every frame, and the two-person one once a second, when the person
seems to have jumped, and on every frame while a second person is in view;
``formcheck.core.follow`` picks the person nearest to where the followed one was.
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

from formcheck.core.follow import PersonFollower, distinct_people
from formcheck.core.frame import Frame
from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.pose import model_store, telemetry

log = logging.getLogger(__name__)

# Before any MediaPipe task exists (importing mediapipe doesn't load libmediapipe.so; creating
# the first task does): MediaPipe's usage uploads must find libcurl's proxy blocked.
telemetry.block_mediapipe_telemetry()

Mode = Literal["video", "live"]
PEOPLE_CHECK_MS = 1000  # how often to look for a second person while only one is in view


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
        people_check_ms: int = PEOPLE_CHECK_MS,
    ) -> None:
        self.model_path = Path(model_path) if model_path else model_store.ensure_model()
        self.mode = mode
        self.live_max_side = live_max_side
        self.people_check_ms = people_check_ms

        def landmarker(num_poses: int) -> PoseLandmarker:
            options = PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(self.model_path)),
                running_mode=RunningMode.VIDEO,
                num_poses=num_poses,
                min_pose_detection_confidence=min_detection_confidence,
                min_pose_presence_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            return PoseLandmarker.create_from_options(options)

        try:
            with _quiet_native_stderr():
                self._landmarker = landmarker(1)
                self._everyone = landmarker(2)
        except (RuntimeError, ValueError) as exc:
            raise PoseError(
                f"Could not load the pose model {self.model_path.name} ({exc}); "
                "run `formcheck models --force` to rebuild it."
            ) from exc
        self._follower = PersonFollower()
        self._crowd = False  # a second person was in view on the last frame
        self._checked_ms: int | None = None
        self._last_t_ms = -1
        self._last_frame_ms = -1
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
        if frame.t_ms < self._last_frame_ms:  # a new clip or session: nobody is followed yet
            self._follower, self._crowd, self._checked_ms = PersonFollower(), False, None
        self._last_frame_ms = frame.t_ms
        # MediaPipe rejects non-increasing timestamps in VIDEO mode.
        t_ms = max(frame.t_ms, self._last_t_ms + 1)
        self._last_t_ms = t_ms
        image_mp = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._first:  # the runtime logs a few more lines on its first inference
            with _quiet_native_stderr():
                poses = self._people(image_mp, t_ms, frame.width, frame.height)
            self._first = False
        else:
            poses = self._people(image_mp, t_ms, frame.width, frame.height)
        self._crowd = len(poses) > 1
        pose = self._follower.choose(poses, t_ms)
        return PoseResult(frame.t_ms, frame.width, frame.height, pose, len(poses))

    def _people(self, image: mp.Image, t_ms: int, width: int, height: int) -> list[Pose]:
        """Everyone found in the frame, using the two-person landmarker only when needed."""
        if self._crowd:
            return distinct_people(
                _to_poses(self._everyone.detect_for_video(image, t_ms), width, height)
            )
        poses = _to_poses(self._landmarker.detect_for_video(image, t_ms), width, height)
        due = self._checked_ms is None or t_ms - self._checked_ms >= self.people_check_ms
        if due or (poses and self._follower.is_elsewhere(poses[0], t_ms)):
            self._checked_ms = t_ms
            everyone = distinct_people(
                _to_poses(self._everyone.detect_for_video(image, t_ms), width, height)
            )
            if len(everyone) > len(poses):
                return everyone
        return poses

    def close(self) -> None:
        with _quiet_native_stderr():
            self._landmarker.close()
            self._everyone.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_poses(result: object, width: int, height: int) -> list[Pose]:
    """Convert MediaPipe's result: one ``Pose`` per person found, in MediaPipe's order."""
    image_lms = getattr(result, "pose_landmarks", None) or []
    world_lms = getattr(result, "pose_world_landmarks", None) or []
    poses = []
    for img, world in zip(image_lms, world_lms, strict=False):
        if len(img) != NUM_LANDMARKS or len(world) != NUM_LANDMARKS:
            continue
        image = np.array([(p.x * width, p.y * height, p.z * width) for p in img], dtype=np.float32)
        world_xyz = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
        visibility = np.array([p.visibility or 0.0 for p in img], dtype=np.float32)
        presence = np.array([p.presence or 0.0 for p in img], dtype=np.float32)
        poses.append(Pose(image, world_xyz, visibility, presence))
    return poses
