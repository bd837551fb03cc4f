"""Recording a session as it happens, from the engine's events: the database index and the
session's own folder (events, landmark track, optionally the camera video).

Everything is flushed at least once a second (``FLUSH_MS``), each flush one database transaction
and one fsync'd chunk of track and events, so a crash or ``kill -9`` loses at most the last second
and never leaves the database half-written. ``BackgroundRecorder`` runs a recorder on its own
thread so disk, database and video encoding never hold up the live picture.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from formcheck.core.events import (
    RATING_EVENTS,
    CueRaised,
    EffortRated,
    Event,
    HoldEnded,
    PainRated,
    PainStopped,
    RepCompleted,
    SessionFlagged,
    SetEnded,
    SetStarted,
)
from formcheck.core.frame_output import FrameOutput
from formcheck.core.landmarks import PoseResult
from formcheck.core.tracker import FrameEvaluation
from formcheck.exercises.profile import POPULATION
from formcheck.exercises.snapshot import to_json
from formcheck.records.database.connection import ENGINE_ERRORS, StoreError
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.pending import mark_pending
from formcheck.records.database.postgres import ServerAway
from formcheck.records.database.rows import now_iso
from formcheck.records.results_json import hold_json, rep_json
from formcheck.records.session_events import parse_event
from formcheck.records.session_folder import (
    EVENTS_FILE,
    TRACK_FILE,
    VIDEO_FILE,
    VIDEO_META,
    update_session_json,
    write_json_atomic,
)
from formcheck.records.session_track import track_row
from formcheck.records.store import Store

log = logging.getLogger(__name__)

FLUSH_MS = 1000
PRE_ROLL_FRAMES = 60  # about 2 s of frames before the first set are kept with the session
# What stops a recording (disk full, folder removed, database gone): coaching goes on without it.
RECORDING_ERRORS = (OSError, *ENGINE_ERRORS, StoreError)
# Kept when they come before any set; a session is saved for them even if no set ever starts (the
# person tried, rated their pain or stopped because it hurt: the therapist must see it).
KEPT_WITHOUT_A_SET = (*RATING_EVENTS, PainStopped)


class SessionRecorder:
    def __init__(self, store: Store, person: str, source: str, kind: str, keep_video_fps: float | None = None,
                 programme: tuple[str, int] | None = None) -> None:
        self.store = store
        self.session_id, self.folder = store.start_session(person, source, kind, programme)
        self._track = (self.folder / TRACK_FILE).open("ab")
        self._events = (self.folder / EVENTS_FILE).open("a", encoding="utf-8")
        self._rows: list[np.ndarray] = []
        self._pending: list[Event] = []
        self._index = EventIndexer(store.db, self.session_id)
        self._primary: str | None = None
        self._goal: float | None = None  # the set's personal goal, for each rep's progress
        self._counts = {"rep": 0, "attempt": 0}
        self._last_flush_ms: int | None = None
        self._last_t_ms = 0
        self._video: cv2.VideoWriter | None = None
        self._video_fps = keep_video_fps or 30.0
        self._keep_video = keep_video_fps is not None
        self._video_frames = 0
        self._video_t0: int | None = None
        self._last_image: np.ndarray | None = None
        self.closed = False
        # The sentence saying the clinic's server went away mid-session (None: indexing as it goes).
        self.index_pending: str | None = None

    # ---- per frame -----------------------------------------------------------------------------
    def on_frame(self, out: FrameOutput | None, evaluation: FrameEvaluation | None, events: Sequence[Event]) -> None:
        """One frame's picture and pose (``out`` None: events made by a command) and its events."""
        self.record(out.pose if out else None, out.frame.image if out else None, evaluation, events)

    def record(self, pose: PoseResult | None, image: np.ndarray | None, evaluation: FrameEvaluation | None,
               events: Sequence[Event]) -> None:
        """The pose the engine saw, the camera picture (None: keep the last one in the video) and the
        frame's events; ``pose`` None for events made by a command (no new frame)."""
        for e in events:
            if isinstance(e, SetStarted):
                self._primary = e.exercise.rep.measure if e.exercise.rep else None
                self._goal = e.exercise.rep.goal if e.exercise.rep else None
        self._pending.extend(events)
        if pose is not None:
            t = pose.t_ms
            self._last_t_ms = t
            primary = evaluation.values.get(self._primary, math.nan) if evaluation and self._primary else math.nan
            self._rows.append(track_row(pose, primary))
            if self._keep_video and image is not None:
                self._write_video(t, image)
            if self._last_flush_ms is None:
                self._last_flush_ms = t
            if t - self._last_flush_ms >= FLUSH_MS:
                self.flush(t)
        elif any(isinstance(e, (SetEnded, PainStopped, *RATING_EVENTS)) for e in events):
            self.flush()  # the end of a set, or a rating, is saved at once, not a second later

    def _write_video(self, t_ms: int, image: np.ndarray) -> None:
        if self._video is None:
            self._video_t0 = t_ms
            h, w = image.shape[:2]
            # mp4v: the MP4 codec every OpenCV wheel can write.
            self._video = cv2.VideoWriter(str(self.folder / VIDEO_FILE), cv2.VideoWriter.fourcc(*"mp4v"),
                                          self._video_fps, (w, h))
            write_json_atomic(self.folder / VIDEO_META, {"t0_ms": t_ms, "fps": self._video_fps})
        assert self._video_t0 is not None
        # Keep the file on the session's clock: frames the pipeline skipped are filled with the
        # previous picture, so frame n is always at t0 + n / fps.
        due = int(round((t_ms - self._video_t0) * self._video_fps / 1000)) + 1
        while self._video_frames < due - 1 and self._last_image is not None:
            self._video.write(self._last_image)
            self._video_frames += 1
        if self._video_frames < due:
            self._video.write(image)
            self._video_frames += 1
        self._last_image = image

    # ---- writing -------------------------------------------------------------------------------
    def flush(self, t_ms: int | None = None) -> None:
        """Write what happened since the last flush: one transaction, one fsync'd chunk."""
        if self._rows:
            buf = io.BytesIO()
            np.save(buf, np.stack(self._rows))
            self._track.write(buf.getvalue())
            self._track.flush()
            os.fsync(self._track.fileno())
            self._rows = []
        lines = [line for line in map(self._line, self._pending) if line is not None]
        self._pending = []
        self._index_lines(lines)
        for line in lines:
            self._events.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._events.flush()
        os.fsync(self._events.fileno())
        self._last_flush_ms = t_ms if t_ms is not None else self._last_t_ms

    def _line(self, e: Event) -> dict[str, Any] | None:
        """An event as a line of events.jsonl (and, through ``EventIndexer``, a database row)."""
        if isinstance(e, SetStarted):
            self._counts = {"rep": 0, "attempt": 0}
            return {"type": "set_start", "t_s": e.t_ms / 1000, "exercise": e.exercise.id, "number": e.number,
                    "prescribed": e.exercise.dose.text(), "profile": e.exercise.profile or POPULATION,
                    "definition": json.loads(to_json(e.exercise))}
        if isinstance(e, CueRaised):
            return {"type": "cue", "t_s": e.t_ms / 1000, "kind": e.cue.kind, "text": e.cue.text}
        if isinstance(e, PainStopped):
            return {"type": "pain_stop", "t_s": e.t_ms / 1000}
        if isinstance(e, RepCompleted):
            kind = "rep" if e.rep.reached else "attempt"
            self._counts[kind] += 1
            return {"type": kind, **rep_json(self._counts[kind], e.rep, self._goal)}
        if isinstance(e, HoldEnded):
            return {"type": "hold", **hold_json(e.hold)}
        if isinstance(e, SetEnded):
            return {"type": "set_end", "t_s": e.t_ms / 1000, "ended_by": e.summary.ended_by}
        if isinstance(e, PainRated):
            return {"type": "pain", "t_s": e.t_ms / 1000, "moment": e.moment, "exercise": e.exercise, "score": e.score}
        if isinstance(e, EffortRated):
            return {"type": "effort", "t_s": e.t_ms / 1000, "moment": "exercise", "exercise": e.exercise,
                    "score": e.score}
        if isinstance(e, SessionFlagged):
            return {"type": "flag", "t_s": e.t_ms / 1000, "reason": e.reason}
        return None

    def finish(self, status: str = "complete", reason: str | None = None) -> None:
        """Close the session: a set still open ends here (the recording ended before it did)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.flush()
            if self._index.set_id is not None:
                line = {"type": "set_end", "t_s": self._last_t_ms / 1000, "ended_by": "closed"}
                self._index_lines([line])
                self._events.write(json.dumps(line) + "\n")
        finally:
            for closing in (self._track.close, self._events.close, self._release_video):
                try:
                    closing()
                except OSError as exc:
                    log.warning("closing the recording: %s", exc)
            self._end(status, reason)

    def abandon(self, reason: str) -> None:
        """Recording failed (disk full, folder gone): keep what was flushed, say how it ended."""
        self.closed = True
        for closing in (self._track.close, self._events.close, self._release_video):
            try:
                closing()
            except OSError:
                pass
        self.store.release_reserve()
        try:
            self._end("interrupted", reason)
        except RECORDING_ERRORS as exc:  # noticed at the next start (the process check)
            log.warning("could not mark session %s interrupted: %s", self.session_id, exc)

    def _index_lines(self, lines: list[dict[str, Any]]) -> None:
        """Index event lines in one transaction, what repair and bundle import read, checked the
        same way; while the clinic's server is away, the folder alone gets them."""
        if self.index_pending is not None or not lines:
            return
        try:
            with self.store.transaction():
                for line in lines:
                    self._index.apply(parse_event(line))
        except ServerAway as exc:
            self._server_away(exc)

    def _end(self, status: str, reason: str | None) -> None:
        if self.index_pending is None:
            try:
                self.store.end_session(self.session_id, status, reason)
                return
            except ServerAway as exc:
                self._server_away(exc)
        update_session_json(self.folder, ended=now_iso(), status=status, end_reason=reason)

    def _server_away(self, exc: ServerAway) -> None:
        """From now on the session is recorded to its folder only, and indexed at the next start."""
        mark_pending(self.folder)
        self.index_pending = str(exc)
        log.warning("%s", exc)

    def _release_video(self) -> None:
        if self._video is not None:
            self._video.release()


