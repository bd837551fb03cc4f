"""Live capture: a thread reads a source into a one-frame slot; the consumer takes the newest.

When inference is slower than the camera, older frames are overwritten (and counted as dropped)
instead of queuing, so latency stays bounded by one frame plus one inference.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from formcheck.core.frame import Frame
from formcheck.video.frames import paced
from formcheck.video.source import FrameSource, FrameSourceError


@dataclass(frozen=True, slots=True)
class Captured:
    frame: Frame
    captured_at: float  # time.monotonic() when the frame arrived: the "glass" end of latency


class LatestFrameGrabber:
    def __init__(self, source: FrameSource, *, pace: bool | None = None, speed: float = 1.0) -> None:
        self.source = source
        # Files are paced to real time so they behave like a camera; cameras pace themselves.
        self.pace = (not source.info.is_live) if pace is None else pace
        self.speed = speed
        self.dropped = 0
        self.captured = 0
        self._slot: Captured | None = None
        self._error: FrameSourceError | None = None
        self._ended = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-grabber", daemon=True)

    def start(self) -> LatestFrameGrabber:
        self._thread.start()
        return self

    def _run(self) -> None:
        frames = iter(self.source)
        if self.pace:
            frames = paced(frames, self.speed)
        try:
            for frame in frames:
                if self._stop.is_set():
                    break
                with self._cond:
                    if self._slot is not None:
                        self.dropped += 1  # the consumer never saw it: stale, overwritten
                    self._slot = Captured(frame, time.monotonic())
                    self.captured += 1
                    self._cond.notify()
        except FrameSourceError as exc:
            with self._cond:
                self._error = exc
        finally:
            with self._cond:
                self._ended = True
                self._cond.notify()

    def get(self, timeout: float = 1.0) -> Captured | None:
        """The newest frame; None at the end of a file. Raises the source's error if it failed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._slot is None:
                if self._error is not None:
                    raise self._error
                if self._ended:
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self._cond.wait(left)
            item, self._slot = self._slot, None
            return item

    def stop(self) -> None:
        # Let the reader finish its current frame before releasing the device underneath it.
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.source.close()
