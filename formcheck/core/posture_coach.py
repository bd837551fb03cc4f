"""Posture reminders that respect the person, and the minutes the therapist sees.

Rules (all on explicit ``t_ms``; times of day from ``day_ms_at_start``, the local time of day at
t_ms = 0, so nothing here reads a clock):

* a posture reminder only once the same fault has lasted ``after_ms`` (a glance back upright
  shorter than ``upright_grace_ms`` doesn't restart the clock), and never sooner than
  ``min_interval_ms`` after the last reminder;
* none while snoozed or in quiet hours; none while the person is away (nobody in view for
  ``away_ms`` stops every clock: they left, or the camera can't see them);
* a break reminder ("stand up and move") after ``break_after_ms`` of sitting; being away for
  ``break_reset_ms`` counts as the break;
* each reminder gets a response: corrected (upright again within ``response_ms``) or not (a break
  reminder: the person left within ``break_response_ms`` or not) — or "paused" when the watching
  stopped (Pause, or the end) before that time was up: nobody saw, so it counts neither way;
* a pause starts the posture clocks again at the resume; one as long as ``break_reset_ms`` counts
  as the break;
* every minute watched becomes a ``PostureMinute``: time upright, in each fault, away, unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from formcheck.core.posture import MEASURES, PostureMeasures
from formcheck.core.posture_judge import FAULTS, Margins, PostureJudge, State

MINUTE_MS = 60_000
DAY_MS = 86_400_000

REMINDER_TEXT: dict[str, str] = {
    "slouched": "Sit tall: lift your chest and bring your shoulders back over your hips.",
    "forward_head": "Bring your head back over your shoulders, chin slightly in.",
    "head_low": "Lift your head: bring the screen up to eye level and sit tall.",
    "leaning": "Sit evenly on both hips and bring your head back over the middle.",
    "break": "Time for a break: stand up and move for a couple of minutes.",
}


@dataclass(frozen=True, slots=True)
class PostureSettings:
    """Every knob of the posture mode, with the defaults a therapist would start from."""

    # 1 frame per second: posture changes over minutes (a fault must last 2 of them), so a second
    # between samples loses nothing, and the pose model — most of the mode's CPU — runs half as often.
    sample_ms: int = 1000
    calibration_ms: int = 500  # calibrating at 2 fps (the mode's most): 20 samples in 10 seconds
    after_ms: int = 120_000  # a fault must last 2 minutes before a reminder
    min_interval_ms: int = 600_000  # at most one posture reminder per 10 minutes
    upright_grace_ms: int = 10_000  # upright for less than this doesn't restart the clock
    away_ms: int = 10_000  # nobody in view this long: away, every clock stops
    break_after_ms: int = 45 * MINUTE_MS  # sitting this long: stand up and move
    break_reset_ms: int = 3 * MINUTE_MS  # away this long counts as a break
    response_ms: int = 60_000  # back upright within this: the reminder worked
    break_response_ms: int = 5 * MINUTE_MS
    # Quiet hours as (start, end) minutes after local midnight; may wrap midnight, e.g. (1320, 420).
    quiet_hours: tuple[tuple[int, int], ...] = ()
    margins: Margins = field(default_factory=Margins)
    window: int = 3  # samples in the median each moment is judged on


@dataclass(frozen=True, slots=True)
class PostureReminder:
    t_ms: int
    kind: str  # a fault, or "break"
    text: str
    lasted_ms: int  # how long the fault (or the sitting) had lasted


Outcome = Literal["corrected", "not_corrected", "paused"]
OUTCOMES: tuple[Outcome, ...] = ("corrected", "not_corrected", "paused")


@dataclass(frozen=True, slots=True)
class ReminderResponse:
    reminder_t_ms: int
    kind: str
    t_ms: int  # when the response was decided
    outcome: Outcome
    after_ms: int | None  # how long it took when corrected

    @property
    def corrected(self) -> bool:
        return self.outcome == "corrected"


@dataclass(frozen=True, slots=True)
class PostureMinute:
    """One minute of the session clock: milliseconds in each state, and each measure's median."""

    minute: int  # t_ms // 60 000
    ms: dict[str, int]  # per State
    medians: dict[str, float]

    @property
    def upright_ms(self) -> int:
        return self.ms.get("upright", 0)

    @property
    def fault_ms(self) -> int:
        return sum(self.ms.get(k, 0) for k in FAULTS)


