"""Re-judging a recorded session from its stored landmark track, without running the model.

The track holds the whole smoothed pose the engine saw on every frame (``session_track``), and
each set's ``set_start`` line holds the definition it was judged with. Replaying the rows through a
fresh ``ExerciseTracker`` — following the movement before the set, counting inside the set's
[start, end] — with that definition gives the same reps and faults as the session itself (exactly,
for a session recorded by ``analyze``; a live session's first set may lose a rep already under way
when recording began, because the rows before it were never recorded). With another definition
(a personal profile, a therapist's changed threshold) it shows which flags would appear or go.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.exercise import ExerciseDef
from formcheck.core.kinematics import classify_view
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.exercises.personal_thresholds import apply_profile
from formcheck.exercises.profile import POPULATION, Profile
from formcheck.exercises.snapshot import from_json
from formcheck.exercises.toml_reader import ExerciseFileError
from formcheck.records.results_json import results_json
from formcheck.records.session_events import HoldLine, RepLine, SetEnd, SetStart, read_events
from formcheck.records.session_track import read_track, track_pose

log = logging.getLogger(__name__)

ITEM_KINDS = ("rep", "attempt", "hold")


@dataclass(frozen=True)
class RecordedSet:
    """One set as the session recorded it: its time span, definition and results."""

    number: int
    exercise_id: str
    start_ms: int
    end_ms: int | None  # None: the recording stopped before the set's end was written
    definition: ExerciseDef | None  # None: recorded before definitions were stored with sets
    profile: str
    items: dict[str, list[dict[str, Any]]]  # "rep", "attempt", "hold" -> their lines


def recorded_sets(folder: Path) -> list[RecordedSet]:
    """The sets in a session folder's events.jsonl, in order (``Refused`` when it can't be read)."""
    sets: list[RecordedSet] = []
    current: dict[str, Any] | None = None
    for event in read_events(folder).items:
        if isinstance(event, SetStart):
            if current is not None:
                sets.append(_recorded(current, None))
            current = {"start": event, "items": {k: [] for k in ITEM_KINDS}}
        elif current is None:
            continue
        elif isinstance(event, RepLine | HoldLine):
            kind = "hold" if isinstance(event, HoldLine) else "attempt" if event.attempt else "rep"
            current["items"][kind].append(event.as_json())
        elif isinstance(event, SetEnd):
            sets.append(_recorded(current, event.t_s))
            current = None
    if current is not None:
        sets.append(_recorded(current, None))
    return sets


def _ms(t_s: float) -> int:
    return int(round(t_s * 1000))


def _recorded(current: dict[str, Any], end_s: float | None) -> RecordedSet:
    start: SetStart = current["start"]
    return RecordedSet(
        number=start.number, exercise_id=start.exercise, start_ms=_ms(start.t_s),
        end_ms=None if end_s is None else _ms(end_s),
        definition=from_json(start.definition) if start.definition else None,
        profile=start.profile or POPULATION, items=current["items"],
    )


def judge_set(track: np.ndarray, exercise: ExerciseDef, start_ms: int, end_ms: int | None,
              follow_from_ms: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Replay ``track`` rows through a tracker for ``exercise``: it follows the movement from
    ``follow_from_ms`` (default: the first row) and counts from ``start_ms`` to ``end_ms`` (default:
    the last row). Returns the reps, attempts and holds as ``results_json`` writes them."""
    t = track[:, 0]
    end = end_ms if end_ms is not None else (int(t[-1]) if len(t) else start_ms)
    rows = track[(t >= (follow_from_ms if follow_from_ms is not None else -np.inf)) & (t <= end)]
    tracker = ExerciseTracker(exercise)
    tracker.counting = False
    for row in rows:
        result = track_pose(row)
        if not tracker.counting and result.t_ms >= start_ms:
            tracker.begin_counting()
        tracker.update(result, classify_view(result.pose) if result.pose is not None else None)
    if not tracker.counting:  # no frame inside the set: nothing to judge
        tracker.begin_counting()
    tracker.end_counting(end)
    return results_json(tracker)


@dataclass(frozen=True)
class FlagChange:
    """A flag that a new judgement adds to (``appeared``) or removes from a rep, attempt or hold."""

    set_number: int
    item: str  # "rep 2", "attempt 1", "hold 1"
    start_s: float
    end_s: float
    code: str
    message: str
    appeared: bool

    def text(self) -> str:
        sign = "+" if self.appeared else "−"
        return f"set {self.set_number} {self.item} {self.start_s:.1f}–{self.end_s:.1f} s: {sign} {self.message} ({self.code})"


