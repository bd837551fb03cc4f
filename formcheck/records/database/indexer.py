"""Indexes a session's events and review lines in the session database."""

from __future__ import annotations

from formcheck.records.database import posture, reviews, sessions
from formcheck.records.database.connection import Connection
from formcheck.records.database.rows import now_iso
from formcheck.records.session_events import Cue, Event, Flag, HoldLine, PainStop, Rating, RepLine, SetEnd, SetStart
from formcheck.records.session_review import Note, Review, Verdict


class EventIndexer:
    """Indexes a session's events (the checked lines of its events.jsonl) in the database, in order.

    The recorder, ``formcheck repair`` and bundle import all go through here with the typed
    records of ``session_folder``, so a rebuilt or imported database says what the live one said.
    """

    def __init__(self, db: Connection, session_id: int) -> None:
        self.db = db
        self.session_id = session_id
        self.set_id: int | None = None

    def apply(self, event: Event | None) -> None:
        db, sid = self.db, self.session_id
        if isinstance(event, SetStart):
            self.set_id = sessions.add_set(db, sid, event.exercise, event.number, event.prescribed, event.t_s,
                                           event.definition, event.profile)
        elif isinstance(event, Cue):
            sessions.add_cue(db, sid, event.t_s, event.kind, event.text)
        elif isinstance(event, PainStop):
            sessions.add_pain_stop(db, sid, self.set_id, event.t_s)
        elif isinstance(event, Rating):
            sessions.add_rating(db, sid, event.kind, event.moment, event.exercise, event.score, event.t_s)
        elif isinstance(event, Flag):
            sessions.flag_session(db, sid, event.reason)
        elif isinstance(event, posture.POSTURE_LINE_TYPES):  # posture sessions (issue 19)
            posture.index_line(db, sid, event)
        elif self.set_id is None:
            return  # reps, holds and set ends belong to a set
        elif isinstance(event, RepLine):
            sessions.add_rep(db, self.set_id, event)
        elif isinstance(event, HoldLine):
            sessions.add_hold(db, self.set_id, event)
        elif isinstance(event, SetEnd):
            sessions.end_set(db, self.set_id, event.t_s, event.ended_by)
            self.set_id = None

    def apply_review(self, line: Review) -> bool:
        """A verdict or note from the session's review.jsonl, under its reviewer (a later verdict
        replaces only the same reviewer's); False when its rep isn't there."""
        target = line.target
        rep_id = fault_id = None
        if target is not None:
            found = reviews.find(self.db, self.session_id, target, line.code if isinstance(line, Verdict) else None)
            if found is None:
                return False
            rep_id, fault_id = found
        if isinstance(line, Verdict) and fault_id is not None:
            reviews.set_verdict(self.db, fault_id, line.reviewer, line.agree, line.created or now_iso())
            return True
        if isinstance(line, Note) and (target is None or rep_id is not None):
            reviews.add_note(self.db, self.session_id, line.text, rep_id, line.reviewer, line.created or now_iso())
            return True
        return False
