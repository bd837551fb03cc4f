"""The lines of a session's review.jsonl as typed, checked records: the therapists' verdicts on
reps and holds, and notes, each with the reviewer who gave it (``reviewer``; a line written before
reviewers were recorded has none, read as "").

The file comes from the session's folder (``session_folder``), which may come from another
computer or be damaged: each line is read only through ``parse_review`` (bounded by
``formcheck.untrusted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.records.session_folder import REVIEW_FILE, Lines, read_lines
from formcheck.untrusted import ITEM_INDEX, NAME_CHARS, REVIEW_BYTES, SET_NUMBER, Fields, Refused


@dataclass(frozen=True, slots=True)
class Target:
    """A rep or hold named by its place in the session (set number, index), not a row id."""

    set: int
    rep: int | None = None
    attempt: bool = False
    hold: int | None = None

    def as_json(self) -> dict[str, Any]:
        if self.hold is not None:
            return {"set": self.set, "hold": self.hold}
        return {"set": self.set, "rep": self.rep, "attempt": self.attempt}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One reviewer's verdict on one flag (a later one of the same reviewer replaces it)."""

    target: Target
    code: str
    agree: bool
    created: str | None = None
    reviewer: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"type": "verdict", "target": self.target.as_json(), "code": self.code, "agree": self.agree,
                "created": self.created} | _by(self.reviewer)


@dataclass(frozen=True, slots=True)
class Note:
    target: Target | None
    text: str
    created: str | None = None
    reviewer: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"type": "note", "target": self.target.as_json() if self.target else None, "text": self.text,
                "created": self.created} | _by(self.reviewer)


def _by(reviewer: str) -> dict[str, str]:
    """A line's reviewer; none on a line from before reviewers were recorded (it is read back as "")."""
    return {"reviewer": reviewer} if reviewer else {}


Review = Verdict | Note


def parse_review(data: Any, where: str = REVIEW_FILE) -> Review | None:
    """One line of review.jsonl; None for a type this version doesn't know."""
    f = Fields(data, where)
    kind = f.text("type", max_chars=NAME_CHARS)
    if kind not in ("verdict", "note"):
        return None
    target = None
    t = f.object("target")
    if t is not None:
        hold = t.whole("hold", ITEM_INDEX, None)
        target = Target(t.whole("set", SET_NUMBER), None if hold is not None else t.whole("rep", ITEM_INDEX),
                        bool(t.flag("attempt", False)), hold)
    created = f.time("created", None)
    reviewer = f.name("reviewer", "")
    if kind == "verdict":
        if target is None:
            raise Refused(f"{where}: a verdict needs the rep or hold it is on")
        return Verdict(target, f.text("code", max_chars=NAME_CHARS), f.flag("agree"), created, reviewer)
    return Note(target, f.text("text"), created, reviewer)


def read_review(folder: Path, strict: bool = False) -> Lines:
    """The session's verdicts and notes, in order (``strict`` as ``session_events.read_events``)."""
    return read_lines(folder / REVIEW_FILE, REVIEW_BYTES, parse_review, strict)
