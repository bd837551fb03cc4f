"""Sessions recorded through the real recorder and Store from scripted engine events (no video):
for programme, adherence, bundle and FHIR tests that need many sessions on chosen days."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from formcheck.core.events import (
    EffortRated,
    Event,
    ExerciseEnded,
    HoldEnded,
    PainRated,
    PainStopped,
    RepCompleted,
    SessionFlagged,
    SetEnded,
    SetStarted,
    SetSummary,
)
from formcheck.core.exercise import Dose
from formcheck.core.holds import HoldRecord
from formcheck.core.reps import RepRecord
from formcheck.exercises.loader import load_by_id
from formcheck.records.recorder import SessionRecorder
from formcheck.records.session_folder import update_session_json
from formcheck.records.store import Store


@dataclasses.dataclass
class Done:
    """One exercise as done: ``reps`` True for each flagged rep (False: clean), or ``holds`` the
    seconds of each hold; ``sets`` sets of that; ``effort`` rated after it."""

    exercise: str
    reps: list[bool] = dataclasses.field(default_factory=list)
    holds: list[float] = dataclasses.field(default_factory=list)
    sets: int = 1
    dose: Dose | None = None
    effort: int | None = None
    pain_stop: bool = False


def record(store: Store, person: str, done: list[Done], *, started: str | None = None,
           programme: tuple[str, int] | None = None, pain: tuple[int | None, int | None] = (None, None),
           flag: str | None = None, source: str = "camera 0", kind: str = "live") -> int:
    """Record one session; returns its id. ``started`` backdates it (ISO time); ``source`` and
    ``kind`` say what it was recorded from (a camera, or "file" and a video's path)."""
    rec = SessionRecorder(store, person, source, kind, programme=programme)
    rec.on_frame(None, None, events_of(done, pain=pain, flag=flag))
    rec.finish()
    if started is not None:
        store.db.execute("UPDATE sessions SET started = ?, ended = ? WHERE id = ?", (started, started, rec.session_id))
        update_session_json(rec.folder, started=started, ended=started)
    return rec.session_id


def events_of(done: list[Done], *, pain: tuple[int | None, int | None] = (None, None), flag: str | None = None,
              t: int = 1000, number: int = 1) -> list[Event]:
    """The engine's events for ``done``, from ``t`` ms on, its sets numbered from ``number``."""
    first = number
    events: list[Event] = []
    if pain[0] is not None:
        events.append(PainRated(0, pain[0], "before"))
    for d in done:
        ex = load_by_id(d.exercise)
        if d.dose is not None:
            ex = dataclasses.replace(ex, dose=d.dose)
        summaries = []
        for number in range(first, first + d.sets):
            events.append(SetStarted(t, ex, number))
            flagged = 0
            for i, bad in enumerate(d.reps):
                faults = {"low": ("Lift higher", t + 500)} if bad else {}
                flagged += bad
                events.append(RepCompleted(t + 2000, RepRecord(None, t, True, t + 800, t + 1200, t + 2000, 175.0 + i,
                                                                130.0, faults)))
                t += 2500
            for held in d.holds:
                events.append(HoldEnded(t + int(held * 1000), HoldRecord(t, t + int(held * 1000), int(held * 1000))))
                t += int(held * 1000) + 500
            ended_by = "pain" if d.pain_stop else "dose"
            if d.pain_stop:
                events.append(PainStopped(t))
            summary = SetSummary(number, {"all": len(d.reps)}, sum(d.holds), flagged, {}, ended_by)
            summaries.append(summary)
            events.append(SetEnded(t, summary))
            t += 1000
        events.append(ExerciseEnded(t, ex, tuple(summaries), "pain" if d.pain_stop else "dose"))
        if d.effort is not None:
            events.append(EffortRated(t, d.exercise, d.effort))
    if pain[1] is not None:
        events.append(PainRated(t, pain[1], "after"))
    if flag:
        events.append(SessionFlagged(t, flag))
    return events


def day(text: str) -> str:
    """An ISO time at noon UTC on that day (the same calendar day in every time zone from UTC−11 to UTC+11)."""
    return datetime.fromisoformat(f"{text}T12:00:00+00:00").isoformat(timespec="seconds")
