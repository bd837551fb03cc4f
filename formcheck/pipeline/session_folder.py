"""A session's own folder: the durable record of a session, from which the database can be rebuilt.

    sessions/20261125-101502-3f9c2a7e/
        session.json   who, when, source, status (rewritten atomically when it changes)
        events.jsonl   what happened, one JSON object per line: set_start, rep, attempt, hold, cue,
                       set_end, pain_stop, and what the person rated or why the session was flagged:
                       pain, effort, flag (appended and flushed with each recorder flush)
        track.npys     the landmark track: a stream of .npy chunks, one per flush
        review.jsonl   the therapist's verdicts and notes (appended)
        video.mp4      the camera picture, only when the person chose to keep it (+ video.json)

session.json also names the programme version the session followed (programme_uid, _version);
the versions themselves are files in ``programmes/`` beside ``sessions/``.

The database (``formcheck.db``) is an index over these folders; ``formcheck repair`` rebuilds it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult

SESSION_FILE = "session.json"
EVENTS_FILE = "events.jsonl"
TRACK_FILE = "track.npys"
REVIEW_FILE = "review.jsonl"
VIDEO_FILE = "video.mp4"
VIDEO_META = "video.json"  # {"t0_ms", "fps"}: where the video starts on the session's clock
# A track row: t_ms, detected, the set's primary measure, frame width and height, then per landmark
# image x, y, z (pixels), world x, y, z (metres), visibility, presence — everything the engine saw
# (the smoothed pose), so a recorded session can be re-judged without running the model again.
HEAD_COLUMNS = 5
PER_LANDMARK = 8
TRACK_COLUMNS = HEAD_COLUMNS + PER_LANDMARK * NUM_LANDMARKS
_LEGACY_COLUMNS = 3 + 3 * NUM_LANDMARKS  # before 2026-11: t, detected, primary, then x, y, visibility


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that a crash leaves either the old file or the new one, never half."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_session_json(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def update_session_json(folder: Path, **changes: Any) -> None:
    data = read_session_json(folder) or {}
    data.update(changes)
    write_json_atomic(folder / SESSION_FILE, data)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a JSON-lines file (a last line cut short by a crash is skipped)."""
    out: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def append_jsonl(path: Path, item: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


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
    size = (int(width), int(height)) if np.isfinite(width) else (0, 0)
    if detected < 0.5:
        return PoseResult(int(t), *size, None)
    lm = row[HEAD_COLUMNS:].reshape(NUM_LANDMARKS, PER_LANDMARK)
    return PoseResult(int(t), *size, Pose(lm[:, 0:3], lm[:, 3:6], lm[:, 6], lm[:, 7]))


def read_track(folder: Path) -> np.ndarray:
    """All complete chunks of a session's track (a chunk cut short by a crash is skipped), in the
    current row layout (older sessions' rows are widened; what they didn't record is NaN)."""
    chunks = []
    path = folder / TRACK_FILE
    if not path.exists():
        return np.zeros((0, TRACK_COLUMNS), np.float32)
    with path.open("rb") as f:
        while True:
            try:
                chunk = np.load(f)
            except (ValueError, EOFError, OSError):
                break
            chunks.append(_widen(chunk) if chunk.shape[1] == _LEGACY_COLUMNS else chunk)
    return np.concatenate(chunks) if chunks else np.zeros((0, TRACK_COLUMNS), np.float32)


def _widen(old: np.ndarray) -> np.ndarray:
    rows = np.full((len(old), TRACK_COLUMNS), np.nan, np.float32)
    rows[:, :3] = old[:, :3]
    xyv = old[:, 3:].reshape(len(old), NUM_LANDMARKS, 3)
    lm = rows[:, HEAD_COLUMNS:].reshape(len(old), NUM_LANDMARKS, PER_LANDMARK)
    lm[:, :, 0:2], lm[:, :, 6], lm[:, :, 7] = xyv[:, :, :2], xyv[:, :, 2], 1.0
    lm[:, :, 2:6] = 0.0
    return rows
