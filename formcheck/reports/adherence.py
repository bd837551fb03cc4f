"""Adherence: per person and week, what was done against what the programme prescribed.

Pure computation over recorded sessions (``Store.session_detail``) and the person's
programme versions, so it is tested on scripted weeks; ``adherence(store, person)`` reads both.

Per ISO week (Monday first): days with a session against the programme's days per week; the
programme's exercises and sets completed (a set is completed when it reached its dose; an exercise
when all its prescribed sets were) against prescribed; mean pain before and after, mean effort,
flagged-rep rate and mean range of motion; sessions stopped for pain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from formcheck.core.pain import STOPPED_FOR_PAIN
from formcheck.core.programme import Programme
from formcheck.records import programme_store
from formcheck.records.database.rows import HoldDetail, RepDetail, SessionDetail
from formcheck.records.store import Store


@dataclass(frozen=True, slots=True)
class WeekAdherence:
    start: date  # the Monday
    days: int  # days with at least one session
    prescribed_days: int  # the programme's days per week (0: no programme that week)
    exercises: int
    prescribed_exercises: int
    sets: int
    prescribed_sets: int
    pain_before: float | None  # means of the week's ratings
    pain_after: float | None
    effort: float | None
    flagged_percent: float | None
    rom_deg: float | None
    pain_stopped: int  # sessions stopped for pain

    @property
    def label(self) -> str:
        return self.start.strftime("%d %b")


@dataclass(frozen=True, slots=True)
class Adherence:
    person: str
    today: date
    weeks: tuple[WeekAdherence, ...]
    last_session: date | None
    pain_stopped: tuple[int, ...]  # ids of the sessions stopped for pain

    @property
    def days_since_last(self) -> int | None:
        return None if self.last_session is None else (self.today - self.last_session).days

    def last_session_text(self) -> str:
        days = self.days_since_last
        if days is None:
            return "last session: none yet"
        return "last session: " + {0: "today", 1: "yesterday"}.get(days, f"{days} days ago")

    def text(self) -> str:
        lines = [f"{self.person} — {self.last_session_text()}"]
        def of(n: int, p: int | None) -> str:
            return f"{n} of {p}" if p else str(n)

        for w in self.weeks:
            stopped = f", {w.pain_stopped} stopped for pain" if w.pain_stopped else ""
            pain = "" if w.pain_before is None and w.pain_after is None else (
                f", pain {_num(w.pain_before)} → {_num(w.pain_after)}")
            effort = "" if w.effort is None else f", effort {w.effort:.1f}"
            flagged = "" if w.flagged_percent is None else f", {w.flagged_percent:.0f} % flagged"
            lines.append(f"  week of {w.start}: days {of(w.days, w.prescribed_days)}, exercises "
                         f"{of(w.exercises, w.prescribed_exercises)}, sets {of(w.sets, w.prescribed_sets)}"
                         f"{pain}{effort}{flagged}{stopped}")
        return "\n".join(lines)


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def stopped_for_pain(detail: SessionDetail) -> bool:
    """Stopped with "Stop — it hurts", or the day's run ended on the advice to stop for pain. Older
    sessions recorded that advice without the "stopped for pain" prefix when it came after the last
    exercise (the reason alone, as ``pain_warning`` words it); those count too, unless carried on."""
    lines = (detail.flag or "").splitlines()
    return bool(detail.pain_stops) or any(STOPPED_FOR_PAIN in line or _ended_on_pain_advice(line) for line in lines)


def _ended_on_pain_advice(reason: str) -> bool:
    advice = reason.startswith("pain ") and ("at or above the limit" in reason or reason.startswith("pain rose from"))
    return advice and not reason.endswith("(carried on)")


def session_day(detail: SessionDetail) -> date:
    """The local calendar day a session started on (stored times are UTC)."""
    return datetime.fromisoformat(detail.started).astimezone().date()


def _readable_start(detail: SessionDetail) -> bool:
    """A session whose start time can't be read (a database from before times were checked) has
    no week; it is left out of adherence rather than stopping the report."""
    try:
        session_day(detail)
    except (TypeError, ValueError):
        return False
    return True


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def in_force(programmes: list[Programme], day: date) -> Programme | None:
    """The version that applied on ``day``: the newest one saved by then (before the first was
    saved, the first, from its start date)."""
    if not programmes:
        return None
    saved = [p for p in programmes if not p.created or datetime.fromisoformat(p.created).astimezone().date() <= day]
    current = saved[-1] if saved else programmes[0]
    return current if current.start <= day else None


def compute(person: str, details: list[SessionDetail], programmes: list[Programme], today: date) -> Adherence:
    """Adherence from a person's sessions (any order) and programme versions (oldest first)."""
    done = [d for d in details if d.sets and _readable_start(d)]
    by_uid = {p.uid: p for p in programmes if p.uid}
    days = [session_day(d) for d in done]
    firsts = days + [p.start for p in programmes[:1]]
    weeks = []
    if firsts:
        week = _monday(min(firsts))
        while week <= _monday(today):
            end = week + timedelta(days=6)
            these = [d for d, day in zip(done, days, strict=False) if week <= day <= end]
            programme = in_force(programmes, min(end, today))
            weeks.append(_week(week, these, programme, by_uid))
            week += timedelta(days=7)
    return Adherence(person, today, tuple(weeks), max(days) if days else None,
                     tuple(d.id for d in done if stopped_for_pain(d)))


