"""The per-frame landmark track of an analysis, written to ``landmarks.npz`` as it comes."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult

# The arrays of landmarks.npz, in the order they are written: dtype and the shape of one row.
LAYOUT: dict[str, tuple[np.dtype, tuple[int, ...]]] = {
    "t_ms": (np.dtype(np.int64), ()),
    "detected": (np.dtype(bool), ()),
    "image": (np.dtype(np.float32), (NUM_LANDMARKS, 3)),
    "image_smoothed": (np.dtype(np.float32), (NUM_LANDMARKS, 3)),
    "world": (np.dtype(np.float32), (NUM_LANDMARKS, 3)),
    "visibility": (np.dtype(np.float32), (NUM_LANDMARKS,)),
    "presence": (np.dtype(np.float32), (NUM_LANDMARKS,)),
}
_NAN3 = np.full((NUM_LANDMARKS, 3), np.nan, np.float32).tobytes()
_NAN1 = np.full(NUM_LANDMARKS, np.nan, np.float32).tobytes()


class LandmarkTrack:
    """Appends ``PoseResult``s; frames without a person are stored as NaN with ``detected=False``.

    npz layout (one row per frame): ``t_ms`` int64; ``detected`` bool; ``image`` float32 (N,33,3)
    pixels as MediaPipe gave them; ``image_smoothed`` float32 (N,33,3) after smoothing; ``world``
    float32 (N,33,3) metres; ``visibility``, ``presence`` float32 (N,33); scalars ``width``,
    ``height``, ``fps``.

    With ``path``, rows go straight to one temporary file per array in a folder beside ``path``
    (so memory stays flat however long the video) and ``save`` assembles them into the npz, member
    by member, without loading them. Without ``path`` only the counts are kept.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.frames = 0
        self.frames_with_pose = 0
        self._spool: tempfile.TemporaryDirectory[str] | None = None
        self._files: dict[str, BinaryIO] = {}
        if path is not None:
            self._spool = tempfile.TemporaryDirectory(prefix=".landmarks-", dir=path.parent)
            self._files = {name: open(Path(self._spool.name) / name, "wb") for name in LAYOUT}  # noqa: SIM115

    def append(self, raw: PoseResult, smoothed: PoseResult) -> None:
        self.frames += 1
        self.frames_with_pose += raw.pose is not None
        if not self._files:
            return
        f = self._files
        f["t_ms"].write(np.int64(raw.t_ms).tobytes())
        f["detected"].write(np.bool_(raw.pose is not None).tobytes())
        f["image"].write(_row(raw.pose, "image", _NAN3))
        f["image_smoothed"].write(_row(smoothed.pose, "image", _NAN3))
        f["world"].write(_row(raw.pose, "world", _NAN3))
        f["visibility"].write(_row(raw.pose, "visibility", _NAN1))
        f["presence"].write(_row(raw.pose, "presence", _NAN1))

    def __len__(self) -> int:
        return self.frames

    def save(self, width: int, height: int, fps: float) -> Path:
        """Write ``landmarks.npz`` (what ``np.savez_compressed`` writes for the same arrays)."""
        if self.path is None:
            raise ValueError("this track keeps no landmarks (it was made without a path)")
        partial = self.path.with_name(self.path.name + ".partial")
        for file in self._files.values():
            file.flush()
        # Like np.savez_compressed: deflated members named <array>.npy, zip64 headers throughout.
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as npz:
            for name, value in (("width", width), ("height", height), ("fps", fps)):
                with npz.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value))
            for name, (dtype, row_shape) in LAYOUT.items():
                header = {
                    "descr": np.lib.format.dtype_to_descr(dtype),
                    "fortran_order": False,
                    "shape": (self.frames, *row_shape),
                }
                with npz.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array_header_1_0(member, header)
                    with open(self._files[name].name, "rb") as rows:
                        shutil.copyfileobj(rows, member, 1 << 20)
        os.replace(partial, self.path)  # a crash while writing leaves no half-written npz
        return self.path

    def close(self) -> None:
        """Remove the temporary files (after ``save``, or when the analysis failed)."""
        for file in self._files.values():
            file.close()
        self._files = {}
        if self._spool is not None:
            self._spool.cleanup()
            self._spool = None


def _row(pose: Pose | None, attr: str, empty: bytes) -> bytes:
    return getattr(pose, attr).tobytes() if pose is not None else empty


def load_track(path: Path) -> dict[str, np.ndarray]:
    """Read a ``landmarks.npz`` written by ``LandmarkTrack.save``."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