PostureEvent = PostureReminder | ReminderResponse | PostureMinute


class PostureCoach:
    """Turns the judged samples into reminders, responses and minutes."""

    def __init__(self, judge: PostureJudge, settings: PostureSettings | None = None,
                 day_ms_at_start: int | None = None) -> None:
        self.judge = judge
        self.settings = settings or PostureSettings()
        self.day_ms_at_start = day_ms_at_start
        self.state: State = "unknown"
        self._last_t: int | None = None  # the last sample while watching (None after ``finish``)
        self._last_sample: int | None = None
        self._fault: str | None = None
        self._fault_since: int | None = None
        self._upright_since: int | None = None
        self._away_since: int | None = None
        self._sitting_since: int | None = None
        self._last_reminder: int | None = None
        self._last_break: int | None = None
        self._snoozed_until = -1
        self._pending: PostureReminder | None = None  # waiting for its response
        self._paused_at: int | None = None  # when the watching last stopped (``finish``)
        self._minute: int | None = None
        self._ms: dict[str, int] = {}
        self._values: dict[str, list[float]] = {}
        self.reminders: list[PostureReminder] = []

    @property
    def last_t_ms(self) -> int | None:
        """The time of the last sample (the coach's own clock, paused or not), None before the first."""
        return self._last_sample

    # ---- the person's controls ---------------------------------------------------------------
    def snooze(self, t_ms: int, for_ms: int) -> None:
        """No reminders until ``t_ms + for_ms``."""
        self._snoozed_until = t_ms + for_ms

    def snoozed(self, t_ms: int) -> bool:
        return t_ms < self._snoozed_until

    def quiet(self, t_ms: int) -> bool:
        if self.day_ms_at_start is None or not self.settings.quiet_hours:
            return False
        minute = ((self.day_ms_at_start + t_ms) % DAY_MS) // MINUTE_MS
        for start, end in self.settings.quiet_hours:
            inside = start <= minute < end if start <= end else (minute >= start or minute < end)
            if inside:
                return True
        return False

    # ---- the samples -------------------------------------------------------------------------
    def update(self, t_ms: int, measures: PostureMeasures | None) -> list[PostureEvent]:
        """One sample (``measures`` None: nobody in view). Returns what it caused, in order."""
        events: list[PostureEvent] = []
        if self._paused_at is not None:  # resumed: the time in between wasn't watched
            if t_ms - self._paused_at >= self.settings.break_reset_ms:
                self._sitting_since = None
            self._paused_at = None
            self.judge.reset()
        elif self._last_t is not None:
            gap = t_ms - self._last_t
            # A gap much longer than the sampling (paused, camera lost) isn't watched time.
            if gap > 4 * self.settings.sample_ms:
                self._reset_clocks()
            else:
                events += self._account(self._last_t, t_ms, self.state)
        self._last_t = self._last_sample = t_ms
        self.state = self.judge.update(measures)
        if measures is not None:
            for name in MEASURES:
                value = measures.value(name)
                if math.isfinite(value):
                    self._values.setdefault(name, []).append(value)
        events += self._respond(t_ms)
        events += self._clocks(t_ms)
        return events

    def finish(self, t_ms: int) -> list[PostureEvent]:
        """The watching stops at ``t_ms`` (a pause, or the end): the time since the last sample,
        the last minute, and a pending reminder's response — "paused", since nobody saw whether
        the person sat up. Samples may follow (a resume): the clocks start again then."""
        events: list[PostureEvent] = []
        if self._last_t is not None and t_ms - self._last_t <= 4 * self.settings.sample_ms:
            events += self._account(self._last_t, t_ms, self.state)
        if self._pending is not None:
            events.append(ReminderResponse(self._pending.t_ms, self._pending.kind, t_ms, "paused", None))
            self._pending = None
        events += self._close_minute()
        self._reset_clocks()
        self._last_t, self._paused_at = None, t_ms
        return events

    def _reset_clocks(self) -> None:
        self._fault = self._fault_since = self._upright_since = None
        self._away_since = None

    def _clocks(self, t_ms: int) -> list[PostureEvent]:
        s = self.settings
        state = self.state
        if state == "away":
            self._away_since = self._away_since if self._away_since is not None else t_ms
            away_for = t_ms - self._away_since
            if away_for >= s.away_ms:
                self._fault = self._fault_since = None
            if away_for >= s.break_reset_ms:
                self._sitting_since = None
            return []
        self._away_since = None
        if self._sitting_since is None:
            self._sitting_since = t_ms
        if state == "unknown":
            return []
        if state == "upright":
            self._upright_since = self._upright_since if self._upright_since is not None else t_ms
            if t_ms - self._upright_since >= s.upright_grace_ms:
                self._fault = self._fault_since = None
        else:
            self._upright_since = None
            if state != self._fault:
                self._fault, self._fault_since = state, t_ms
        events: list[PostureEvent] = []
        quiet = self.snoozed(t_ms) or self.quiet(t_ms) or self._pending is not None
        if (self._fault is not None and self._fault_since is not None and state == self._fault and not quiet
                and t_ms - self._fault_since >= s.after_ms
                and (self._last_reminder is None or t_ms - self._last_reminder >= s.min_interval_ms)):
            events.append(self._remind(t_ms, self._fault, t_ms - self._fault_since))
            self._last_reminder = t_ms
            self._fault_since = t_ms  # the next one only if it goes on (and the interval has passed)
        elif (not quiet and self._sitting_since is not None and t_ms - self._sitting_since >= s.break_after_ms
              and (self._last_break is None or t_ms - self._last_break >= s.break_after_ms)):
            events.append(self._remind(t_ms, "break", t_ms - self._sitting_since))
            self._last_break = t_ms
        return events

    def _remind(self, t_ms: int, kind: str, lasted_ms: int) -> PostureReminder:
        reminder = PostureReminder(t_ms, kind, REMINDER_TEXT[kind], lasted_ms)
        self.reminders.append(reminder)
        self._pending = reminder
        return reminder

    def _respond(self, t_ms: int) -> list[PostureEvent]:
        p = self._pending
        if p is None:
            return []
        elapsed = t_ms - p.t_ms
        if p.kind == "break":
            done = self.state == "away"
            window = self.settings.break_response_ms
        else:
            done = self.state == "upright"
            window = self.settings.response_ms
        if done and elapsed <= window:
            self._pending = None
            return [ReminderResponse(p.t_ms, p.kind, t_ms, "corrected", elapsed)]
        if elapsed >= window:
            self._pending = None
            return [ReminderResponse(p.t_ms, p.kind, t_ms, "not_corrected", None)]
        return []

    # ---- minutes -----------------------------------------------------------------------------
    def _account(self, start: int, end: int, state: State) -> list[PostureEvent]:
        """Credit [start, end) to ``state``, closing each minute the interval runs past."""
        events: list[PostureEvent] = []
        while start < end:
            minute = start // MINUTE_MS
            if self._minute is not None and minute != self._minute:
                events += self._close_minute()
            self._minute = minute
            stop = min(end, (minute + 1) * MINUTE_MS)
            self._ms[state] = self._ms.get(state, 0) + stop - start
            start = stop
        return events

    def _close_minute(self) -> list[PostureEvent]:
        if self._minute is None or not self._ms:
            self._minute = None
            return []
        medians = {k: round(float(np.median(v)), 3) for k, v in self._values.items() if v}
        minute = PostureMinute(self._minute, dict(self._ms), medians)
        self._minute, self._ms, self._values = None, {}, {}
        return [minute]