@dataclass(frozen=True)
class SetJudgement:
    recorded: RecordedSet
    exercise: ExerciseDef  # the definition it was re-judged with
    items: dict[str, list[dict[str, Any]]]  # "rep", "attempt", "hold" -> re-judged lines
    changes: tuple[FlagChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.exercise.profile or POPULATION

    def summary(self) -> str:
        def counts(items: dict[str, list[dict[str, Any]]]) -> str:
            judged = items["rep"] + items["hold"]
            flagged = sum(1 for r in judged if r["faults"])
            what = f"{len(items['rep'])} reps" if self.exercise.rep is not None else f"{len(items['hold'])} holds"
            return f"{what}, {flagged} flagged"

        return (f"set {self.recorded.number} {self.recorded.exercise_id}: {counts(self.recorded.items)} "
                f"(judged with {self.recorded.profile}) → {counts(self.items)} (with {self.label})")


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    return min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"])


def flag_changes(number: int, before: dict[str, list[dict[str, Any]]],
                 after: dict[str, list[dict[str, Any]]]) -> list[FlagChange]:
    """Flags that differ between two judgements of one set. Reps are paired by overlapping time (a
    changed target can turn an attempt into a rep, or renumber the reps); a rep with no partner
    brings or takes all its flags."""
    olds = [(k, i) for k in ITEM_KINDS for i in before[k]]
    news = [(k, i) for k in ITEM_KINDS for i in after[k]]
    paired: dict[int, int] = {}
    for n, (kind, item) in enumerate(news):
        family = ("hold",) if kind == "hold" else ("rep", "attempt")
        best = max((o for o, (ok, old) in enumerate(olds) if ok in family and o not in paired.values()
                    and _overlap(old, item) > 0), key=lambda o: _overlap(olds[o][1], item), default=None)
        if best is not None:
            paired[n] = best
    changes: list[FlagChange] = []

    def add(kind: str, item: dict[str, Any], codes: set[str], faults: list[dict[str, Any]], appeared: bool) -> None:
        for f in faults:
            if f["code"] in codes:
                changes.append(FlagChange(number, f"{kind} {item.get('index', '')}".strip(), item["start_s"],
                                          item["end_s"], f["code"], f["message"], appeared))

    for n, (kind, item) in enumerate(news):
        new_codes = {f["code"] for f in item["faults"]}
        old_codes = {f["code"] for f in olds[paired[n]][1]["faults"]} if n in paired else set()
        add(kind, item, new_codes - old_codes, item["faults"], True)
        if n in paired:
            old_kind, old = olds[paired[n]]
            add(kind, item, old_codes - new_codes, old["faults"], False)
    for o, (kind, old) in enumerate(olds):
        if o not in paired.values():
            add(kind, old, {f["code"] for f in old["faults"]}, old["faults"], False)
    return sorted(changes, key=lambda c: (c.start_s, not c.appeared, c.code))


def _hold_indices(items: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {**items, "hold": [{**h, "index": i} for i, h in enumerate(items["hold"], 1)]}


def rejudge_session(folder: Path, profile: Profile | None = None,
                    exercise_for: dict[int, ExerciseDef] | None = None) -> list[SetJudgement]:
    """Re-judge every set of the session in ``folder``.

    Each set is judged with, in order of preference: ``exercise_for[set number]`` (e.g. the review
    window's changed threshold); with ``profile``, today's library definition personalised by it
    (what a fresh ``analyze`` with that profile would use); otherwise the definition the set was
    judged with at the time.
    """
    track = read_track(folder)
    out: list[SetJudgement] = []
    follow_from: int | None = None
    for rec in recorded_sets(folder):
        notes: list[str] = []
        if exercise_for and rec.number in exercise_for:
            exercise = exercise_for[rec.number]
        else:
            exercise, notes = _definition(rec, profile)
        items = judge_set(track, exercise, rec.start_ms, rec.end_ms, follow_from)
        items = {"rep": items["reps"], "attempt": items["attempts"], "hold": items["holds"]}
        before, after = _hold_indices(rec.items), _hold_indices(items)
        out.append(SetJudgement(rec, exercise, after, tuple(flag_changes(rec.number, before, after)), tuple(notes)))
        follow_from = rec.end_ms
    return out


def _definition(rec: RecordedSet, profile: Profile | None) -> tuple[ExerciseDef, list[str]]:
    notes: list[str] = []
    if profile is None:
        if rec.definition is not None:
            return rec.definition, notes
        notes.append(f"set {rec.number} was recorded before definitions were stored with sets; "
                     "judged with today's exercise file")
    try:
        base = load_by_id(rec.exercise_id)
    except ExerciseFileError as exc:
        if rec.definition is None:
            raise
        notes.append(f"{exc}; the profile is applied to the definition the set was judged with")
        base = dataclasses.replace(rec.definition, profile="")
    exercise, bounded = apply_profile(base, profile)
    return exercise, notes + bounded


def report_text(judgements: list[SetJudgement]) -> str:
    """What `formcheck rejudge` prints."""
    lines: list[str] = []
    for j in judgements:
        lines.append(j.summary())
        lines += [f"  {n}" for n in j.notes]
        lines += [f"  {c.text()}" for c in j.changes] or ["  no flags change"]
    return "\n".join(lines) if lines else "the session has no sets to re-judge"
