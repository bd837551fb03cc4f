"""What the store's reads return (frozen dataclasses), and the times it keeps (UTC, ISO 8601 to the
second).

``as_json`` writes a session's detail as the JSON report has always written it: the fields in
order, folders as text, a verdict as 1 (agrees) / 0 (disagrees) / null.

A flag's verdict is each reviewer's (``FaultDetail.verdicts``); where one answer per flag is
needed (a figure, a column), ``FaultDetail.agree`` is the reviewers' together: agreed when every
reviewer who judged it agreed, disagreed when every one disagreed, and ``disputed`` (no answer)
when they differ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from formcheck.records.session_events import Cue, NotJudged, Rating


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    person: str
    started: str
    ended: str | None
    source: str
    kind: str
    folder: Path
    status: str
    end_reason: str | None = None
    uid: str = ""


@dataclass(frozen=True, slots=True)
class ReviewerVerdict:
    reviewer: str  # "" for a verdict from before reviewers were recorded
    agree: bool


@dataclass(frozen=True, slots=True)
class FaultDetail:
    """A flag on a rep or hold, with each reviewer's verdict (sorted by reviewer) and what they
    say together (see the module docstring): ``agree`` True / False when all who judged it
    agree / disagree, None when nobody judged it or when they differ (``disputed``)."""

    id: int
    code: str
    message: str
    t_s: float
    verdicts: tuple[ReviewerVerdict, ...]
    agree: bool | None = field(init=False)
    disputed: bool = field(init=False)

    def __post_init__(self) -> None:
        given = {v.agree for v in self.verdicts}
        object.__setattr__(self, "agree", next(iter(given)) if len(given) == 1 else None)
        object.__setattr__(self, "disputed", len(given) > 1)

    def by(self, agree: bool) -> tuple[str, ...]:
        """The reviewers who agreed (``agree``) or disagreed."""
        return tuple(v.reviewer for v in self.verdicts if v.agree is agree)

    def of(self, reviewer: str) -> bool | None:
        """That reviewer's verdict (None: they gave none)."""
        return next((v.agree for v in self.verdicts if v.reviewer == reviewer), None)


@dataclass(frozen=True, slots=True)
class RepDetail:
    """A rep, or an attempt (``attempt``: it didn't reach the target and isn't counted)."""

    id: int
    index: int
    side: str | None
    start_s: float
    end_s: float
    attempt: bool
    metrics: dict[str, float]
    faults: tuple[FaultDetail, ...]
    notes: tuple[str, ...]
    not_judged: tuple[NotJudged, ...]


@dataclass(frozen=True, slots=True)
class HoldDetail:
    id: int
    start_s: float
    end_s: float
    duration_s: float
    side: str | None
    faults: tuple[FaultDetail, ...]
    not_judged: tuple[NotJudged, ...]


@dataclass(frozen=True, slots=True)
class SetDetail:
    id: int
    exercise: str
    number: int
    prescribed: str
    started_s: float
    ended_s: float | None
    ended_by: str | None
    definition: str | None  # the exercise as judged (``formcheck.exercises.snapshot`` JSON)
    profile: str  # the calibration profile that set its thresholds ("population", "Eve v3")
    reps: tuple[RepDetail, ...]
    holds: tuple[HoldDetail, ...]


@dataclass(frozen=True, slots=True)
class PainStopDetail:
    set_id: int | None  # None: stopped between sets
    t_s: float


@dataclass(frozen=True, slots=True)
class SessionDetail:
    """Everything recorded about a session (reports, the review screen)."""

    id: int
    person: str
    started: str
    ended: str | None
    source: str
    kind: str
    status: str
    end_reason: str | None
    folder: Path
    sets: tuple[SetDetail, ...]
    pain_stops: tuple[PainStopDetail, ...]
    notes: tuple[str, ...]  # on the whole session (a rep's are on the rep)
    cues: tuple[Cue, ...]
    uid: str
    ratings: tuple[Rating, ...]
    pain_before: int | None
    pain_after: int | None
    flag: str | None  # why it was flagged for the therapist, one reason per line
    programme_uid: str | None
    programme_version: int | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self, dict_factory=_json_fields)


@dataclass(frozen=True, slots=True)
class PostureMinuteDetail:
    minute: int
    upright_s: float
    slouched_s: float
    away_s: float
    ms: dict[str, int]  # every state's milliseconds
    medians: dict[str, float]  # the measures' medians


@dataclass(frozen=True, slots=True)
class PostureReminderDetail:
    """A posture or break reminder: ``outcome`` corrected / not_corrected / paused, None while it
    waits for its response; ``corrected`` None then and when paused."""

    t_s: float
    kind: str
    text: str
    lasted_s: float
    outcome: str | None
    corrected: bool | None
    after_s: float | None


@dataclass(frozen=True, slots=True)
class PostureDetail:
    """A session's posture record (empty for exercise sessions)."""

    minutes: tuple[PostureMinuteDetail, ...]
    reminders: tuple[PostureReminderDetail, ...]

    def as_json(self) -> dict[str, Any]:
        return asdict(self, dict_factory=_json_fields)


def _json_fields(fields: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _json_value(key, value) for key, value in fields}


def _json_value(key: str, value: Any) -> Any:
    if isinstance(value, PurePath):
        return str(value)
    if key == "agree" and value is not None:  # a verdict: the report has always said 1 / 0
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value