def _week(start: date, sessions: list[SessionDetail], in_week: Programme | None,
          by_uid: dict[str, Programme]) -> WeekAdherence:
    exercises = sets = 0
    for d in sessions:
        followed = by_uid.get(d.programme_uid or "") or in_week
        items = followed.items if followed else ()
        for item in items:
            reached = sum(1 for st in d.sets if st.exercise == item.exercise and st.ended_by == "dose")
            sets += min(reached, item.dose.sets)
            exercises += reached >= item.dose.sets
        if not items:  # no programme: what was done
            reached_sets = [st for st in d.sets if st.ended_by == "dose"]
            sets += len(reached_sets)
            exercises += len({st.exercise for st in reached_sets})
    per_week = in_week.days_per_week if in_week else 0
    reps = [r for d in sessions for st in d.sets for r in st.reps if not r.attempt]
    holds = [h for d in sessions for st in d.sets for h in st.holds]
    judged: list[RepDetail | HoldDetail] = [*reps, *holds]
    rom = [r.metrics["range_deg"] for r in reps if r.metrics.get("range_deg") is not None]
    return WeekAdherence(
        start=start,
        days=len({session_day(d) for d in sessions}),
        prescribed_days=per_week,
        exercises=exercises,
        prescribed_exercises=per_week * len(in_week.items) if in_week else 0,
        sets=sets,
        prescribed_sets=per_week * sum(i.dose.sets for i in in_week.items) if in_week else 0,
        pain_before=_mean(d.pain_before for d in sessions),
        pain_after=_mean(d.pain_after for d in sessions),
        effort=_mean(r.score for d in sessions for r in d.ratings if r.kind == "effort"),
        flagged_percent=100 * sum(1 for x in judged if x.faults) / len(judged) if judged else None,
        rom_deg=_mean(rom),
        pain_stopped=sum(1 for d in sessions if stopped_for_pain(d)),
    )


def _mean(values: Any) -> float | None:
    xs = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(xs) / len(xs) if xs else None


def adherence(store: Store, person: str, today: date | None = None) -> Adherence:
    details = [store.session_detail(s.id) for s in store.sessions(person)]
    return compute(person, details, programme_store.versions(store, person), today or date.today())


@dataclass(frozen=True, slots=True)
class ItemToday:
    index: int
    exercise: str
    sets_done: int  # sets that reached the dose today
    sets: int

    @property
    def done(self) -> bool:
        return self.sets_done >= self.sets


def today_status(programme: Programme, details: list[SessionDetail], today: date) -> list[ItemToday]:
    """Each item of the programme and how many of its sets were completed today (across today's
    sessions; an exercise that appears twice in the programme counts its sets in order)."""
    reached: dict[str, int] = {}
    for d in details:
        if session_day(d) == today:
            for st in d.sets:
                if st.ended_by == "dose":
                    reached[st.exercise] = reached.get(st.exercise, 0) + 1
    out = []
    for i, item in enumerate(programme.items):
        have = reached.get(item.exercise, 0)
        used = min(have, item.dose.sets)
        reached[item.exercise] = have - used
        out.append(ItemToday(i, item.exercise, used, item.dose.sets))
    return out
