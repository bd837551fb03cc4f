"""A session's own folder: the durable record of a session, from which the database can be rebuilt.

    sessions/20261125-101502-3f9c2a7e/
        session.json   who, when, source, status (rewritten atomically when it changes)
        events.jsonl   what happened, one JSON object per line: set_start, rep, attempt, hold, cue,
                       set_end, pain_stop (appended and flushed with each recorder flush)
        track.npys     the landmark track: a stream of .npy chunks, one per flush
        review.jsonl   the therapist's verdicts and notes (appended)
        video.mp4      the camera picture, only when the person chose to keep it (+ video.json)

The database (``formcheck.db``) is an index over these folders; ``formcheck repair`` rebuilds it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS

SESSION_FILE = "session.json"
EVENTS_FILE = "events.jsonl"
TRACK_FILE = "track.npys"
REVIEW_FILE = "review.jsonl"
VIDEO_FILE = "video.mp4"
VIDEO_META = "video.json"  # {"t0_ms", "fps"}: where the video starts on the session's clock
# Columns of a track row: t_ms, detected, primary measure value, then x, y, visibility per landmark.
TRACK_COLUMNS = 3 + 3 * NUM_LANDMARKS


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
