"""Posture sessions on record: the lines in the session folder (indexed in the database by
``formcheck.records.database.posture``), the recorder that writes them, and the summaries the
therapist sees (minutes upright / slouched per hour and per day, reminders and how the person
responded).

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

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from formcheck.core.posture_coach import (
    MINUTE_MS,
    PostureEvent,
    PostureMinute,
    PostureReminder,
    ReminderResponse,
)
from formcheck.records.database.connection import ENGINE_ERRORS
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.session_events import parse_event
from formcheck.records.session_folder import EVENTS_FILE, append_jsonl
from formcheck.records.store import Store

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
        detail = store.posture_detail(sid)
        for m in detail.minutes:
            at = _local(s.started, m.minute * MINUTE_MS / 1000)
            for bucket in (hours[at.strftime("%Y-%m-%d %H:00")], days[at.strftime("%Y-%m-%d")]):
                bucket["upright_min"] += m.upright_s / 60
                bucket["slouched_min"] += m.slouched_s / 60
                bucket["away_min"] += m.away_s / 60
        for r in detail.reminders:
            at = _local(s.started, r.t_s)
            reminders.append({"session": sid, "at": at.isoformat(timespec="seconds"), **asdict(r)})
            for bucket in (hours[at.strftime("%Y-%m-%d %H:00")], days[at.strftime("%Y-%m-%d")]):
                bucket["reminders"] += 1
                bucket["corrected"] += bool(r.corrected)
                bucket["paused"] += r.outcome == "paused"

    def rows(table: dict[str, dict[str, float]], key: str) -> list[dict[str, Any]]:
        return [{key: k, **{f: round(v[f], 1) for f in ("upright_min", "slouched_min", "away_min")},
                 **{f: int(v[f]) for f in ("reminders", "corrected", "paused")}} for k, v in sorted(table.items())]

    return {"hours": rows(hours, "hour"), "days": rows(days, "day"), "reminders": reminders}


def response_words(reminder: dict[str, Any]) -> str:
    """How the person responded to one reminder of ``posture_summary``, in the
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
        except (OSError, *ENGINE_ERRORS) as exc:
            self.error = f"recording stopped ({exc}); the minutes up to here are kept in {self.folder}"

    def close(self, status: str = "complete", reason: str | None = None) -> None:
        self.store.end_session(self.session_id, status, reason or self.error)
