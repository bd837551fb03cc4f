"""Runs one coached exercise: owns the worker thread, the set/rest flow, the tracker and the voice.

The window only wires widgets to this object's signals; nothing here draws.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from formcheck.core.exercise import ExerciseDef
from formcheck.core.session_flow import FlowStatus, SessionFlow, SetResult
from formcheck.core.tracker import ExerciseTracker, FrameEvaluation
from formcheck.pipeline.frames import FrameSource
from formcheck.pipeline.recorder import SessionRecorder
from formcheck.pipeline.store import Store, StoreError
from formcheck.pipeline.runner import PoseStage
from formcheck.ui.speech import Speaker
from formcheck.ui.worker import DARK_FRAME, LivePacket, PipelineWorker

log = logging.getLogger(__name__)

DARK_MESSAGE = "Turn on more light"
PAIN_MESSAGE = "Stopped. Rest now — if the pain is sharp or doesn't settle, talk to your therapist."


@dataclass
class ExerciseSummary:
    exercise: ExerciseDef
    sets: list[SetResult]
    pain_stops: int
    results: list[dict[str, Any]] = field(default_factory=list)  # tracker results per set

    def text(self) -> str:
        lines = [f"{self.exercise.name}: {len(self.sets)} set(s)"]
        for s in self.sets:
            reps = " ".join(f"{k} {v}" if k != "all" else f"{v} reps" for k, v in s.reps.items())
            hold = f", held {s.hold_s:.0f} s" if self.exercise.hold else ""
            flagged = f", {s.flagged} flagged" if s.flagged else ""
            end = {"dose": "", "stop": " (stopped)", "pain": " (stopped for pain)"}[s.ended_by]
            lines.append(f"  Set {s.number}: {reps if self.exercise.rep else ''}{hold}{flagged}{end}")
        return "\n".join(lines)


class SessionController(QObject):
    frame = Signal(object)  # LivePacket, for display
    status = Signal(object)  # FlowStatus
    set_finished = Signal(object)  # SetResult
    exercise_finished = Signal(object)  # ExerciseSummary
    error = Signal(str)
    stopped = Signal()

    def __init__(
        self,
        pose_factory: Callable[[], PoseStage],
        speaker: Speaker | None = None,
        store_factory: Callable[[], Store] | None = None,
        person: str = "me",
    ) -> None:
        super().__init__()
        self._pose_factory = pose_factory
        self.speaker = speaker or Speaker()
        self._store_factory = store_factory
        self.store: Store | None = None
        self.recorder: SessionRecorder | None = None
        self.person = person
        # Whether to save the webcam picture: None = not asked yet (the window asks once).
        self.keep_webcam_video: bool | None = None
        self.ask_keep_video: Callable[[], bool] | None = None
        self._source_label = ""
        self._source_kind = "live"
        self.exercise: ExerciseDef | None = None
        self.flow: SessionFlow | None = None
        self.tracker: ExerciseTracker | None = None
        self._set_results: list[dict[str, Any]] = []
        self._thread: QThread | None = None
        self._worker: PipelineWorker | None = None
        self._last_eval: FrameEvaluation | None = None
        self._said_dark = False
        self.latest: LivePacket | None = None

    # ---- source ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def open_source(
        self, source_factory: Callable[[], FrameSource], speed: float = 1.0, label: str = "", kind: str = "live"
    ) -> None:
        """Start showing a camera or video (stopping any previous one)."""
        self.close_source()
        self._source_label, self._source_kind = label, kind
        self._worker = PipelineWorker(source_factory, self._pose_factory, self.tracker, speed)
        self._thread = QThread()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.packet.connect(self._on_packet)
        self._worker.failed.connect(self._on_failed)
        self._worker.finished.connect(self._thread.quit)
        self._thread.finished.connect(self.stopped)
        self._thread.start()

    def close_source(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(5000)
        self._worker = self._thread = None
        self._finish_recording()

    # ---- recording ---------------------------------------------------------------------------
    def _record_set_start(self, t_ms: int) -> None:
        """Every counted set is recorded; the session (one per source) starts with its first set."""
        if self._store_factory is None or self.exercise is None or self.flow is None:
            return
        try:
            if self.store is None:
                self.store = self._store_factory()
            if self.recorder is None:
                self.recorder = SessionRecorder(self.store, self.person, self._source_label, self._source_kind)
                if self._source_kind == "live" and self._wants_webcam_video():
                    fps = self.latest.fps if self.latest and self.latest.fps > 1 else 30.0
                    self.recorder.keep_video(round(fps))
            self.recorder.start_set(self.exercise, self.flow.set_number, t_ms, self.tracker)
        except (StoreError, OSError) as exc:
            self.recorder = None
            self.error.emit(f"This session can't be saved ({exc}); coaching goes on without recording.")

    def _wants_webcam_video(self) -> bool:
        if self.keep_webcam_video is None and self.ask_keep_video is not None:
            self.keep_webcam_video = self.ask_keep_video()
        return bool(self.keep_webcam_video)

    def _finish_recording(self) -> None:
        if self.recorder is not None:
            try:
                self.recorder.finish(self._t())
            except (StoreError, OSError) as exc:
                log.warning("could not finish the recording: %s", exc)
            self.recorder = None

    # ---- exercise ----------------------------------------------------------------------------
    def start_exercise(self, exercise: ExerciseDef) -> None:
        """Begin (or restart) an exercise: counters reset, set-up check first."""
        if self.flow is not None and self.flow.state != "done" and self.exercise is not None:
            self._finish_exercise()
        self.exercise = exercise
        self.flow = SessionFlow(exercise)
        self._set_results = []
        self._set_tracker(ExerciseTracker(exercise))
        self.speaker.say(f"{exercise.name}. {exercise.setup.position_cue if exercise.setup else ''}")
        self.status.emit(self.flow.status(0))

    def stop_exercise(self) -> None:
        self._end_set("stop")

    def pain_stop(self) -> None:
        """'Stop — it hurts': ends the set at once and records it; no more sets this time."""
        if self.flow is None or self.flow.state == "done":
            return
        self.speaker.interrupt()  # the pain message must not wait behind a form cue
        self._end_set("pain")
        self.speaker.say(PAIN_MESSAGE)

    def set_paused(self, paused: bool) -> None:
        if self._worker is not None:
            self._worker.set_paused(paused)
        if self.flow is not None:
            (self.flow.pause if paused else self.flow.resume)()
            self.status.emit(self.flow.status(self._t()))

    def skip_rest(self) -> None:
        if self.flow is not None:
            self.flow.skip_rest()

    def _t(self) -> int:
        return self._last_eval.t_ms if self._last_eval else 0

    def _set_tracker(self, tracker: ExerciseTracker | None) -> None:
        self.tracker = tracker
        if self._worker is not None:
            self._worker.set_tracker(tracker)

    def _end_set(self, ended_by: str) -> None:
        flow, tracker = self.flow, self.tracker
        if flow is None or flow.state == "done":
            return
        t = self._t()
        self._set_tracker(None)  # after this returns the worker no longer touches `tracker`
        reps: dict[str, int] = {}
        hold_s, flagged = 0.0, 0
        if tracker is not None and flow.state in ("counting", "paused"):
            results = tracker.results()
            self._set_results.append(results)
            reps = tracker.rep_counts()
            hold_s = sum(h["duration_s"] for h in results["holds"])
            flagged = sum(1 for r in results["reps"] if r["faults"])
        if self.recorder is not None and flow.state in ("counting", "paused"):
            if ended_by == "pain":
                self.recorder.pain_stop(t)
            else:
                self.recorder.end_set(t, ended_by)
        result = flow.end_set(t, reps, hold_s, flagged, ended_by)  # type: ignore[arg-type]
        self.set_finished.emit(result)
        if flow.state == "done":
            self._finish_exercise()
        elif self.exercise is not None:
            self.speaker.say(f"Set done. Rest {self.exercise.dose.rest_s:.0f} seconds.")
            self._set_tracker(ExerciseTracker(self.exercise))  # set-up cues during rest/next set-up
        self.status.emit(flow.status(t))

    def _finish_exercise(self) -> None:
        assert self.flow is not None and self.exercise is not None
        summary = ExerciseSummary(self.exercise, list(self.flow.sets), len(self.flow.pain_stops), list(self._set_results))
        self.exercise_finished.emit(summary)

    # ---- per frame (GUI thread, queued from the worker) -----------------------------------------
    def _on_packet(self, packet: LivePacket) -> None:
        self.latest = packet
        self.frame.emit(packet)
        if self.recorder is not None and self.flow is not None and self.flow.state == "counting":
            try:
                self.recorder.on_frame(packet.output)
            except (OSError, sqlite3.Error) as exc:
                # Disk full or folder gone: keep coaching; what was flushed stays saved.
                self.recorder = None
                self.error.emit(f"Recording stopped ({exc}); free some disk space — what was saved is kept.")
        ev = packet.output.evaluation
        flow = self.flow
        if flow is None or not isinstance(ev, FrameEvaluation):
            self.speaker.poll()
            return
        self._last_eval = ev
        light_ok = packet.brightness >= DARK_FRAME
        was = flow.state
        counting = flow.on_frame(ev.t_ms, ev.setup is None, light_ok)
        if was != "counting" and counting and self.exercise is not None:
            # Counting starts from zero the moment set-up passes.
            self._set_tracker(ExerciseTracker(self.exercise))
            self._record_set_start(ev.t_ms)
            self.speaker.say(f"Go — set {flow.set_number}")
        elif counting and flow.dose_reached(ev.reps, ev.hold_s):
            self._end_set("dose")
        elif ev.new_cue is not None and flow.state in ("setup", "counting"):
            self.speaker.say(ev.new_cue.text)
        message = ev.setup.text if ev.setup is not None else ("" if light_ok else DARK_MESSAGE)
        if flow.state == "setup" and not light_ok and not self._said_dark:
            self.speaker.say(DARK_MESSAGE)
        self._said_dark = not light_ok
        self.status.emit(flow.status(ev.t_ms, message))
        self.speaker.poll()

    def _on_failed(self, message: str) -> None:
        if self.flow is not None and self.flow.state == "counting":
            self._end_set("stop")  # keep what was counted
        self.error.emit(message)  # last, so the message stays on screen

    def shutdown(self) -> None:
        self.close_source()
        self.speaker.stop()
