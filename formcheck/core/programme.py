"""A home programme: what a therapist prescribes, and the progression rule that grows it.

Pure data and rules (no files, no database): ``formcheck.exercises.programme_file`` reads and
writes the commented TOML form, ``formcheck.records.programme_store`` keeps the versions.
An item's dose replaces the exercise's catalogue dose when the person does it.

Progression: the app *proposes* (``propose``), the therapist confirms (``apply_proposals`` gives
the content of the next version). An item grows when each of the last ``sessions`` sessions that
did it under the current version had at most ``max_flagged_percent`` % flagged reps (or holds) and
no pain increase (pain after ≤ pain before, both rated).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

from formcheck.core.exercise import Dose
from formcheck.core.posture_coach import PostureSettings


@dataclass(frozen=True, slots=True)
class ProgrammeItem:
    exercise: str  # an exercise id from the library
    dose: Dose
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Progression:
    add_reps: int = 2
    add_hold_s: float = 5.0
    sessions: int = 2
    max_flagged_percent: float = 10.0

    def text(self) -> str:
        grow = " / ".join(x for x in (f"+{self.add_reps} reps" if self.add_reps else "",
                                       f"+{self.add_hold_s:g} s hold" if self.add_hold_s else "") if x)
        last = {1: "the last session", 2: "the last two sessions"}.get(self.sessions, f"the last {self.sessions} sessions")
        return f"{grow or 'no change'} when {last} had ≤ {self.max_flagged_percent:g} % flagged reps and no pain increase"


@dataclass(frozen=True, slots=True)
class Programme:
    person: str
    items: tuple[ProgrammeItem, ...]
    days_per_week: int
    start: date
    review: date | None = None
    notes: str = ""
    progression: Progression | None = None
    pain_stop_at: int | None = None  # pain at or above this advises stopping (a rise of 2 always does)
    posture: PostureSettings | None = None  # the desk posture mode, switched on with these settings (issue 19)
    # Given by the store when saved; 0 / "" for a programme not saved yet.
    version: int = 0
    uid: str = ""
    created: str = ""

    def content(self) -> Programme:
        """What the therapist prescribed, without who and which saved version (to compare two)."""
        return dataclasses.replace(self, person="", version=0, uid="", created="")

    def label(self) -> str:
        return f"version {self.version}" if self.version else "not saved"

    def text(self) -> str:
        """The programme in a few lines, as ``formcheck programme show`` prints it."""
        review = f", review {self.review}" if self.review else ""
        lines = [f"{self.person} — {self.label()}{f' ({self.created})' if self.created else ''}: "
                 f"{self.days_per_week} day(s) a week from {self.start}{review}"]
        for i, item in enumerate(self.items, 1):
            notes = f" — {item.notes}" if item.notes else ""
            lines.append(f"  {i}. {item.exercise:22s} {item.dose.text()}, rest {item.dose.rest_s:g} s{notes}")
        if self.progression is not None:
            lines.append(f"  progression: {self.progression.text()}")
        if self.pain_stop_at is not None:
            lines.append(f"  stop when pain is {self.pain_stop_at}/10 or more")
        if self.notes:
            lines.append(f"  notes: {self.notes}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ExerciseOutcome:
    """One exercise as done in one session: what the progression rule reads."""

    session: int
    started: str
    exercise: str
    reps: int
    flagged: int  # reps (or holds) with at least one fault
    holds: int
    pain_before: int | None
    pain_after: int | None

    @property
    def flagged_percent(self) -> float:
        done = self.reps or self.holds
        return 100.0 * self.flagged / done if done else 0.0


@dataclass(frozen=True, slots=True)
class Proposal:
    index: int  # which item
    exercise: str
    old: Dose
    new: Dose
    reason: str

    def text(self) -> str:
        return f"{self.exercise}: {self.old.text()} → {self.new.text()} ({self.reason})"


def propose(programme: Programme, outcomes: list[ExerciseOutcome]) -> list[Proposal]:
    """The dose changes the progression rule calls for, given the sessions done under this
    version (oldest first). Nothing when the programme has no rule."""
    rule = programme.progression
    if rule is None:
        return []
    out = []
    for i, item in enumerate(programme.items):
        last = [o for o in outcomes if o.exercise == item.exercise and (o.reps or o.holds)][-rule.sessions:]
        if len(last) < rule.sessions:
            continue
        if any(o.flagged_percent > rule.max_flagged_percent for o in last):
            continue
        if any(o.pain_before is None or o.pain_after is None or o.pain_after > o.pain_before for o in last):
            continue  # a pain increase, or pain not rated: no evidence that more is safe
        new = _grown(item.dose, rule)
        if new == item.dose:
            continue
        worst = max(o.flagged_percent for o in last)
        reason = (f"{len(last)} session(s) in a row with ≤ {rule.max_flagged_percent:g} % flagged "
                  f"(worst {worst:.0f} %) and no pain increase")
        out.append(Proposal(i, item.exercise, item.dose, new, reason))
    return out


def _grown(dose: Dose, rule: Progression) -> Dose:
    if dose.reps:
        return dataclasses.replace(dose, reps=dose.reps + rule.add_reps)
    if dose.hold_s:
        return dataclasses.replace(dose, hold_s=dose.hold_s + rule.add_hold_s)
    return dose


def apply_proposals(programme: Programme, proposals: list[Proposal]) -> Programme:
    """The next version's content with the confirmed changes (the store numbers it when saved)."""
    items = list(programme.items)
    for p in proposals:
        items[p.index] = dataclasses.replace(items[p.index], dose=p.new)
    return dataclasses.replace(programme, items=tuple(items), version=0, uid="", created="")
