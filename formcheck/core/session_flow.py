"""The flow of one exercise in a live session: set-up check → sets with rests → summary.

Pure logic with explicit time, shared by the app and its tests:

    setup ──(set-up passes for SETUP_PASS_S)──► counting ──(dose reached)──► rest ──► setup ...
      │                                            │
      └──────────────── pain stop / stop ──────────┴──► done

Counting only starts once the person has been seen properly (whole body, right view, enough
light) for a moment, so walking to the mat never counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from formcheck.core.exercise import ExerciseDef

State = Literal["setup", "counting", "rest", "paused", "done"]
SETUP_PASS_S = 1.0


@dataclass(frozen=True, slots=True)
class SetResult:
    number: int
    reps: dict[str, int]
    hold_s: float
    flagged: int
    ended_by: Literal["dose", "stop", "pain"]


@dataclass(slots=True)
class FlowStatus:
    state: State
    set_number: int
    sets_total: int
    rest_left_s: float = 0.0
    setup_message: str = ""


@dataclass
class SessionFlow:
    exercise: ExerciseDef
    sets: list[SetResult] = field(default_factory=list)
    pain_stops: list[int] = field(default_factory=list)  # t_ms of each pain stop
    state: State = "setup"
    _setup_ok_since: int | None = None
    _rest_until: int | None = None
    _paused_from: State | None = None

    @property
    def set_number(self) -> int:
        return min(len(self.sets) + 1, self.exercise.dose.sets)

    def status(self, t_ms: int, setup_message: str = "") -> FlowStatus:
        rest = max(0.0, (self._rest_until - t_ms) / 1000) if self._rest_until else 0.0
        return FlowStatus(self.state, self.set_number, self.exercise.dose.sets, rest, setup_message)

    def on_frame(self, t_ms: int, setup_ok: bool, light_ok: bool = True) -> bool:
        """Advance with one frame's set-up verdict; returns True when reps/holds may count."""
        if self.state == "setup":
            if setup_ok and light_ok:
                self._setup_ok_since = self._setup_ok_since if self._setup_ok_since is not None else t_ms
                if t_ms - self._setup_ok_since >= SETUP_PASS_S * 1000:
                    self.state = "counting"
            else:
                self._setup_ok_since = None
        elif self.state == "rest" and self._rest_until is not None and t_ms >= self._rest_until:
            self.state, self._rest_until, self._setup_ok_since = "setup", None, None
        return self.state == "counting"

    def dose_reached(self, reps: dict[str, int], hold_s: float) -> bool:
        dose = self.exercise.dose
        if dose.reps:
            counts = [reps.get("left", 0), reps.get("right", 0)] if "left" in reps else [reps.get("all", 0)]
            if dose.per_side and "left" in reps:
                return min(counts) >= dose.reps
            return sum(counts) >= dose.reps
        if dose.hold_s:
            return hold_s >= dose.hold_s
        return False

    def end_set(self, t_ms: int, reps: dict[str, int], hold_s: float, flagged: int,
                ended_by: Literal["dose", "stop", "pain"] = "dose") -> SetResult:
        result = SetResult(len(self.sets) + 1, dict(reps), hold_s, flagged, ended_by)
        self.sets.append(result)
        if ended_by == "pain":
            self.pain_stops.append(t_ms)
            self.state = "done"  # the sources: stop on sharp pain — no more sets today
        elif ended_by == "stop" or len(self.sets) >= self.exercise.dose.sets:
            self.state = "done"
        else:
            self.state = "rest"
            self._rest_until = t_ms + int(self.exercise.dose.rest_s * 1000)
        return result

    def skip_rest(self) -> None:
        if self.state == "rest":
            self.state, self._rest_until, self._setup_ok_since = "setup", None, None

    def pause(self) -> None:
        if self.state not in ("paused", "done"):
            self._paused_from, self.state = self.state, "paused"

    def resume(self) -> None:
        if self.state == "paused":
            # Resuming re-checks the set-up: the person may have moved while paused.
            self.state = "setup" if self._paused_from in ("counting", "setup") else (self._paused_from or "setup")
            self._setup_ok_since = None
