"""The lines of a session's events.jsonl as typed, checked records: sets, reps, attempts, holds,
cues, ratings, flags and the posture lines.

The file comes from the session's folder (``session_folder``), which may come from another
computer or be damaged: each line is read only through ``parse_event`` (bounded by
``formcheck.untrusted``), so the recorder, repair, bundle import, reports and re-judging all see
the same checked values.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from formcheck.core.posture_coach import MINUTE_MS, OUTCOMES
from formcheck.exercises.snapshot import checked, from_json
from formcheck.exercises.toml_reader import EXERCISE_ID
from formcheck.records.session_folder import EVENTS_FILE, Lines, read_lines
from formcheck.untrusted import (
    EVENTS_BYTES,
    ITEM_INDEX,
    NAME_CHARS,
    NUMBER,
    SCORE,
    SESSION_S,
    SET_NUMBER,
    Fields,
    Refused,
    number,
)


@dataclass(frozen=True, slots=True)
class Fault:
    code: str
    message: str
    t_s: float


@dataclass(frozen=True, slots=True)
class NotJudged:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class SetStart:
    t_s: float
    exercise: str
    number: int
    prescribed: str
    profile: str | None = None
    definition: str | None = None  # the exercise as judged (``formcheck.exercises.snapshot`` JSON), checked


@dataclass(frozen=True, slots=True)
class Cue:
    t_s: float
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class PainStop:
    t_s: float


@dataclass(frozen=True, slots=True)
class Rating:
    kind: str  # pain, effort
    moment: str
    exercise: str | None
    score: int
    t_s: float


@dataclass(frozen=True, slots=True)
class Flag:
    reason: str
    t_s: float = 0.0


@dataclass(frozen=True, slots=True)
class RepLine:
    attempt: bool
    index: int
    side: str | None
    start_s: float
    end_s: float
    metrics: dict[str, float] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """As ``results_json`` writes a rep (without its line's type)."""
        return {"index": self.index, "side": self.side, "start_s": self.start_s, "end_s": self.end_s,
                "faults": [asdict(f) for f in self.faults], "not_judged": [asdict(n) for n in self.not_judged],
                "metrics": dict(self.metrics)}


@dataclass(frozen=True, slots=True)
class HoldLine:
    start_s: float
    end_s: float
    duration_s: float
    side: str | None
    faults: tuple[Fault, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "duration_s": self.duration_s, "side": self.side,
                "faults": [asdict(f) for f in self.faults], "not_judged": [asdict(n) for n in self.not_judged]}


@dataclass(frozen=True, slots=True)
class SetEnd:
    t_s: float
    ended_by: str


@dataclass(frozen=True, slots=True)
class PostureStartLine:
    """A posture session's first line: the view, the model and the settings and baseline it watched
    with (numbers only, checked; kept in the folder for the therapist, not indexed)."""

    t_s: float
    view: str
    model: str


@dataclass(frozen=True, slots=True)
class PostureMinuteLine:
    """One minute of a posture session: milliseconds in each state, and the measures' medians."""

    minute: int
    ms: dict[str, int]
    medians: dict[str, float]


@dataclass(frozen=True, slots=True)
class PostureReminderLine:
    t_s: float
    kind: str
    text: str
    lasted_s: float


@dataclass(frozen=True, slots=True)
class PostureResponseLine:
    reminder_t_s: float
    kind: str
    t_s: float
    outcome: str  # corrected, not_corrected, paused
    after_s: float | None


Event = (SetStart | Cue | PainStop | Rating | Flag | RepLine | HoldLine | SetEnd | PostureStartLine
         | PostureMinuteLine | PostureReminderLine | PostureResponseLine)


def parse_event(data: Any, where: str = EVENTS_FILE) -> Event | None:
    """One line of events.jsonl as a typed event; None for a type this version doesn't index."""
    f = Fields(data, where)
    kind = f.text("type", max_chars=NAME_CHARS)
    if kind == "set_start":
        return SetStart(f.seconds("t_s"), f.get("exercise", _exercise_id), f.whole("number", SET_NUMBER),
                        f.text("prescribed", max_chars=NAME_CHARS), f.text("profile", None, NAME_CHARS),
                        f.get("definition", _definition, None))
    if kind == "cue":
        return Cue(f.seconds("t_s"), f.text("kind", max_chars=NAME_CHARS), f.text("text"))
    if kind == "pain_stop":
        return PainStop(f.seconds("t_s"))
    if kind in ("pain", "effort"):
        return Rating(kind, f.text("moment", max_chars=NAME_CHARS), f.get("exercise", _exercise_id, None),
                      f.whole("score", SCORE), f.seconds("t_s"))
    if kind == "flag":
        return Flag(f.text("reason"), f.seconds("t_s", 0.0))
    if kind in ("rep", "attempt"):
        start, end = f.seconds("start_s"), f.seconds("end_s")
        if end < start:
            raise Refused(f"{where}: the {kind} ends ({end:g} s) before it starts ({start:g} s)")
        return RepLine(kind == "attempt", f.whole("index", ITEM_INDEX), f.text("side", None, NAME_CHARS), start, end,
                       _metrics(f), _faults(f), _not_judged(f))
    if kind == "hold":
        start, end = f.seconds("start_s"), f.seconds("end_s")
        if end < start:
            raise Refused(f"{where}: the hold ends ({end:g} s) before it starts ({start:g} s)")
        return HoldLine(start, end, f.number("duration_s", 0.0, SESSION_S), f.text("side", None, NAME_CHARS),
                        _faults(f), _not_judged(f))
    if kind == "set_end":
        return SetEnd(f.seconds("t_s"), f.text("ended_by", max_chars=NAME_CHARS))
    if kind == "posture_start":
        for key, limit in (("baseline", NUMBER), ("settings", SESSION_S * 1000)):  # settings are in ms
            if (part := f.object(key)) is not None:
                _bounded_numbers(part.data, f"{where}: {key}", limit)
        return PostureStartLine(f.seconds("t_s"), f.text("view", "", NAME_CHARS), f.text("model", "", NAME_CHARS))
    if kind == "posture_minute":
        return PostureMinuteLine(f.whole("minute", (0, int(SESSION_S // 60))), _posture_ms(f), _metrics(f, "medians"))
    if kind == "posture_reminder":
        return PostureReminderLine(f.seconds("t_s"), f.text("kind", max_chars=NAME_CHARS), f.text("text"),
                                   f.seconds("lasted_s"))
    if kind == "posture_response":
        return PostureResponseLine(f.seconds("reminder_t_s"), f.text("kind", max_chars=NAME_CHARS), f.seconds("t_s"),
                                   f.choice("outcome", OUTCOMES), f.seconds("after_s", None))
    return None


def _posture_ms(f: Fields) -> dict[str, int]:
    """A posture minute's milliseconds per state: at most a minute each."""
    ms = f.object("ms")
    if ms is None:
        return {}
    if len(ms.data) > 16:
        raise Refused(f"{ms.where} has more than 16 entries")
    return {str(k)[:NAME_CHARS]: ms.whole(k, (0, MINUTE_MS)) for k in ms.data if ms.data[k] is not None}


def _exercise_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > NAME_CHARS or not EXERCISE_ID.fullmatch(value):
        raise Refused(f"{what} must be an exercise id (lower-case letters, digits and _), got {str(value)[:60]!r}")
    return value


def _metrics(f: Fields, key: str = "metrics") -> dict[str, float]:
    metrics = f.object(key)
    if metrics is None:
        return {}
    if len(metrics.data) > 64:
        raise Refused(f"{metrics.where} has more than 64 entries")
    # Checked, but kept as written: a whole-number percentage stays 184, not 184.0.
    return {str(k)[:NAME_CHARS]: metrics.get(k, _as_written) for k in metrics.data if metrics.data[k] is not None}


def _as_written(value: Any, what: str) -> float:
    number(value, -NUMBER, NUMBER, what)
    return value


def _faults(f: Fields) -> tuple[Fault, ...]:
    out = []
    for i, item in enumerate(f.items("faults", 64)):
        x = Fields(item, f"{f.where}: faults[{i}]")
        out.append(Fault(x.text("code", max_chars=NAME_CHARS), x.text("message"), x.seconds("t_s")))
    return tuple(out)


def _not_judged(f: Fields) -> tuple[NotJudged, ...]:
    out = []
    for i, item in enumerate(f.items("not_judged", 64)):
        x = Fields(item, f"{f.where}: not_judged[{i}]")
        out.append(NotJudged(x.text("code", max_chars=NAME_CHARS), x.text("reason")))
    return tuple(out)


def _definition(value: Any, what: str) -> str:
    """A set's exercise definition (snapshot JSON), checked like an exercise file's numbers: what
    a report draws and a re-judging runs must be finite, bounded and make sense."""
    _bounded_numbers(value, what)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    try:
        exercise = checked(from_json(text))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Refused(f"{what} is not an exercise definition ({exc})") from exc
    rep = exercise.rep
    if rep is not None and (rep.hysteresis < 0 or rep.min_phase_s < 0 or rep.min_rest_s < 0
                            or abs(rep.target - rep.start) <= 2 * rep.hysteresis):
        raise Refused(f"{what}: its rep must have a hysteresis of 0 or more and a target more than twice "
                      "that from its start")
    return text


def _bounded_numbers(value: Any, what: str, limit: float = NUMBER) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _bounded_numbers(v, what, limit)
    elif isinstance(value, list):
        for v in value:
            _bounded_numbers(v, what, limit)
    elif isinstance(value, float | int) and not isinstance(value, bool):
        if not (math.isfinite(value) and abs(value) <= limit):
            raise Refused(f"{what} holds the number {value!r}; numbers must lie within ±{limit:g}")


def read_events(folder: Path, strict: bool = False) -> Lines:
    """The session's events, in order. ``Refused`` when events.jsonl can't be read at all; with
    ``strict`` also for any line that isn't a valid event (else it is listed in ``problems``)."""
    return read_lines(folder / EVENTS_FILE, EVENTS_BYTES, parse_event, strict)
