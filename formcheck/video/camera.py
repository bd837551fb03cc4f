"""A webcam as a frame source, read on its own thread so a camera that stops is noticed."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from formcheck.core.frame import Frame
from formcheck.video.source import DEFAULT_FPS, FrameSourceError, SourceInfo

CaptureFactory = Callable[[int | str], Any]


def open_capture(device: int | str) -> cv2.VideoCapture:
    """The real camera (``CaptureFactory``'s default; tests pass their own)."""
    return cv2.VideoCapture(device)


class CameraSource:
    """A webcam (index such as 0, or a device path such as /dev/video2).

    Reading runs on a small thread so a camera that stops delivering (unplugged, taken by another
    app) is noticed after ``stall_timeout_s`` instead of blocking the caller for ever.
    ``capture_factory`` exists for tests: it replaces ``cv2.VideoCapture`` (the hardware edge).
    """

    def __init__(
        self,
        device: int | str = 0,
        width: int | None = 640,
        height: int | None = 480,
        fps: float | None = 30.0,
        stall_timeout_s: float = 3.0,
        capture_factory: CaptureFactory = open_capture,
        clock_ms: Callable[[], int] = lambda: time.monotonic_ns() // 1_000_000,
    ) -> None:
        self.device = device
        self.stall_timeout_s = stall_timeout_s
        self._clock_ms = clock_ms
        self._cap = capture_factory(device)
        if self._cap is None or not self._cap.isOpened():
            raise FrameSourceError(
                f"Could not open camera {device} — check it is connected and not in use by another "
                "app, or pick another camera (or a video file)."
            )
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        self._slot: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        first = self._read_once()
        real_fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.info = SourceInfo(
            f"camera {device}",
            real_fps if 1.0 <= real_fps <= 240.0 else (fps or DEFAULT_FPS),
            int(first.shape[1]),
            int(first.shape[0]),
            None,
            True,
        )
        self._first: np.ndarray | None = first
        self._thread = threading.Thread(target=self._reader, name="camera-reader", daemon=True)
        self._thread.start()

    def _read_once(self) -> np.ndarray:
        ok, image = self._cap.read()
        if not ok or image is None:
            self._cap.release()
            raise FrameSourceError(
                f"Camera {self.device} opened but gives no picture — close other apps using it, "
                "reconnect it, or pick another camera."
            )
        return image

    def _reader(self) -> None:
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if not ok or image is None:
                self._put(None)
                return
            self._put(image)

    def _put(self, image: np.ndarray | None) -> None:
        # Keep only the newest frame: a slow consumer gets fresh frames, never a backlog.
        try:
            self._slot.get_nowait()
        except queue.Empty:
            pass
        self._slot.put(image)

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        last_t = -1
        t0 = self._clock_ms()  # timestamps count from the session's first frame
        image = self._first
        self._first = None
        while not self._stop.is_set():
            if image is None:
                try:
                    image = self._slot.get(timeout=self.stall_timeout_s)
                except queue.Empty:
                    raise FrameSourceError(
                        f"Camera {self.device} stopped sending frames — check the cable or "
                        "whether another app took it, then restart the session."
                    ) from None
                if image is None:
                    raise FrameSourceError(
                        f"Camera {self.device} was disconnected — reconnect it and restart the session."
                    )
            t = max(self._clock_ms() - t0, last_t + 1)  # strictly increasing even on clock ties
            last_t = t
            yield Frame(index, t, image)
            index += 1
            image = None

    def close(self) -> None:
        self._stop.set()
        self._cap.release()
