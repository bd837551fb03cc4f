"""Everything recorded about one session, read back in one piece (reports, the review screen)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from formcheck.exercises.profile import POPULATION
from formcheck.records.database.connection import Connection
from formcheck.records.database.sessions import session

_FAULTS = ("SELECT f.id, f.code, f.message, f.t_s, v.agree FROM faults f LEFT JOIN verdicts v ON v.fault_id = f.id "
           "WHERE f.{of} = ? ORDER BY f.id")


def session_detail(db: Connection, data: Path, session_id: int) -> dict[str, Any]:
    """Everything recorded about a session, as plain data (for reports and the review screen)."""
    s = session(db, data, session_id)
    sets = []
    for st in db.all("SELECT * FROM sets WHERE session_id = ? ORDER BY id", (session_id,)):
        reps = []
        for r in db.all("SELECT * FROM reps WHERE set_id = ? ORDER BY id", (st["id"],)):
            faults = [dict(f) for f in db.all(_FAULTS.format(of="rep_id"), (r["id"],))]
            notes = [n["text"] for n in db.all("SELECT text FROM notes WHERE rep_id = ? ORDER BY id", (r["id"],))]
            reps.append({"id": r["id"], "index": r["idx"], "side": r["side"], "start_s": r["start_s"],
                         "end_s": r["end_s"], "attempt": bool(r["attempt"]),
                         "metrics": json.loads(r["metrics"]), "faults": faults, "notes": notes,
                         "not_judged": json.loads(r["not_judged"])})
        holds = []
        for h in db.all("SELECT * FROM holds WHERE set_id = ? ORDER BY id", (st["id"],)):
            faults = [dict(f) for f in db.all(_FAULTS.format(of="hold_id"), (h["id"],))]
            holds.append({"id": h["id"], "start_s": h["start_s"], "end_s": h["end_s"],
                          "duration_s": h["duration_s"], "side": h["side"], "faults": faults,
                          "not_judged": json.loads(h["not_judged"])})
        sets.append({"id": st["id"], "exercise": st["exercise"], "number": st["number"],
                     "prescribed": st["prescribed"], "started_s": st["started_s"], "ended_s": st["ended_s"],
                     "ended_by": st["ended_by"], "definition": st["definition"],
                     "profile": st["profile"] or POPULATION, "reps": reps, "holds": holds})
    stops = [dict(p) for p in db.all("SELECT set_id, t_s FROM pain_stops WHERE session_id = ?", (session_id,))]
    notes = [n["text"] for n in db.all("SELECT text FROM notes WHERE session_id = ? AND rep_id IS NULL ORDER BY id",
                                       (session_id,))]
    cues = [dict(c) for c in db.all("SELECT t_s, kind, text FROM cues WHERE session_id = ? ORDER BY t_s", (session_id,))]
    ratings = [dict(r) for r in db.all(
        "SELECT kind, moment, exercise, score, t_s FROM ratings WHERE session_id = ? ORDER BY t_s, id", (session_id,))]
    extra = db.one("SELECT s.flag, s.programme_uid, p.version FROM sessions s LEFT JOIN programmes p "
                   "ON p.uid = s.programme_uid WHERE s.id = ?", (session_id,))
    assert extra is not None  # the session was just read
    pain = {m: next((r["score"] for r in ratings if r["kind"] == "pain" and r["moment"] == m), None)
            for m in ("before", "after")}
    return {"id": s.id, "person": s.person, "started": s.started, "ended": s.ended, "source": s.source,
            "kind": s.kind, "status": s.status, "end_reason": s.end_reason, "folder": str(s.folder), "sets": sets,
            "pain_stops": stops, "notes": notes, "cues": cues, "uid": s.uid, "ratings": ratings,
            "pain_before": pain["before"], "pain_after": pain["after"], "flag": extra["flag"],
            "programme_uid": extra["programme_uid"], "programme_version": extra["version"]}
