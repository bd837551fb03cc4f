"""A session's own folder: the durable record of a session, from which the database can be rebuilt.

    sessions/20261125-101502-3f9c2a7e/
        session.json   who, when, source, status (rewritten atomically when it changes)
        events.jsonl   what happened, one JSON object per line: set_start, rep, attempt, hold, cue,
                       set_end, pain_stop, and what the person rated or why the session was flagged:
                       pain, effort, flag (appended and flushed with each recorder flush)
        track.npys     the landmark track: a stream of .npy chunks, one per flush
        review.jsonl   the therapists' verdicts and notes, each with its reviewer (appended)
        video.mp4      the camera picture, only when the person chose to keep it (+ video.json)

session.json also names the programme version the session followed (programme_uid, _version);
the versions themselves are files in ``programmes/`` beside ``sessions/``.

The database (``formcheck.db``) is an index over these folders; ``formcheck repair`` rebuilds it.

This module is the folder's layout and its I/O: writing files so a crash never leaves half of one,
appending lines, reading a JSON-lines file line by line, and the kept video's print and clock.
What each file holds is typed and checked in its own module: ``session_meta`` (session.json),
``session_events`` (events.jsonl), ``session_review`` (review.jsonl), ``session_track``
(track.npys).

A folder may come from another computer (a bundle) or be damaged, so everything read from one goes
through those typed records and parsers (bounded by ``formcheck.untrusted``): the recorder,
``formcheck repair``, bundle import, reports and re-judging all see the same checked values, never
a raw line. ``strict`` parsing (bundles) refuses a folder with any line it can't read; the local
record (repair) keeps what it can read and lists the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.untrusted import JSON_BYTES, SESSION_S, Fields, Refused, json_lines, parse_json, read_bytes

SESSION_FILE = "session.json"
EVENTS_FILE = "events.jsonl"
TRACK_FILE = "track.npys"
REVIEW_FILE = "review.jsonl"
VIDEO_FILE = "video.mp4"
VIDEO_META = "video.json"  # {"t0_ms", "fps"}: where the video starts on the session's clock


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that a crash leaves either the old file or the new one, never half."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def update_session_json(folder: Path, **changes: Any) -> None:
    try:
        data = parse_json(read_bytes(folder / SESSION_FILE, JSON_BYTES), SESSION_FILE)
    except Refused:
        data = {}
    data = data if isinstance(data, dict) else {}
    data.update(changes)
    write_json_atomic(folder / SESSION_FILE, data)


def video_print(path: Path) -> str | None:
    """``size:sha256-of-the-first-MiB`` of a video file (None when it can't be read)."""
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            return f"{size}:{hashlib.sha256(f.read(1 << 20)).hexdigest()}"
    except OSError:
        return None


def read_video_t0(folder: Path) -> float:
    """Where the kept video starts on the session's clock, in ms (0 when video.json can't say)."""
    try:
        return video_t0(folder)
    except Refused:
        return 0.0


def video_t0(folder: Path) -> float:
    """video.json's start on the session's clock, in ms; ``Refused`` when it can't be read."""
    f = Fields(parse_json(read_bytes(folder / VIDEO_META, JSON_BYTES), VIDEO_META), VIDEO_META)
    return float(f.number("t0_ms", 0.0, SESSION_S * 1000))


def append_jsonl(path: Path, item: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


# ---- reading a JSON-lines file ------------------------------------------------------------------
@dataclass
class Lines:
    """The readable lines of a JSON-lines file, and what could not be read (one sentence each)."""

    items: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_lines(path: Path, limit: int, parse: Callable[[Any, str], Any], strict: bool) -> Lines:
    """Each line of a JSON-lines file through ``parse`` (None: a kind of line this version skips).
    ``Refused`` when the file can't be read; with ``strict`` also for any line ``parse`` refuses or
    skips (else it is listed in ``problems``). A last line cut short by a crash is left out."""
    out = Lines()
    if not path.exists() and not path.is_symlink():
        return out
    data = read_bytes(path, limit)  # Refused: the file itself can't be read
    lines = json_lines(data, path.name, limit)
    last = lines[-1][0] if lines else 0
    for line_number, value in lines:
        where = f"{path.name} line {line_number}"
        try:
            if isinstance(value, Refused):
                if line_number == last and not data.endswith(b"\n"):
                    continue  # the last line, cut short by a crash
                raise value
            item = parse(value, where)
        except Refused as exc:
            if strict:
                raise
            out.problems.append(str(exc))
            continue
        if item is None and strict:
            raise Refused(f"{where}: {str(value.get('type'))[:40]!r} is not a kind of line this formcheck knows")
        if item is not None:
            out.items.append(item)
    return out
