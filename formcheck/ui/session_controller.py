"""Runs coached exercises on a source: owns the worker thread, the recording and the voice.

The per-frame logic (the ``Coach``) runs on the worker's thread; this object posts the window's
commands to it and turns the frames and events coming back into signals and speech. The window
only wires widgets to these signals; nothing here draws.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from formcheck.analysis.runner import PoseStage
from formcheck.core.coach import Coach, CoachFrame, summary_text
from formcheck.core.events import Event, ExerciseEnded, SetEnded, SetStarted
from formcheck.core.exercise import ExerciseDef
from formcheck.core.wording import SOURCE_ENDED
from formcheck.exercises.personal_thresholds import personalise
from formcheck.exercises.profile import ProfileStore
from formcheck.records.background_recorder import BackgroundRecorder
from formcheck.records.database.connection import StoreError
from formcheck.records.recorder import record_session
from formcheck.records.store import Store
from formcheck.ui.speech import Speaker
from formcheck.ui.worker import Command, LivePacket, PipelineWorker
from formcheck.video.source import FrameSource

log = logging.getLogger(__name__)

WEBCAM_VIDEO_FPS = 30.0
DEMO = "demo"  # the kind of a source that is only shown: never recorded, never spoken


class SessionController(QObject):
    frame = Signal(object)  # LivePacket, for display
    coached = Signal(object)  # CoachFrame: the latest status, counter and banner
    set_started = Signal(object)  # SetStarted
    set_finished = Signal(object)  # SetSummary
    exercise_finished = Signal(object)  # ExerciseEnded
    error = Signal(str)
    notice = Signal(str)  # what the person should know that stops nothing (the clinic's server is away)
    stopped = Signal()
    source_ended = Signal(str)  # the source stopped by itself: "video_end" or "source_lost"
    _recording_failed = Signal(str)  # from the recorder's thread, delivered on the GUI thread
    _recording_notice = Signal(str)  # likewise
    _worker_done = Signal(object)  # a worker's run ended (delivered on the GUI thread)

    def __init__(
        self,
        pose_factory: Callable[[], PoseStage],
        speaker: Speaker | None = None,
        store_factory: Callable[[], Store] | None = None,
        person: str = "me",
        profiles: ProfileStore | None = None,
    ) -> None:
        super().__init__()
        self._pose_factory = pose_factory
        self.speaker = speaker or Speaker()
        self._store_factory = store_factory
        self._store: Store | None = None
        self.store_problem: str | None = None
        self.recorder: BackgroundRecorder | None = None
        self.person = person
        # The programme version (uid, number) the next session follows; None: exercises picked by hand.
        self.programme: tuple[str, int] | None = None
        self.profiles = profiles or ProfileStore()
        self.profile_notes: list[str] = []  # what applying the person's profile had to say
        # Whether to save the webcam picture: None = not asked yet (the window asks once).
        self.keep_webcam_video: bool | None = None
        self.ask_keep_video: Callable[[], bool] | None = None
        self.coach: Coach | None = None
        self.last: CoachFrame | None = None
        self.summary = ""  # the finished exercise's summary, for the panel
        self._thread: QThread | None = None
        self._worker: PipelineWorker | None = None
        self.latest: LivePacket | None = None
        self.source_kind = ""  # "live", "file" or "demo" while a source is open
        self._unsaved: list[Event] = []  # ratings given while no session could take them yet
        self._recording_failed.connect(self.error)
        self._recording_notice.connect(self.notice)
        self._worker_done.connect(self._on_worker_finished)

    # ---- reading -----------------------------------------------------------------------------------
    @property
    def store(self) -> Store | None:
        """The session database for reading on the GUI thread (the recorder writes on its own);
        None when it can't be opened — ``store_problem`` then says why and what to do, and coaching
        still works."""
        if self._store is None and self._store_factory is not None and self.store_problem is None:
            try:
                self._store = self._store_factory()
            except StoreError as exc:
                self.store_problem = str(exc)
                self.error.emit(self.store_problem)
        return self._store

    @property
    def exercise(self) -> ExerciseDef | None:
        return self.coach.exercise if self.coach else None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    # ---- source ------------------------------------------------------------------------------------
    def open_source(
        self, source_factory: Callable[[], FrameSource], speed: float = 1.0, label: str = "", kind: str = "live"
    ) -> None:
        """Start showing a camera or video (closing any previous one). One session per source; a
        demo is never recorded. The exercise coached is the one chosen (the window decides)."""
        self.close_source()
        if self.coach is not None and self.coach.state != "done":
            # A new source has its own clock: the exercise goes on from set-up, its sets kept.
            self.coach = Coach(self.coach.exercise, self.coach.cue_config, list(self.coach.sets))
        self.source_kind = kind
        self.recorder = self._make_recorder(label, kind) if kind != DEMO else None
        if self.recorder is not None and self._unsaved:
            self.recorder.put(None, None, self._unsaved)
            self._unsaved = []
        worker = self._worker = PipelineWorker(source_factory, self._pose_factory, self.coach, self.recorder, speed)
        self._thread = QThread()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.packet.connect(self._on_packet)
        self._worker.coached.connect(self._on_coach_frame)
        self._worker.failed.connect(self._on_failed)
        self._worker.finished.connect(self._thread.quit)
        self._worker.finished.connect(lambda: self._worker_done.emit(worker))
        self._thread.finished.connect(self.stopped)
        self._thread.start()

    def _on_worker_finished(self, worker: PipelineWorker) -> None:
        """The source ended by itself (not closed from here): say so once."""
        if worker is self._worker and worker.ended_by is not None:
            self.source_ended.emit(worker.ended_by)

    def close_source(self, status: str = "complete", reason: str | None = None) -> None:
        """Stop the source; a set under way ends and the session is closed with ``status``."""
        if self._worker is not None:
            self._worker.stop()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(10000)
        self._worker = self._thread = None
        if self.coach is not None and self.coach.counting:
            # A set under way ends with its source (and is kept); an exercise still setting up or
            # resting carries on with the next source.
            self._apply(lambda: self.coach.source_ended("closed") if self.coach else None)
        elif self.coach is not None and self.coach.state == "setup" and self.recorder is not None:
            flag = self.coach.attempt_flag()  # tried on this source, and no set ever started
            if flag is not None:
                self.recorder.put(None, None, [flag])
        if self.recorder is not None:
            self.recorder.close(status, reason)
            self.recorder = None
        self.source_kind = ""

    def _make_recorder(self, label: str, kind: str) -> BackgroundRecorder | None:
        if self._store_factory is None:
            return None
        fps = WEBCAM_VIDEO_FPS if kind == "live" and self._wants_webcam_video() else None
        factory, person, programme = self._store_factory, self.person, self.programme
        # The clinic's server down: the session is recorded to its folder all the same, and the
        # recorder says so once (``notice``: coaching goes on, nothing waits for the person).
        return BackgroundRecorder(lambda: record_session(factory, person, label, kind, fps, programme),
                                  self._recording_failed.emit, keeps_video=fps is not None,
                                  on_notice=self._recording_notice.emit)

    def _wants_webcam_video(self) -> bool:
        if self.keep_webcam_video is None and self.ask_keep_video is not None:
            self.keep_webcam_video = self.ask_keep_video()
        return bool(self.keep_webcam_video)

    # ---- exercise ----------------------------------------------------------------------------------
    def start_exercise(self, exercise: ExerciseDef) -> ExerciseDef:
        """Begin (or restart) an exercise with the person's own thresholds (their newest profile):
        counters reset, set-up check first. Returns the exercise as judged (its ``ExerciseEnded``
        carries this very object)."""
        exercise, self.profile_notes = personalise(exercise, self.person, self.profiles)
        self._switch_coach(Coach(exercise))
        self.say(self.coach.intro() if self.coach else "")
        return exercise

    def clear_exercise(self) -> None:
        """No exercise: the source is only shown (nothing counted, nothing recorded)."""
        if self.coach is not None:
            self._switch_coach(None)
        self.last = None

    def _switch_coach(self, new: Coach | None) -> None:
        old = self.coach
        self.coach = new
        self.summary = ""

        def switch() -> CoachFrame | None:
            ended = old.source_ended("stop") if old is not None and old.state != "done" else None
            if self._worker is not None:
                self._worker.coach = new
            if ended is None or new is None:
                return ended
            # The old exercise's last events (recorded, and told to Today) on the new one's status, and
            # nothing said about the old one: the person has moved on to the new one.
            return dataclasses.replace(new.snapshot(), events=ended.events)

        self._apply(switch)
        if new is not None:
            self._on_coach_frame(new.snapshot())  # its first status, before any frame arrives

    def hold_coaching(self, held: bool) -> None:
        """While held (the set-up check is open) frames are shown but not coached: nothing is
        counted, said or recorded; the exercise carries on where it was afterwards."""
        coach = None if held else self.coach

        def attach() -> None:
            if self._worker is not None:
                self._worker.coach = coach

        self._apply(attach)

    def say(self, text: str) -> None:
        """Speak to the person (never over a demo: nobody is exercising)."""
        if self.source_kind != DEMO:
            self.speaker.say(text)

    def stop_exercise(self) -> None:
        """'End set' (Ctrl+E): this set ends and the rest begins (the exercise ends after its last set)."""
        self._apply(lambda: self.coach.end_set() if self.coach else None)

    def pain_stop(self) -> None:
        """'Stop — it hurts': ends the set at once and records it; no more sets this time."""
        self.speaker.interrupt()  # the pain message must not wait behind a form cue
        self._apply(lambda: self.coach.pain_stop() if self.coach else None)

    def set_paused(self, paused: bool) -> None:
        if self._worker is not None:
            self._worker.set_paused(paused)
        t = self.latest.output.frame.t_ms if self.latest else 0
        self._apply(lambda: (self.coach.pause() if paused else self.coach.resume(t)) if self.coach else None)

    def skip_rest(self) -> None:
        self._apply(lambda: self.coach.skip_rest() if self.coach else None)

    def sync_recording(self) -> None:
        """Everything recorded so far is in the database (before reading what is done today)."""
        if self.recorder is not None:
            self.recorder.sync()

    def rate(self, event: Event) -> None:
        """Record a rating or flag the person gave (pain, effort) in the current session, or in the
        next one when no source is open yet (a pain rating before the video is chosen)."""
        if self.recorder is not None:
            self.recorder.put(None, None, [event])
        else:
            self._unsaved.append(event)

    def _apply(self, command: Command) -> None:
        """Run a command on the pipeline's thread, or here when no pipeline is running."""
        if self._worker is not None and self._worker.post(command):
            return
        frame = command()
        if frame is not None:
            if self.recorder is not None and frame.events:
                self.recorder.put(None, None, frame.events)
            self._on_coach_frame(frame)

    # ---- from the pipeline (GUI thread) -------------------------------------------------------------
    def _on_packet(self, packet: LivePacket) -> None:
        if self.sender() is not self._worker:
            return  # a frame still on its way from a source closed since: not to be shown
        self.latest = packet
        self.frame.emit(packet)
        if packet.coach is not None:
            self._on_coach_frame(packet.coach)
        self.speaker.poll()

    def _on_coach_frame(self, frame: CoachFrame) -> None:
        self.last = frame
        if frame.urgent:
            self.speaker.interrupt()
        for text in frame.say:
            self.say(text)
        for e in frame.events:
            if isinstance(e, SetStarted):
                self.set_started.emit(e)
            elif isinstance(e, SetEnded):
                self.set_finished.emit(e.summary)
            elif isinstance(e, ExerciseEnded):
                if self.coach is not None and e.exercise is self.coach.exercise:  # not one just left
                    words = SOURCE_ENDED.get(e.reason, "")
                    self.summary = ((words[0].upper() + words[1:] + ".\n" if words else "")
                                    + summary_text(e.exercise, e.sets, e.why))
                self.exercise_finished.emit(e)
        self.coached.emit(frame)

    def _on_failed(self, message: str) -> None:
        self.error.emit(message)  # last, so the message stays on screen

    def shutdown(self, status: str = "complete", reason: str | None = None) -> None:
        self.close_source(status, reason)
        if self._unsaved and self._store_factory is not None:  # ratings given, but no video came
            recorder = self._make_recorder("", "none")
            if recorder is not None:
                recorder.put(None, None, self._unsaved)
                recorder.close(status, reason)
            self._unsaved = []
        self.speaker.stop()
        if self._store is not None:
            try:
                self._store.close()
            except StoreError:
                pass
            self._store = None
