"""Posture sessions on record: the lines in the session folder, their index in the database, and
the summaries the therapist sees (minutes upright / slouched per hour and per day, reminders and
how the person responded).

The session folder's ``events.jsonl`` is the durable record (so ``formcheck repair`` and bundles
carry posture sessions with no code of their own); its posture lines are::

    {"type": "posture_start", "t_s": 0, "view": "side", "baseline": {...}, "model": "...", "settings": {...}}
    {"type": "posture_minute", "minute": 3, "ms": {"upright": 41000, "slouched": 19000}, "medians": {...}}
    {"type": "posture_reminder", "t_s": 182.5, "kind": "slouched", "text": "...", "lasted_s": 120.0}
    {"type": "posture_response", "reminder_t_s": 182.5, "kind": "slouched", "t_s": 201.0,
     "outcome": "corrected", "after_s": 18.5}

``outcome`` is ``corrected``, ``not_corrected`` or ``paused`` (the watching stopped before the
response time was up: counted neither way).

Only measures are kept: no image, no landmark track.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from formcheck.core.posture_coach import (
    MINUTE_MS,
    PostureEvent,
    PostureMinute,
    PostureReminder,
    ReminderResponse,
)
from formcheck.core.posture_judge import FAULTS
from formcheck.records.session_folder import (
    EVENTS_FILE,
    PostureMinuteLine,
    PostureReminderLine,
    PostureResponseLine,
    append_jsonl,
    parse_event,
)

if TYPE_CHECKING:
    from formcheck.records.database.connection import Connection
    from formcheck.records.store import Store

PostureLine = PostureMinuteLine | PostureReminderLine | PostureResponseLine
POSTURE_LINE_TYPES = (PostureMinuteLine, PostureReminderLine, PostureResponseLine)
POSTURE_KIND = "posture"  # sessions.kind of a posture session


def event_line(event: PostureEvent) -> dict[str, Any]:
    """The events.jsonl line of one posture event."""
    if isinstance(event, PostureMinute):
        return {"type": "posture_minute", "minute": event.minute, "ms": event.ms, "medians": event.medians}
    if isinstance(event, PostureReminder):
        return {"type": "posture_reminder", "t_s": event.t_ms / 1000, "kind": event.kind, "text": event.text,
                "lasted_s": event.lasted_ms / 1000}
    assert isinstance(event, ReminderResponse)
    return {"type": "posture_response", "reminder_t_s": event.reminder_t_ms / 1000, "kind": event.kind,
            "t_s": event.t_ms / 1000, "outcome": event.outcome,
            "after_s": None if event.after_ms is None else event.after_ms / 1000}


def index_line(db: Connection, session_id: int, line: PostureLine) -> None:
    """Index one checked posture line (called by ``EventIndexer``; the live recorder, repair and
    bundle import all come through there)."""
    if isinstance(line, PostureMinuteLine):
        ms = line.ms
        db.execute(
            "INSERT INTO posture_minutes(session_id, minute, upright_s, slouched_s, away_s, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, line.minute, ms.get("upright", 0) / 1000, sum(ms.get(k, 0) for k in FAULTS) / 1000,
             ms.get("away", 0) / 1000, json.dumps({"ms": ms, "medians": line.medians})))
    elif isinstance(line, PostureReminderLine):
        db.execute(
            "INSERT INTO posture_reminders(session_id, t_s, kind, text, lasted_s) VALUES (?, ?, ?, ?, ?)",
            (session_id, line.t_s, line.kind, line.text, line.lasted_s))
    else:
        corrected = None if line.outcome == "paused" else int(line.outcome == "corrected")
        db.execute(
            "UPDATE posture_reminders SET outcome = ?, corrected = ?, after_s = ? WHERE session_id = ? AND t_s = ?",
            (line.outcome, corrected, line.after_s, session_id, line.reminder_t_s))


def posture_detail(store: Store, session_id: int) -> dict[str, Any]:
    """A session's posture record: its minutes and reminders (empty for exercise sessions). A
    reminder's ``outcome`` is None while it waits for its response; ``corrected`` is None then and
    when paused."""
    minutes = [{"minute": r["minute"], "upright_s": r["upright_s"], "slouched_s": r["slouched_s"],
                "away_s": r["away_s"], **json.loads(r["detail"])}
               for r in store.db.execute("SELECT * FROM posture_minutes WHERE session_id = ? ORDER BY minute",
                                         (session_id,))]
    reminders = [{"t_s": r["t_s"], "kind": r["kind"], "text": r["text"], "lasted_s": r["lasted_s"],
                  "outcome": r["outcome"], "corrected": None if r["corrected"] is None else bool(r["corrected"]),
                  "after_s": r["after_s"]}
                 for r in store.db.execute("SELECT * FROM posture_reminders WHERE session_id = ? ORDER BY t_s",
                                           (session_id,))]
    return {"minutes": minutes, "reminders": reminders}


def _local(started_iso: str, offset_s: float) -> datetime:
    return (datetime.fromisoformat(started_iso) + timedelta(seconds=offset_s)).astimezone()


def posture_summary(store: Store, session_ids: list[int]) -> dict[str, Any]:
    """Minutes upright / slouched / away per hour and per day (local time), reminders given,
    followed (``corrected``) and paused (counted neither way), and every reminder with its
    response, over the posture sessions among ``session_ids``."""
    hours: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    days: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    reminders = []
    for sid in session_ids:
        s = store.session(sid)
        detail = posture_detail(store, sid)
        for m in detail["minutes"]:
            at = _local(s.started, m["minute"] * MINUTE_MS / 1000)
            for bucket in (hours[at.strftime("%Y-%m-%d %H:00")], days[at.strftime("%Y-%m-%d")]):
                bucket["upright_min"] += m["upright_s"] / 60
                bucket["slouched_min"] += m["slouched_s"] / 60
                bucket["away_min"] += m["away_s"] / 60
        for r in detail["reminders"]:
            at = _local(s.started, r["t_s"])
            reminders.append({"session": sid, "at": at.isoformat(timespec="seconds"), **r})
            for bucket in (hours[at.strftime("%Y-%m-%d %H:00")], days[at.strftime("%Y-%m-%d")]):
                bucket["reminders"] += 1
                bucket["corrected"] += bool(r["corrected"])
                bucket["paused"] += r["outcome"] == "paused"

    def rows(table: dict[str, dict[str, float]], key: str) -> list[dict[str, Any]]:
        return [{key: k, **{f: round(v[f], 1) for f in ("upright_min", "slouched_min", "away_min")},
                 **{f: int(v[f]) for f in ("reminders", "corrected", "paused")}} for k, v in sorted(table.items())]

    return {"hours": rows(hours, "hour"), "days": rows(days, "day"), "reminders": reminders}


def response_words(reminder: dict[str, Any]) -> str:
    """How the person responded to one reminder of ``posture_detail``/``posture_summary``, in the
    words the therapist reads (the review window and the HTML report)."""
    after = reminder["after_s"]
    took = "" if after is None else f" after {after:.0f} s"
    if reminder["outcome"] == "paused":
        return "paused (not counted)" if reminder["kind"] == "break" else "paused before the minute was up (not counted)"
    if reminder["corrected"] is None:
        return "no answer yet"
    if reminder["kind"] == "break":
        return f"left the desk{took}" if reminder["corrected"] else "stayed sitting"
    return f"back upright{took}" if reminder["corrected"] else "not corrected within a minute"


class PostureRecorder:
    """Records a posture session: each line appended (and fsync'd) to the session folder's
    events.jsonl, then indexed. Lines come about once a minute, so each is written at once; a
    full disk or a lost database stops the recording (the watching goes on) and says why."""

    def __init__(self, store: Store, person: str, source: str, start: dict[str, Any]) -> None:
        from formcheck.records.database.indexer import EventIndexer  # here: the indexer imports this module

        self.store = store
        self.session_id, self.folder = store.start_session(person, source, POSTURE_KIND)
        self._index = EventIndexer(store.db, self.session_id)
        self.error: str | None = None
        self._write({"type": "posture_start", "t_s": 0.0, **start})

    def add(self, event: PostureEvent) -> None:
        self._write(event_line(event))

    def _write(self, line: dict[str, Any]) -> None:
        if self.error is not None:
            return
        try:
            append_jsonl(self.folder / EVENTS_FILE, line)
            with self.store.transaction():
                self._index.apply(parse_event(line))  # checked as repair and bundle import check it
        except (OSError, sqlite3.Error) as exc:
            self.error = f"recording stopped ({exc}); the minutes up to here are kept in {self.folder}"

    def close(self, status: str = "complete", reason: str | None = None) -> None:
        self.store.end_session(self.session_id, status, reason or self.error)
