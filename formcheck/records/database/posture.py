"""Posture sessions in the session database (issue 19): each minute watched and each reminder with
the response to it, indexed from the posture lines of the session's events.jsonl (the lines are
described in ``formcheck.records.posture_records``)."""

from __future__ import annotations

import json

from formcheck.core.posture_judge import FAULTS
from formcheck.records.database.connection import Connection
from formcheck.records.database.rows import PostureDetail, PostureMinuteDetail, PostureReminderDetail
from formcheck.records.session_events import PostureMinuteLine, PostureReminderLine, PostureResponseLine

PostureLine = PostureMinuteLine | PostureReminderLine | PostureResponseLine
POSTURE_LINE_TYPES = (PostureMinuteLine, PostureReminderLine, PostureResponseLine)


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


def posture_detail(db: Connection, session_id: int) -> PostureDetail:
    minutes = tuple(
        PostureMinuteDetail(r["minute"], r["upright_s"], r["slouched_s"], r["away_s"], **json.loads(r["detail"]))
        for r in db.all("SELECT * FROM posture_minutes WHERE session_id = ? ORDER BY minute", (session_id,)))
    reminders = tuple(
        PostureReminderDetail(r["t_s"], r["kind"], r["text"], r["lasted_s"], r["outcome"],
                              None if r["corrected"] is None else bool(r["corrected"]), r["after_s"])
        for r in db.all("SELECT * FROM posture_reminders WHERE session_id = ? ORDER BY t_s", (session_id,)))
    return PostureDetail(minutes, reminders)
