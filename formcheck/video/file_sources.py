"""Frame sources from files: a video file (timed by its container) and a folder of still images."""

from __future__ import annotations

import logging
import math
import statistics
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from formcheck.core.frame import Frame
from formcheck.video.source import DEFAULT_FPS, FrameSourceError, SourceInfo

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
SKIP_LIMIT_S = 10.0  # damaged data longer than this (in video time) is taken as the end of a file
# After damage, frames can go missing a few frames later (the decoder reorders; H.264 holds up to
# 16 frames), so the gaps of this many frames are counted as frames lost.
_SETTLE_FRAMES = 16
_MIN_FRAME_MS = 1000.0 / 240 / 4  # container times closer than this are not a frame rate anyone records


class VideoFileSource:
    """Frames of a video file, decoded with OpenCV, timed by the container.

    Timestamps are the container's presentation times (so variable-frame-rate phone videos are
    timed as recorded), counted from the first frame and kept strictly increasing; a constant-rate
    file gives index × 1000 / fps as before. Damaged data mid-file is skipped: after a failed read,
    decoding resumes at the next frame the decoder accepts, and ``frames_lost`` counts the frames
    that were skipped.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FrameSourceError(f"Video file not found: {self.path} — check the path.")
        if not self.path.is_file():
            raise FrameSourceError(f"{self.path} is not a file — give a video file such as an .mp4.")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise FrameSourceError(
                f"Could not open {self.path.name} as a video — it may be corrupt or in an "
                "unsupported format; try re-exporting it as MP4 (H.264)."
            )
        ok, first = self._cap.read()
        if not ok or first is None or first.size == 0:
            self._cap.release()
            raise FrameSourceError(
                f"{self.path.name} contains no readable frames — it is empty or corrupt; "
                "record or export it again."
            )
        self._first: np.ndarray | None = first
        # The container's clock of the first frame; CAP_PROP_POS_MSEC is the time of the frame
        # just read (0 when the container has no times, as in raw streams).
        self._origin = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        self._seeked = False
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        # A rate outside this is metadata nobody recorded at; its container clock is then suspect too.
        self._rate_assumed = not 1.0 <= fps <= 240.0
        if self._rate_assumed:
            log.warning("%s reports %.2f fps; assuming %.0f", self.path.name, fps, DEFAULT_FPS)
            fps = DEFAULT_FPS
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.info = SourceInfo(
            name=self.path.name,
            fps=fps,
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            frame_count=count if count > 0 else None,
            is_live=False,
        )
        self.frames_lost = 0  # frames skipped over damaged data (final once iteration ends)

    def __iter__(self) -> Iterator[Frame]:
        step = 1000.0 / self.info.fps
        max_failed_reads = math.ceil(SKIP_LIMIT_S * self.info.fps)
        recent: deque[float] = deque(maxlen=9)  # the last frame intervals: the local frame rhythm
        rhythm = step  # frame interval before the damage being counted
        settling = 0  # frames still to be checked for gaps after damage
        index, last_t, last_pos = 0, -1, 0.0
        on_grid = False  # the container's clock is unusable: time frames by their index
        image, self._first = self._first, None
        while image is not None:
            pos = self._cap.get(cv2.CAP_PROP_POS_MSEC) - self._origin
            if self._rate_assumed and index and 0 <= pos - last_pos < _MIN_FRAME_MS:
                # e.g. a file labelled 1,000,000 fps whose frames are 1 µs apart on its clock: taking
                # those times would squeeze the clip into a millisecond and drop most of it.
                on_grid = True
            last_pos = pos
            if index == 0 and not self._seeked:
                t = 0
            elif on_grid:
                t = self._grid_ms(index)
            else:
                t = self._time_ms(pos) if pos > 0 else self._grid_ms(index)
            if t <= last_t - step / 2:
                log.debug("%s: dropping a frame decoded out of order at %d ms", self.info.name, t)
            else:
                t = max(t, last_t + 1)
                if settling:
                    # Frames missing after damage show up as gaps, sometimes a few frames later
                    # (the decoder reorders frames); measure them against the rhythm before it.
                    self.frames_lost += max(0, round((t - last_t) / rhythm) - 1)
                    settling -= 1
                elif index:
                    recent.append(t - last_t)
                yield Frame(index, t, image)
                index += 1
                last_t = t
            image, failed_reads = self._read(max_failed_reads)
            if failed_reads and image is not None:
                rhythm = statistics.median(recent) if recent else step
                settling = _SETTLE_FRAMES
        if self.frames_lost:
            log.warning(
                "%s: %d frames could not be decoded (damaged data) and were skipped",
                self.info.name,
                self.frames_lost,
            )
        count = self.info.frame_count
        # Containers often over-report by a frame, and a variable-rate file's count is an estimate
        # from its duration: only a file that also ends early in time is truncated (and a count
        # estimated from a rate nobody records at says nothing).
        if count and not self._rate_assumed and index < count - 1 and last_t < (count - 2.5) * step:
            log.warning(
                "%s ended after %d of %d frames (truncated or damaged file)",
                self.info.name,
                index,
                count,
            )

    def seek(self, t_ms: int) -> None:
        """Start the frames near ``t_ms`` instead of at the beginning (call before iterating).

        The frames keep the container's times, so they are the frames (and times) a read from the
        beginning gives from there on; ``Frame.index`` counts from the seek. Raises
        ``FrameSourceError`` when the file can't be sought (no container times, nothing there).
        """
        self._cap.set(cv2.CAP_PROP_POS_MSEC, self._origin + t_ms)
        image, _ = self._read(0)
        if image is None or self._cap.get(cv2.CAP_PROP_POS_MSEC) <= self._origin:
            raise FrameSourceError(f"{self.path.name} can't be sought to {t_ms} ms.")
        self._first, self._seeked = image, True

    def _grid_ms(self, k: int) -> int:
        """Time of frame ``k`` at the nominal rate (one formula, so replays match exactly)."""
        return round(k * 1000.0 / self.info.fps)

    def _time_ms(self, pos_ms: float) -> int:
        """A container time in whole ms, rounded like the frame grid when it lies on it."""
        k = round(pos_ms * self.info.fps / 1000.0)
        on_grid = abs(pos_ms - k * 1000.0 / self.info.fps) < 0.01
        # Float noise would round a time like 500.5 ms either way; the grid's rounding is fixed.
        return self._grid_ms(k) if on_grid else round(pos_ms)

    def _read(self, max_failed_reads: int) -> tuple[np.ndarray | None, int]:
        """The next frame (None at the end) and how many reads failed before it."""
        # A failed read is the end of the file or an undecodable packet, which the read consumed;
        # only trying again tells them apart (failed reads at the end cost microseconds).
        for failed in range(max_failed_reads + 1):
            ok, image = self._cap.read()
            if ok and image is not None:
                return image, failed
        return None, max_failed_reads + 1

    def close(self) -> None:
        self._cap.release()


class ImageFolderSource:
    """A folder of still images played as a clip at a fixed frame rate (sorted by file name)."""

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FrameSourceError(f"Image folder not found: {self.path} — check the path.")
        self._files = sorted(
            p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        )
        if not self._files:
            raise FrameSourceError(
                f"{self.path} has no images ({', '.join(IMAGE_SUFFIXES)}) — choose a folder of frames."
            )
        first = cv2.imread(str(self._files[0]))
        if first is None:
            raise FrameSourceError(
                f"Could not read {self._files[0].name} — the image is corrupt; remove or replace it."
            )
        self.info = SourceInfo(
            self.path.name, fps, int(first.shape[1]), int(first.shape[0]), len(self._files), False
        )

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for file in self._files:
            image = cv2.imread(str(file))
            if image is None:
                log.warning("skipping unreadable image %s", file.name)
                continue
            if image.shape[:2] != (self.info.height, self.info.width):
                image = cv2.resize(image, (self.info.width, self.info.height))
            yield Frame(index, round(index * 1000.0 / self.info.fps), image)
            index += 1

    def close(self) -> None:
        pass


def video_files(folder: Path) -> list[Path]:
    """The video files in ``folder`` (not its subfolders), sorted by name."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if not files:
        raise FrameSourceError(
            f"{folder} has no video files ({', '.join(VIDEO_SUFFIXES)}) — choose a folder of videos."
        )
    return files
