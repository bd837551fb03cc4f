"""A session's track.npys: the landmark track of a recorded session, one row per frame.

A row: t_ms, detected, the set's primary measure, frame width and height, then per landmark image
x, y, z (pixels), world x, y, z (metres), visibility, presence — everything the engine saw (the
smoothed pose), so a recorded session can be re-judged without running the model again.

The file comes from the session's folder (``session_folder``), which may come from another
computer or be damaged: ``read_track`` reads it bounded (``formcheck.untrusted``).
(``records.track`` is another file: the per-frame track an analysis writes to landmarks.npz.)
"""

from __future__ import annotations

import io
import math
import os
import stat
from pathlib import Path

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.records.session_folder import TRACK_FILE
from formcheck.untrusted import SESSION_S, TRACK_BYTES, TRACK_ROWS

HEAD_COLUMNS = 5
PER_LANDMARK = 8
TRACK_COLUMNS = HEAD_COLUMNS + PER_LANDMARK * NUM_LANDMARKS
_LEGACY_COLUMNS = 3 + 3 * NUM_LANDMARKS  # before 2026-11: t, detected, primary, then x, y, visibility
_NPY_HEADER = 10_000  # bytes: numpy's own bound on a .npy header


def track_row(result: PoseResult, primary: float = math.nan) -> np.ndarray:
    row = np.full(TRACK_COLUMNS, np.nan, np.float32)
    row[:HEAD_COLUMNS] = (result.t_ms, result.pose is not None, primary, result.width, result.height)
    if result.pose is not None:
        p = result.pose
        row[HEAD_COLUMNS:] = np.column_stack([p.image, p.world, p.visibility, p.presence]).ravel()
    return row


def track_pose(row: np.ndarray) -> PoseResult:
    """The pose (as the engine saw it) of one track row."""
    t, detected, _primary, width, height = row[:HEAD_COLUMNS]
    size = (int(width), int(height)) if np.isfinite(width) and np.isfinite(height) else (0, 0)
    if detected < 0.5:
        return PoseResult(int(t), *size, None)
    lm = row[HEAD_COLUMNS:].reshape(NUM_LANDMARKS, PER_LANDMARK)
    return PoseResult(int(t), *size, Pose(lm[:, 0:3], lm[:, 3:6], lm[:, 6], lm[:, 7]))


def read_track(folder: Path) -> np.ndarray:
    """All complete chunks of a session's track (a chunk cut short by a crash is skipped), in the
    current row layout (older sessions' rows are widened; what they didn't record is NaN).

    Bounded: only float32 chunks of the track's row width are read, at most ``TRACK_ROWS`` rows
    in all, each only as far as the file really holds its data (a header may claim anything);
    rows without a finite time on the session's clock are left out (nothing can be drawn at them)."""
    chunks: list[np.ndarray] = []
    path = folder / TRACK_FILE
    try:
        f = _open_regular(path)
    except OSError:
        return np.zeros((0, TRACK_COLUMNS), np.float32)
    with f:
        size = min(os.fstat(f.fileno()).st_size, TRACK_BYTES)
        rows = 0
        while rows < TRACK_ROWS:
            chunk = _chunk(f, size)
            if chunk is None:
                break
            chunk = chunk[: TRACK_ROWS - rows]
            rows += len(chunk)
            chunk = _widen(chunk) if chunk.shape[1] == _LEGACY_COLUMNS else chunk
            t = chunk[:, 0]
            chunks.append(chunk[np.isfinite(t) & (t >= 0) & (t <= SESSION_S * 1000)])
    return np.concatenate(chunks) if chunks else np.zeros((0, TRACK_COLUMNS), np.float32)


def _open_regular(path: Path) -> io.BufferedReader:
    f = path.open("rb")
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise OSError(f"{path.name} is not a regular file")
    return f


def _chunk(f: io.BufferedReader, size: int) -> np.ndarray | None:
    """The next .npy chunk of a track, or None where no complete, well-formed one starts."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_NPY_HEADER)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_NPY_HEADER)
    except (ValueError, EOFError, OSError, SyntaxError):
        return None
    if (fortran or dtype != np.dtype("<f4") or len(shape) != 2
            or shape[1] not in (TRACK_COLUMNS, _LEGACY_COLUMNS) or not 0 <= shape[0] <= TRACK_ROWS):
        return None
    nbytes = shape[0] * shape[1] * 4
    if nbytes > size - f.tell():
        return None  # cut short (or a header that claims more than the file holds)
    data = f.read(nbytes)
    if len(data) != nbytes:
        return None
    return np.frombuffer(data, np.float32).reshape(shape).copy()


def _widen(old: np.ndarray) -> np.ndarray:
    rows = np.full((len(old), TRACK_COLUMNS), np.nan, np.float32)
    rows[:, :3] = old[:, :3]
    xyv = old[:, 3:].reshape(len(old), NUM_LANDMARKS, 3)
    lm = rows[:, HEAD_COLUMNS:].reshape(len(old), NUM_LANDMARKS, PER_LANDMARK)
    lm[:, :, 0:2], lm[:, :, 6], lm[:, :, 7] = xyv[:, :, :2], xyv[:, :, 2], 1.0
    lm[:, :, 2:6] = 0.0
    return rows
