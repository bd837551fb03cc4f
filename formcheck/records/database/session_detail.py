"""Everything recorded about one session, read back in one piece (reports, the review screen)."""

from __future__ import annotations

import json
from pathlib import Path

from formcheck.exercises.profile import POPULATION
from formcheck.records.database.connection import Connection, Row
from formcheck.records.database.rows import (
    FaultDetail,
    HoldDetail,
    PainStopDetail,
    RepDetail,
    ReviewerVerdict,
    SessionDetail,
    SetDetail,
)
from formcheck.records.database.sessions import session
from formcheck.records.session_events import Cue, NotJudged, Rating

_FAULTS = "SELECT id, code, message, t_s FROM faults WHERE {of} = ? ORDER BY id"
_VERDICTS = ("SELECT v.fault_id, v.reviewer, v.agree FROM verdicts v JOIN faults f ON f.id = v.fault_id "
             "WHERE f.{of} = ?")


def session_detail(db: Connection, data: Path, session_id: int) -> SessionDetail:
    s = session(db, data, session_id)
    sets = tuple(_set(db, st) for st in db.all("SELECT * FROM sets WHERE session_id = ? ORDER BY id", (session_id,)))
    stops = tuple(PainStopDetail(p["set_id"], p["t_s"])
                  for p in db.all("SELECT set_id, t_s FROM pain_stops WHERE session_id = ?", (session_id,)))
    notes = tuple(n["text"] for n in db.all(
        "SELECT text FROM notes WHERE session_id = ? AND rep_id IS NULL ORDER BY id", (session_id,)))
    cues = tuple(Cue(c["t_s"], c["kind"], c["text"])
                 for c in db.all("SELECT t_s, kind, text FROM cues WHERE session_id = ? ORDER BY t_s", (session_id,)))
    ratings = tuple(Rating(r["kind"], r["moment"], r["exercise"], r["score"], r["t_s"]) for r in db.all(
        "SELECT kind, moment, exercise, score, t_s FROM ratings WHERE session_id = ? ORDER BY t_s, id", (session_id,)))
    extra = db.one("SELECT s.flag, s.programme_uid, p.version FROM sessions s LEFT JOIN programmes p "
                   "ON p.uid = s.programme_uid WHERE s.id = ?", (session_id,))
    assert extra is not None  # the session was just read
    pain = {m: next((r.score for r in ratings if r.kind == "pain" and r.moment == m), None) for m in ("before", "after")}
    return SessionDetail(s.id, s.person, s.started, s.ended, s.source, s.kind, s.status, s.end_reason, s.folder,
                         sets, stops, notes, cues, s.uid, ratings, pain["before"], pain["after"], extra["flag"],
                         extra["programme_uid"], extra["version"])


def _set(db: Connection, st: Row) -> SetDetail:
    reps = tuple(
        RepDetail(r["id"], r["idx"], r["side"], r["start_s"], r["end_s"], bool(r["attempt"]), json.loads(r["metrics"]),
                  _faults(db, "rep_id", r["id"]),
                  tuple(n["text"] for n in db.all("SELECT text FROM notes WHERE rep_id = ? ORDER BY id", (r["id"],))),
                  _not_judged(r["not_judged"]))
        for r in db.all("SELECT * FROM reps WHERE set_id = ? ORDER BY id", (st["id"],)))
    holds = tuple(
        HoldDetail(h["id"], h["start_s"], h["end_s"], h["duration_s"], h["side"], _faults(db, "hold_id", h["id"]),
                   _not_judged(h["not_judged"]))
        for h in db.all("SELECT * FROM holds WHERE set_id = ? ORDER BY id", (st["id"],)))
    return SetDetail(st["id"], st["exercise"], st["number"], st["prescribed"], st["started_s"], st["ended_s"],
                     st["ended_by"], st["definition"], st["profile"] or POPULATION, reps, holds)


def _faults(db: Connection, of: str, item_id: int) -> tuple[FaultDetail, ...]:
    verdicts: dict[int, list[ReviewerVerdict]] = {}
    for v in db.all(_VERDICTS.format(of=of), (item_id,)):
        verdicts.setdefault(v["fault_id"], []).append(ReviewerVerdict(v["reviewer"], bool(v["agree"])))
    # By reviewer, sorted here: the two engines sort text differently.
    return tuple(FaultDetail(f["id"], f["code"], f["message"], f["t_s"],
                             tuple(sorted(verdicts.get(f["id"], []), key=lambda v: v.reviewer)))
                 for f in db.all(_FAULTS.format(of=of), (item_id,)))


def _not_judged(stored: str) -> tuple[NotJudged, ...]:
    return tuple(NotJudged(n["code"], n["reason"]) for n in json.loads(stored))
