"""The pipeline worker: capture + pose + engine off the GUI thread.

A ``PipelineWorker`` is moved to a ``QThread``; ``run()`` loops until stopped, taking the newest
frame from a ``LatestFrameGrabber`` (stale frames are dropped and counted), running the same
``FramePipeline`` that `formcheck analyze` uses, drawing the overlay, and emitting one
``LivePacket`` per processed frame. The window keeps only the latest packet and repaints on a
timer, so a slow GUI never backs up the pipeline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from formcheck.core.smoothing import PoseSmoother
from formcheck.pipeline.annotate import annotate
from formcheck.pipeline.frames import FrameSource, FrameSourceError
from formcheck.pipeline.live import LatestFrameGrabber
from formcheck.pipeline.model_store import ModelError
from formcheck.pipeline.pose import PoseError
from formcheck.pipeline.runner import FrameOutput, FramePipeline, PoseStage, TrackerStage

log = logging.getLogger(__name__)

DARK_FRAME = 50.0  # mean luminance (0–255) below which we ask for more light


@dataclass(frozen=True, slots=True, eq=False)
class LivePacket:
    image: np.ndarray  # annotated BGR frame
    output: FrameOutput
    fps: float
    latency_ms: float  # frame arrival → evaluation and overlay ready
    dropped: int
    brightness: float


class PipelineWorker(QObject):
    packet = Signal(object)  # LivePacket
    failed = Signal(str)  # one sentence for the user
    finished = Signal()  # the source ended (end of file) or the worker was stopped

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        pose_factory: Callable[[], PoseStage],
        tracker: TrackerStage | None = None,
        speed: float = 1.0,
    ) -> None:
        super().__init__()
        self._source_factory = source_factory
        self._pose_factory = pose_factory
        self._tracker = tracker
        self._speed = speed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()

    # Called from the GUI thread; applied between frames.
    def set_tracker(self, tracker: TrackerStage | None) -> None:
        with self._lock:
            self._tracker = tracker

    def stop(self) -> None:
        self._stop.set()

    def set_paused(self, paused: bool) -> None:
        (self._paused.set if paused else self._paused.clear)()

    @Slot()
    def run(self) -> None:
        grabber: LatestFrameGrabber | None = None
        pose = None
        try:
            pose = self._pose_factory()
            grabber = LatestFrameGrabber(self._source_factory(), speed=self._speed).start()
            self._loop(grabber, pose)
        except (FrameSourceError, ModelError, PoseError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the GUI must survive any pipeline failure
            log.exception("pipeline worker crashed")
            self.failed.emit(f"The video pipeline stopped unexpectedly ({exc}); start the session again.")
        finally:
            if grabber is not None:
                grabber.stop()
            close = getattr(pose, "close", None)
            if close is not None:
                close()
            self.finished.emit()

    def _loop(self, grabber: LatestFrameGrabber, pose: PoseStage) -> None:
        smoother = PoseSmoother()
        pipeline = FramePipeline(pose, smoother, None)
        fps = 0.0
        last_done: float | None = None
        while not self._stop.is_set():
            try:
                item = grabber.get(timeout=0.5)
            except TimeoutError:
                continue
            if item is None:
                return
            if self._paused.is_set():
                continue  # keep draining frames so the view resumes on a fresh one
            # The lock spans the step so that once set_tracker() returns, the old tracker is
            # no longer touched by this thread and the GUI may read its results safely.
            with self._lock:
                pipeline.tracker = self._tracker
                out = pipeline.step(item.frame)
            image = annotate(item.frame.image, out.pose, out.overlay)
            now = time.monotonic()
            if last_done is not None:
                inst = 1.0 / max(now - last_done, 1e-6)
                fps = inst if fps == 0 else 0.9 * fps + 0.1 * inst
            last_done = now
            small = cv2.resize(item.frame.image, (64, 48), interpolation=cv2.INTER_AREA)
            brightness = float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean())
            self.packet.emit(
                LivePacket(image, out, fps, (now - item.captured_at) * 1000, grabber.dropped, brightness)
            )
