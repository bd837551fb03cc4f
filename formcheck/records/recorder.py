"""Recording a session as it happens, from the engine's events: the database index and the
session's own folder (events, landmark track, optionally the camera video).

Everything is flushed at least once a second (``FLUSH_MS``), each flush one database transaction
and one fsync'd chunk of track and events, so a crash or ``kill -9`` loses at most the last second
and never leaves the database half-written. ``background_recorder`` runs a recorder on its own
thread so disk, database and video encoding never hold up the live picture.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
from collections.abc import Callable, Sequence
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
from formcheck.paths import data_dir
from formcheck.records.database.connection import ENGINE_ERRORS, StoreError
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.pending import mark_pending, start_offline
from formcheck.records.database.postgres import ServerAway
from formcheck.records.database.rows import now_iso
from formcheck.records.database.sessions import release_reserve
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
# What stops a recording (disk full, folder removed, database gone): coaching goes on without it.
RECORDING_ERRORS = (OSError, *ENGINE_ERRORS, StoreError)
STARTED_OFFLINE = ("The clinic's server can't be reached — this session is still saved, and it is added to the "
                   "clinic's records when the server is back.")


class SessionRecorder:
    """Records one session to its new folder and, as it goes, the database of ``store``. With
    ``store`` None (the clinic's server can't be reached: ``record_session``) the folder alone is
    written, marked to be indexed when the server is back; ``index_pending`` then says so."""

    def __init__(self, store: Store | None, person: str, source: str, kind: str,
                 keep_video_fps: float | None = None, programme: tuple[str, int] | None = None) -> None:
        self.store = store
        self.session_id: int | None = None  # None: not in the database yet
        self._index: EventIndexer | None = None
        # The sentence saying the clinic's server is away (None: indexing as it goes).
        self.index_pending: str | None = None
        if store is not None:
            self.data = store.data
            self.session_id, self.folder = store.start_session(person, source, kind, programme)
            self._index = EventIndexer(store.db, self.session_id)
        else:  # only a Store on a clinic's server is ever away, and its sessions are in this machine's data folder
            self.data = data_dir()
            self.folder = start_offline(self.data, person, source, kind, programme)
            self.index_pending = STARTED_OFFLINE
        self._track = (self.folder / TRACK_FILE).open("ab")
        self._events = (self.folder / EVENTS_FILE).open("a", encoding="utf-8")
        self._rows: list[np.ndarray] = []
        self._pending: list[Event] = []
        self._set_open = False  # a set_start written and not yet its set_end
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
            self._set_open = True
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
            self._set_open = False
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
            if self._set_open:
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
        release_reserve(self.data)
        try:
            self._end("interrupted", reason)
        except RECORDING_ERRORS as exc:  # noticed at the next start (the process check)
            log.warning("could not mark session %s interrupted: %s", self.session_id, exc)

    def _index_lines(self, lines: list[dict[str, Any]]) -> None:
        """Index event lines in one transaction, what repair and bundle import read, checked the
        same way; while the clinic's server is away, the folder alone gets them."""
        if self._index is None or self.index_pending is not None or not lines:
            return
        try:
            with self._index.db.transaction():
                for line in lines:
                    self._index.apply(parse_event(line))
        except ServerAway as exc:
            self._server_away(exc)

    def _end(self, status: str, reason: str | None) -> None:
        if self.store is not None and self.session_id is not None and self.index_pending is None:
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


def record_session(open_store: Callable[[], Store], person: str, source: str, kind: str,
                   keep_video_fps: float | None = None, programme: tuple[str, int] | None = None) -> SessionRecorder:
    """A recorder on a Store of its own from ``open_store``; while the clinic's server can't be
    reached (not a wrong setting: that is refused), one on the session's folder alone."""
    try:
        store = open_store()
    except ServerAway as exc:
        log.warning("%s", exc)
        return SessionRecorder(None, person, source, kind, keep_video_fps, programme)
    try:
        return SessionRecorder(store, person, source, kind, keep_video_fps, programme)
    except ServerAway as exc:  # gone between opening and starting: nothing of it was left behind
        log.warning("%s", exc)
        store.close()
        return SessionRecorder(None, person, source, kind, keep_video_fps, programme)
    except BaseException:
        store.close()
        raise


def recording_failed(exc: BaseException, folder: object) -> str:
    """The one sentence shown when recording stops."""
    return (f"Recording stopped ({exc}) — free some disk space or check {folder}; "
            "what was saved so far is kept, and coaching goes on.")
