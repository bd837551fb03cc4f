"""A ``SessionRecorder`` on its own thread, so disk, database and video encoding never hold up the
live picture."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from formcheck.core.events import RATING_EVENTS, Event, PainStopped, SetStarted
from formcheck.core.frame_output import FrameOutput
from formcheck.core.landmarks import PoseResult
from formcheck.core.tracker import FrameEvaluation
from formcheck.records.recorder import RECORDING_ERRORS, SessionRecorder, recording_failed

log = logging.getLogger(__name__)

PRE_ROLL_FRAMES = 60  # about 2 s of frames before the first set are kept with the session
# Kept when they come before any set; a session is saved for them even if no set ever starts (the
# person tried, rated their pain or stopped because it hurt: the therapist must see it).
KEPT_WITHOUT_A_SET = (*RATING_EVENTS, PainStopped)


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
    one; memory stays bounded) but never their landmarks or events. ``on_error`` is called (from
    this thread) with one sentence when recording stops; ``on_notice`` (default: ``on_error``) once
    with the sentence saying the clinic's server is away and the session goes on being saved to
    its folder. A source that ends with ratings, a pain stop or a flag but no set
    is still saved as a session (with the frames just before its end), so a try is never lost.
    """

    MAX_QUEUED = 90  # about 3 s of camera pictures

    def __init__(self, make: Callable[[], SessionRecorder], on_error: Callable[[str], None],
                 keeps_video: bool = False, on_notice: Callable[[str], None] | None = None) -> None:
        self._make = make
        self._keeps_video = keeps_video  # else pictures are never queued
        self._on_error = on_error
        self._on_notice = on_notice or on_error
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
                self._tell_pending()
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
            if self.recorder.store is not None:
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
        self._tell_pending()

    def _tell_pending(self) -> None:
        """Once per session: the clinic's server is away, and recording goes on to the folder."""
        if self.recorder is not None and self.recorder.index_pending is not None and not self._told_pending:
            self._told_pending = True
            self._on_notice(self.recorder.index_pending)

    def _fail(self, exc: BaseException) -> None:
        self.failed = True
        log.warning("recording stopped: %s", exc)
        folder = self.recorder.folder if self.recorder else "the data folder"
        message = recording_failed(exc, folder)
        if self.recorder is not None:
            self.recorder.abandon(f"recording failed: {exc}")
        self._on_error(message)
