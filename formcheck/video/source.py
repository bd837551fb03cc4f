"""What every frame source is: a ``FrameSource`` yielding ``Frame``s, its ``SourceInfo``, and
``FrameSourceError``.

Every source gives strictly increasing integer timestamps in milliseconds. Video files use the
container's presentation times (index × 1000 / fps for a constant-rate file), so a replay gives
identical timestamps every time; image folders use their frame rate; a camera uses the monotonic
clock at capture. Failures raise ``FrameSourceError`` whose message is one sentence
saying what to do.

The sources: ``file_sources`` (a video file, a folder of images), ``camera`` (a webcam);
``frames`` opens one from a user's words and holds what works on any stream of frames.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from formcheck.core.frame import Frame

DEFAULT_FPS = 30.0


class FrameSourceError(RuntimeError):
    """A source could not deliver frames; the message tells the user what to do."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    fps: float
    width: int
    height: int
    frame_count: int | None  # None for a live camera
    is_live: bool


class FrameSource(Protocol):
    info: SourceInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...
