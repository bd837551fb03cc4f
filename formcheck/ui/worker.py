"""The pipeline worker: capture, pose, the live coach and recording hand-off, off the GUI thread.

A ``PipelineWorker`` is moved to a ``QThread``; ``run()`` loops until stopped, taking the newest
frame from a ``LatestFrameGrabber`` (stale frames are dropped and counted), running the same
``FramePipeline`` that `formcheck analyze` uses, then the ``Coach`` (set-up, sets, rests), drawing
the overlay, handing the frame and its events to the recorder's thread, and emitting one
``LivePacket`` per processed frame. Commands from the window (end set, pain stop, pause, switch
exercise) are posted here and applied between frames, so every event comes from this one thread
in order. The window keeps only the latest packet and repaints on a timer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from formcheck.analysis.runner import FrameOutput, FramePipeline, PoseStage
from formcheck.core.coach import Coach, CoachFrame
from formcheck.core.events import SetEnd
from formcheck.core.overlay import Overlay
from formcheck.core.placement import DARK_FRAME
from formcheck.core.smoothing import PoseSmoother
from formcheck.pose.estimator import PoseError
from formcheck.pose.model_store import ModelError
from formcheck.records.background_recorder import BackgroundRecorder
from formcheck.video.annotate import annotate
from formcheck.video.frames import brightness
from formcheck.video.live import LatestFrameGrabber
from formcheck.video.source import FrameSource, FrameSourceError

log = logging.getLogger(__name__)

IDLE_OVERLAY = Overlay()  # no exercise: the skeleton only (the banner under the video says what to do)
# A command: done to the coach on the pipeline's thread; returns what it changed (or None).
Command = Callable[[], CoachFrame | None]


@dataclass(frozen=True, slots=True, eq=False)
class LivePacket:
    image: np.ndarray  # annotated BGR frame
    output: FrameOutput
    coach: CoachFrame | None  # None when no exercise is chosen
    fps: float
    latency_ms: float  # frame arrival → evaluation and overlay ready
    dropped: int
    brightness: float


class PipelineWorker(QObject):
    packet = Signal(object)  # LivePacket
    coached = Signal(object)  # CoachFrame made by a command or by the end of the source
    failed = Signal(str)  # one sentence for the user
    finished = Signal()  # the source ended (end of file) or the worker was stopped

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        pose_factory: Callable[[], PoseStage],
        coach: Coach | None = None,
        recorder: BackgroundRecorder | None = None,
        speed: float = 1.0,
    ) -> None:
        super().__init__()
        self._source_factory = source_factory
        self._pose_factory = pose_factory
        self.coach = coach
        self._recorder = recorder
        self._speed = speed
        self._commands: queue.Queue[Command] = queue.Queue()
        self._accepting = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self.ended_by: SetEnd | None = None  # why the source stopped, once it has

    # ---- called from the GUI thread --------------------------------------------------------------
    def post(self, command: Command) -> bool:
        """Queue a command for the pipeline's thread; False once the worker has stopped taking them
        (then the caller applies it itself: nothing else touches the coach any more)."""
        with self._lock:
            if not self._accepting:
                return False
            self._commands.put(command)
            return True

    def stop(self) -> None:
        self._stop.set()

    def set_paused(self, paused: bool) -> None:
        (self._paused.set if paused else self._paused.clear)()

    # ---- the pipeline's thread ---------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        grabber: LatestFrameGrabber | None = None
        pose = None
        try:
            pose = self._pose_factory()
            grabber = LatestFrameGrabber(self._source_factory(), speed=self._speed).start()
            self._loop(grabber, pose)
        except (FrameSourceError, ModelError, PoseError) as exc:
            self._source_gone("source_lost")
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the GUI must survive any pipeline failure
            log.exception("pipeline worker crashed")
            self._source_gone("source_lost")
            self.failed.emit(f"The video pipeline stopped unexpectedly ({exc}); start the session again.")
        finally:
            with self._lock:
                self._accepting = False
            self._run_commands()
            if grabber is not None:
                grabber.stop()
            close = getattr(pose, "close", None)
            if close is not None:
                close()
            self.finished.emit()

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            self._publish(command())

    def _publish(self, frame: CoachFrame | None) -> None:
        if frame is None:
            return
        if self._recorder is not None and frame.events:
            self._recorder.put(None, None, frame.events)
        self.coached.emit(frame)

    def _source_gone(self, reason: SetEnd) -> None:
        self.ended_by = reason
        if self.coach is not None:
            self._publish(self.coach.source_ended(reason))

    def _loop(self, grabber: LatestFrameGrabber, pose: PoseStage) -> None:
        pipeline = FramePipeline(pose, PoseSmoother(), None)
        fps = 0.0
        last_done: float | None = None
        while not self._stop.is_set():
            self._run_commands()
            try:
                item = grabber.get(timeout=0.1)  # short, so commands wait at most this long
            except TimeoutError:
                continue
            if item is None:
                self._source_gone("video_end")
                return
            if self._paused.is_set():
                continue  # keep draining frames so the view resumes on a fresh one
            out = pipeline.step(item.frame)
            light = brightness(item.frame.image)
            coach = self.coach
            frame = coach.update(out.pose, out.view, light >= DARK_FRAME) if coach is not None else None
            overlay = coach.overlay(frame) if coach is not None and frame is not None else IDLE_OVERLAY
            image = annotate(item.frame.image, out.pose, overlay)
            if self._recorder is not None and frame is not None:
                self._recorder.put(out, frame.evaluation, frame.events)
            now = time.monotonic()
            if last_done is not None:
                inst = 1.0 / max(now - last_done, 1e-6)
                fps = inst if fps == 0 else 0.9 * fps + 0.1 * inst
            last_done = now
            self.packet.emit(LivePacket(image, out, frame, fps, (now - item.captured_at) * 1000, grabber.dropped, light))
