"""Recording a session as it happens: events into the database, the landmark track to a file.

Both are flushed at least once a second (``FLUSH_MS``), each flush a single database transaction,
so a crash or ``kill -9`` loses at most the last second and never leaves the database half-written.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import cv2
import numpy as np

from formcheck.core.exercise import ExerciseDef
from formcheck.core.landmarks import NUM_LANDMARKS
from formcheck.pipeline.runner import FrameOutput
from formcheck.pipeline.store import Store

log = logging.getLogger(__name__)

FLUSH_MS = 1000
TRACK_FILE = "track.npys"  # a stream of .npy chunks, one per flush
VIDEO_FILE = "video.mp4"  # the camera's picture, when the person chose to keep it
VIDEO_META = "video.json"  # {"t0_ms", "fps"}: where the video starts on the session's clock
EVENTS_FILE = "events.jsonl"  # the same events as the database, one JSON line each, for portability
# Columns of a track row: t_ms, detected, primary measure value, then x, y, visibility per landmark.
TRACK_COLUMNS = 3 + 3 * NUM_LANDMARKS


class SessionRecorder:
    def __init__(self, store: Store, person: str, source: str, kind: str) -> None:
        self.store = store
        self.session_id, self.folder = store.start_session(person, source, kind)
        self._track = (self.folder / TRACK_FILE).open("ab")
        self._events = (self.folder / EVENTS_FILE).open("a", encoding="utf-8")
        self._rows: list[np.ndarray] = []
        self._cues: list[tuple[float, str, str]] = []
        self._set_id: int | None = None
        self._stored_reps = self._stored_attempts = self._stored_holds = 0
        self._last_flush_ms = 0
        self._tracker = None
        self._primary: str | None = None
        self._video: cv2.VideoWriter | None = None
        self._video_fps = 30.0
        self._video_frames = 0
        self._video_t0: int | None = None
        self._last_image: np.ndarray | None = None

    def keep_video(self, fps: float) -> None:
        """Also save the camera's picture (a file source is kept by reference instead)."""
        self._video_fps = fps
        self._video = cv2.VideoWriter()  # opened on the first frame, when the size is known

    def _write_video(self, t_ms: int, image: np.ndarray) -> None:
        if self._video is None:
            return
        if self._video_t0 is None:
            self._video_t0 = t_ms
            h, w = image.shape[:2]
            # mp4v: the MP4 codec every OpenCV wheel can write.
            self._video.open(str(self.folder / VIDEO_FILE), cv2.VideoWriter_fourcc(*"mp4v"), self._video_fps, (w, h))
            (self.folder / VIDEO_META).write_text(json.dumps({"t0_ms": t_ms, "fps": self._video_fps}))
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

    def start_set(self, exercise: ExerciseDef, number: int, t_ms: int, tracker: object) -> None:
        with self.store.transaction():
            self._set_id = self.store.add_set(self.session_id, exercise.id, number, exercise.dose.text(), t_ms / 1000)
        self._tracker = tracker
        self._primary = exercise.rep.measure if exercise.rep else None
        self._stored_reps = self._stored_attempts = self._stored_holds = 0

    def on_frame(self, out: FrameOutput) -> None:
        ev = out.evaluation
        row = np.full(TRACK_COLUMNS, np.nan, np.float32)
        row[0] = out.frame.t_ms
        row[1] = 1.0 if out.pose.pose is not None else 0.0
        values = getattr(ev, "values", {}) or {}
        if self._primary and self._primary in values:
            row[2] = values[self._primary]
        if out.pose.pose is not None:
            p = out.pose.pose
            row[3:] = np.column_stack([p.image[:, 0], p.image[:, 1], p.visibility]).ravel()
        self._rows.append(row)
        self._write_video(out.frame.t_ms, out.frame.image)
        cue = getattr(ev, "new_cue", None)
        if cue is not None:
            self._cues.append((cue.t_ms / 1000, cue.kind, cue.text))
        if out.frame.t_ms - self._last_flush_ms >= FLUSH_MS:
            self.flush(out.frame.t_ms)

    def flush(self, t_ms: int | None = None) -> None:
        """Write what happened since the last flush: one transaction, one fsync'd chunk."""
        if self._rows:
            buf = io.BytesIO()
            np.save(buf, np.stack(self._rows))
            self._track.write(buf.getvalue())
            self._track.flush()
            os.fsync(self._track.fileno())
            self._rows = []
        with self.store.transaction():
            for t, kind, text in self._cues:
                self.store.add_cue(self.session_id, t, kind, text)
                self._event({"type": "cue", "t_s": t, "kind": kind, "text": text})
            self._cues = []
            self._store_new_results(final=False)
        self._events.flush()
        if t_ms is not None:
            self._last_flush_ms = t_ms

    def _store_new_results(self, final: bool) -> None:
        if self._tracker is None or self._set_id is None:
            return
        results = self._tracker.results(final=final)  # type: ignore[attr-defined]
        for rep in results["reps"][self._stored_reps:]:
            self.store.add_rep(self._set_id, rep)
            self._event({"type": "rep", **rep})
        for rep in results["attempts"][self._stored_attempts:]:
            self.store.add_rep(self._set_id, rep, attempt=True)
            self._event({"type": "attempt", **rep})
        for hold in results["holds"][self._stored_holds:]:
            self.store.add_hold(self._set_id, hold)
            self._event({"type": "hold", **hold})
        self._stored_reps, self._stored_attempts = len(results["reps"]), len(results["attempts"])
        self._stored_holds = len(results["holds"])

    def _event(self, event: dict) -> None:
        self._events.write(json.dumps(event, ensure_ascii=False) + "\n")

    def end_set(self, t_ms: int, ended_by: str) -> None:
        self.flush()
        if self._set_id is None:
            return
        with self.store.transaction():
            self._store_new_results(final=True)
            self.store.end_set(self._set_id, t_ms / 1000, ended_by)
        self._event({"type": "set_end", "t_s": t_ms / 1000, "ended_by": ended_by})
        self._events.flush()
        self._set_id = None
        self._tracker = None

    def pain_stop(self, t_ms: int) -> None:
        set_id = self._set_id
        self.end_set(t_ms, "pain")
        with self.store.transaction():
            self.store.add_pain_stop(self.session_id, set_id, t_ms / 1000)
        self._event({"type": "pain_stop", "t_s": t_ms / 1000})
        self._events.flush()

    def finish(self, t_ms: int, status: str = "complete") -> None:
        if self._set_id is not None:
            self.end_set(t_ms, "end of recording")
        self.flush()
        self._track.close()
        self._events.close()
        if self._video is not None:
            self._video.release()
        self.store.end_session(self.session_id, status)


def read_track(folder: Path) -> np.ndarray:
    """All complete chunks of a session's track (a chunk cut short by a crash is skipped)."""
    chunks = []
    path = folder / TRACK_FILE
    if not path.exists():
        return np.zeros((0, TRACK_COLUMNS), np.float32)
    with path.open("rb") as f:
        while True:
            try:
                chunks.append(np.load(f))
            except (ValueError, EOFError, OSError):
                break
    return np.concatenate(chunks) if chunks else np.zeros((0, TRACK_COLUMNS), np.float32)
