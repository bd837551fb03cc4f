"""What happened on a frame, as typed events: the one stream from the engine to its consumers.

The exercise tracker and the live coach put these on each frame's result; the recorder, the
window, the voice and ``analyze`` act on them. Nobody reads the engine's live state from another
thread. Records carried by events are finished: the engine never changes them afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from formcheck.core.cues import Cue
from formcheck.core.exercise import ExerciseDef
from formcheck.core.holds import HoldRecord
from formcheck.core.reps import RepRecord

# How a set ended: the dose was reached, the person ended it (End set), a pain stop, the video
# file ended, the camera was lost, or the session closed.
SetEnd = Literal["dose", "stop", "pain", "video_end", "source_lost", "closed"]


@dataclass(frozen=True, slots=True)
class RepCompleted:
    t_ms: int
    rep: RepRecord  # ``rep.reached`` False: an attempt that fell short of the target


@dataclass(frozen=True, slots=True)
class HoldEnded:
    t_ms: int
    hold: HoldRecord


@dataclass(frozen=True, slots=True)
class CueRaised:
    t_ms: int
    cue: Cue


@dataclass(frozen=True, slots=True)
class FaultOpened:
    t_ms: int  # when the fault began (after it persisted long enough to count)
    code: str


@dataclass(frozen=True, slots=True)
class FaultClosed:
    t_ms: int
    code: str


@dataclass(frozen=True, slots=True)
class SetStarted:
    t_ms: int
    exercise: ExerciseDef  # frozen: the definition (thresholds) this set is judged with
    number: int


@dataclass(frozen=True, slots=True)
class SetSummary:
    """One finished set, as the person and the therapist see it."""

    number: int
    reps: dict[str, int]  # completed reps per side ("all" when not alternating)
    hold_s: float
    flagged: int  # reps (or holds) with at least one fault
    faults: dict[str, int]  # fault cue text -> how many reps/holds had it
    ended_by: SetEnd
    attempts: int = 0
    not_judged: int = 0  # reps (or holds) with a rule the engine couldn't judge (landmarks unseen)
    why_none: str = ""  # nothing counted: why, in words ("Your feet were out of the picture ...")

    @property
    def rep_total(self) -> int:
        return sum(self.reps.values())


@dataclass(frozen=True, slots=True)
class SetEnded:
    t_ms: int
    summary: SetSummary


@dataclass(frozen=True, slots=True)
class PainStopped:
    t_ms: int


@dataclass(frozen=True, slots=True)
class ExerciseEnded:
    t_ms: int
    exercise: ExerciseDef
    sets: tuple[SetSummary, ...]
    reason: SetEnd
    why: str = ""  # no set was started: what kept the set-up from passing, in words


# When pain was rated: before the session, after an exercise with more to come, at the end.
PainMoment = Literal["before", "during", "after"]


@dataclass(frozen=True, slots=True)
class PainRated:
    """The person's pain on the 0–10 numeric rating scale (``exercise``: the one just done)."""

    t_ms: int
    score: int
    moment: PainMoment
    exercise: str | None = None


@dataclass(frozen=True, slots=True)
class EffortRated:
    """How hard an exercise felt, 0–10, rated right after it."""

    t_ms: int
    exercise: str
    score: int


@dataclass(frozen=True, slots=True)
class SessionFlagged:
    """Something the therapist should look at (e.g. pain rose): the reason, in words."""

    t_ms: int
    reason: str


Event = (
    RepCompleted | HoldEnded | CueRaised | FaultOpened | FaultClosed | SetStarted | SetEnded
    | PainStopped | ExerciseEnded | PainRated | EffortRated | SessionFlagged
)
# Events the person gives (not the engine): they may come before the first set, and are saved at once.
RATING_EVENTS = (PainRated, EffortRated, SessionFlagged)