def recording_failed(exc: BaseException, folder: object) -> str:
    """The one sentence shown when recording stops."""
    return (f"Recording stopped ({exc}) — free some disk space or check {folder}; "
            "what was saved so far is kept, and coaching goes on.")


@dataclass(frozen=True, slots=True)
class _Item:
    pose: PoseResult | None
    image: np.ndarray | None  # dropped when the queue is long, so a slow disk can't fill memory
    evaluation: FrameEvaluation | None
    events: tuple[Event, ...]


class BackgroundRecorder:
    """A ``SessionRecorder`` on its own thread, fed through a queue.

    ``make`` runs on the recording thread and opens its own ``Store`` (SQLite connections belong to
    one thread). The session is created with the first set (never for a source that shows nothing);
    ratings given before it (pain before the session) are kept and saved first. When the
    disk is slow, frames beyond ``MAX_QUEUED`` lose their picture (the video repeats the previous
    one; memory stays bounded) but never their landmarks or events. ``on_error`` is called (from this thread) with one
    sentence when recording stops. A source that ends with ratings, a pain stop or a flag but no set
    is still saved as a session (with the frames just before its end), so a try is never lost.
    """

    MAX_QUEUED = 90  # about 3 s of camera pictures

    def __init__(self, make: Callable[[], SessionRecorder], on_error: Callable[[str], None],
                 keeps_video: bool = False) -> None:
        self._make = make
        self._keeps_video = keeps_video  # else pictures are never queued
        self._on_error = on_error
        self._queue: queue.Queue[_Item | threading.Event | None] = queue.Queue()
        self.recorder: SessionRecorder | None = None
        self.failed = False
        self._told_pending = False
        self.session_id: int | None = None
        self._end: tuple[str, str | None] = ("complete", None)
        self._early: list[Event] = []  # ratings given before the session exists
        self._pre_roll: deque[_Item] = deque(maxlen=PRE_ROLL_FRAMES)
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def put(self, out: FrameOutput | None, evaluation: FrameEvaluation | None, events: Sequence[Event]) -> None:
        if self.failed:
            return
        keep = out is not None and self._keeps_video and self._queue.qsize() <= self.MAX_QUEUED
        image = out.frame.image if keep and out is not None else None
        self._queue.put(_Item(out.pose if out else None, image, evaluation, tuple(events)))

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until everything put so far is written (what the window shows next reads the
        database); False when that took longer than ``timeout``."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout) if self._thread.is_alive() else False

    def close(self, status: str = "complete", reason: str | None = None, timeout: float = 30.0) -> None:
        """Write everything queued, end the session with ``status``, and stop the thread."""
        self._end = (status, reason)
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            if isinstance(item, threading.Event):
                item.set()
                continue
            if self.failed:
                continue
            try:
                if self.recorder is None:
                    if not any(isinstance(e, SetStarted) for e in item.events):
                        self._early += [e for e in item.events if isinstance(e, KEPT_WITHOUT_A_SET)]
                        if item.pose is not None:
                            self._pre_roll.append(item)
                        continue
                    self._open_session()
                assert self.recorder is not None
                self.recorder.record(item.pose, item.image, item.evaluation, item.events)
                if self.recorder.index_pending is not None and not self._told_pending:
                    self._told_pending = True  # recording goes on; the one sentence says so
                    self._on_error(self.recorder.index_pending)
            except RECORDING_ERRORS as exc:
                self._fail(exc)
        if self.recorder is None and self._early and not self.failed:
            try:
                self._open_session()
            except RECORDING_ERRORS as exc:
                self._fail(exc)
        if self.recorder is not None:
            if not self.failed:
                try:
                    self.recorder.finish(*self._end)
                except RECORDING_ERRORS as exc:
                    self._fail(exc)
            self.recorder.store.close()  # made on this thread by ``make``

    def _open_session(self) -> None:
        self.recorder = self._make()
        self.session_id = self.recorder.session_id
        self.recorder.record(None, None, None, self._early)
        self._early = []
        # The moments before the first set: its first rep may have begun there (it counts), and the
        # replay and a re-judging need them.
        for before in self._pre_roll:
            self.recorder.record(before.pose, before.image, before.evaluation, ())
        self._pre_roll.clear()

    def _fail(self, exc: BaseException) -> None:
        self.failed = True
        log.warning("recording stopped: %s", exc)
        folder = self.recorder.folder if self.recorder else "the data folder"
        message = recording_failed(exc, folder)
        if self.recorder is not None:
            self.recorder.abandon(f"recording failed: {exc}")
        self._on_error(message)
