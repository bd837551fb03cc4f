"""Streams of frames: a source opened from a user's words, a file looped as a demo camera, frames
released in real time or decoded ahead on a thread, and a picture's brightness.

What a source is and how it is timed: ``formcheck.video.source``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from formcheck.core.frame import Frame
from formcheck.video.camera import CameraSource
from formcheck.video.file_sources import ImageFolderSource, VideoFileSource
from formcheck.video.source import FrameSource

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopingSource:
    """Plays a file source again and again with timestamps that keep increasing (a demo camera)."""

    def __init__(self, factory: Callable[[], FrameSource]) -> None:
        self._factory = factory
        self._source = factory()
        self.info = self._source.info

    def __iter__(self) -> Iterator[Frame]:
        offset, index = 0, 0
        step = round(1000 / self.info.fps)
        while True:
            last = 0
            for frame in self._source:
                yield Frame(index, frame.t_ms + offset, frame.image)
                index += 1
                last = frame.t_ms
            self._source.close()
            offset += last + step
            self._source = self._factory()

    def close(self) -> None:
        self._source.close()


def paced(
    frames: Iterator[Frame],
    speed: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Frame]:
    """Release file frames no faster than real time, so a file can stand in for a camera."""
    start: float | None = None
    for frame in frames:
        now = clock()
        if start is None:
            start = now - frame.t_ms / 1000.0 / speed
        wait = start + frame.t_ms / 1000.0 / speed - now
        if wait > 0:
            sleep(wait)
        yield frame


def brightness(image: np.ndarray) -> float:
    """A picture's mean luminance, 0–255 (``formcheck.core.placement.DARK_FRAME`` is too dark)."""
    small = cv2.resize(image, (64, 48), interpolation=cv2.INTER_AREA)
    return float(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).mean())


def open_source(spec: str | int | Path) -> FrameSource:
    """Open a source from a user's words: a camera index/device (0, /dev/video0), a video or a folder."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    path = Path(spec)
    if str(spec).startswith("/dev/video"):
        return CameraSource(str(spec))
    if path.is_dir():
        return ImageFolderSource(path)
    return VideoFileSource(path)


def prefetch(frames: Iterator[T], depth: int = 4) -> Generator[T, None, None]:
    """Decode ahead on a thread so decoding overlaps inference (OpenCV releases the GIL).

    Errors raised by the source are re-raised in the consumer.
    """
    slot: queue.Queue[T | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        slot.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slot.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, not swallowed
            slot.put(exc)

    thread = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slot.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        # The caller releases the source next, so wait out the read under way (a few ms, more
        # on a busy machine); a source that hangs (a camera) is given up on after a while.
        thread.join(timeout=10.0)
        if thread.is_alive():
            log.warning("the frame reader did not stop within 10 s")
