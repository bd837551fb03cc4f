"""Posture sessions in the session database (issue 19): each minute watched and each reminder with
the response to it, indexed from the posture lines of the session's events.jsonl (the lines are
described in ``formcheck.records.posture_records``)."""

from __future__ import annotations

import json
from typing import Any

from formcheck.core.posture_judge import FAULTS
from formcheck.records.database.connection import Connection
from formcheck.records.session_folder import PostureMinuteLine, PostureReminderLine, PostureResponseLine

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


def posture_detail(db: Connection, session_id: int) -> dict[str, Any]:
    """A session's posture record: its minutes and reminders (empty for exercise sessions). A
    reminder's ``outcome`` is None while it waits for its response; ``corrected`` is None then and
    when paused."""
    minutes = [{"minute": r["minute"], "upright_s": r["upright_s"], "slouched_s": r["slouched_s"],
                "away_s": r["away_s"], **json.loads(r["detail"])}
               for r in db.all("SELECT * FROM posture_minutes WHERE session_id = ? ORDER BY minute", (session_id,))]
    reminders = [{"t_s": r["t_s"], "kind": r["kind"], "text": r["text"], "lasted_s": r["lasted_s"],
                  "outcome": r["outcome"], "corrected": None if r["corrected"] is None else bool(r["corrected"]),
                  "after_s": r["after_s"]}
                 for r in db.all("SELECT * FROM posture_reminders WHERE session_id = ? ORDER BY t_s", (session_id,))]
    return {"minutes": minutes, "reminders": reminders}
