"""Live coaching of one exercise: the set-up check, sets and rests around the exercise tracker.

Pure logic with explicit time, run on the pipeline's thread frame by frame:

    setup ──(seen properly for SETUP_PASS_S, starting position seen)──► counting
      ▲                                                                        │
      └──── rest ◄──(dose reached, or End set, while sets remain)──────────────┤
                                                                               ▼
                                          done ◄──(last set, pain stop, video ended, camera lost)

Counting starts only once the person is seen properly *and* has been in the starting position, so
walking to the mat never counts; a rep that began from the starting position just before the
hand-over counts when it ends, so the first rep is never lost. Every frame gives a
``CoachFrame``: what to show (status, counter, banner), what to say, and the events that
happened, so the window, the voice and the recorder never read the tracker themselves.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from formcheck.core.cues import CueConfig
from formcheck.core.events import (
    CueRaised,
    Event,
    ExerciseEnded,
    PainStopped,
    SessionFlagged,
    SetEnd,
    SetEnded,
    SetStarted,
    SetSummary,
)
from formcheck.core.exercise import ExerciseDef
from formcheck.core.holds import HoldRecord
from formcheck.core.kinematics import ViewEstimate
from formcheck.core.landmarks import PoseResult
from formcheck.core.overlay import CUE_LEVELS, Overlay
from formcheck.core.reps import RepRecord
from formcheck.core.tracker import ExerciseTracker, FrameEvaluation
from formcheck.core.wording import SET_END_WORDS, done_banner, not_judged_count

State = Literal["setup", "counting", "rest", "paused", "done"]
BannerKind = Literal["info", "setup", "fault", "positive", "milestone"]

SETUP_PASS_S = 1.0
TRIED_MS = 5000  # seen this long with no set started: the person tried, and the therapist is told why
DARK_MESSAGE = "Turn on more light"
HOLD_STILL = "Hold still — checking your set-up"
PAIN_MESSAGE = "Stopped. Rest now — if the pain is sharp or doesn't settle, talk to your therapist."


@dataclass(frozen=True, slots=True)
class FlowStatus:
    state: State
    set_number: int
    sets_total: int
    rest_left_s: float = 0.0
    setup_message: str = ""


@dataclass(frozen=True, slots=True)
class CoachFrame:
    """Everything the screen, the voice and the recorder need about one frame."""

    t_ms: int
    status: FlowStatus
    evaluation: FrameEvaluation | None  # None for a frame made by a command (no new pose)
    counts: dict[str, int]  # this set's reps per side; while resting, the set just finished
    hold_s: float
    banner: str
    banner_kind: BannerKind
    say: tuple[str, ...] = ()  # to speak now, in order
    urgent: bool = False  # interrupt whatever is being said (pain stop)
    events: tuple[Event, ...] = ()


def summarise_set(number: int, tracker: ExerciseTracker, ended_by: SetEnd) -> SetSummary:
    """The finished set's figures. 'Flagged' = a completed rep or a hold with at least one fault."""
    items: list[RepRecord | HoldRecord] = [*tracker.reps, *tracker.holds]
    flagged = [r for r in items if r.faults]
    faults = Counter(msg for r in flagged for msg, _t in r.faults.values())
    hold_s = sum(h.held_ms for h in tracker.holds) / 1000
    unjudged = sum(1 for r in items if r.not_judged)
    return SetSummary(number, tracker.rep_counts(), hold_s, len(flagged), dict(faults), ended_by, len(tracker.attempts),
                      unjudged, tracker.why_none())


def set_text(exercise: ExerciseDef, s: SetSummary) -> str:
    """One line for a finished set: what was done, how many reps were flagged and why."""
    parts = []
    if exercise.rep is not None:
        parts.append(" ".join(f"{v} rep{'' if v == 1 else 's'}" if k == "all" else f"{k} {v}" for k, v in s.reps.items()))
    if exercise.hold is not None:
        parts.append(f"held {s.hold_s:.0f} s")
    text = f"Set {s.number}: " + ", ".join(parts)
    if s.flagged:
        why = ", ".join(f"{msg} ×{n}" for msg, n in sorted(s.faults.items(), key=lambda kv: -kv[1]))
        text += f", {s.flagged} flagged ({why})"
    if s.not_judged:
        text += f", {not_judged_count(s.not_judged)}"
    if s.why_none:
        text += f" — nothing counted. {s.why_none}"
    return text + SET_END_WORDS[s.ended_by]


def summary_text(exercise: ExerciseDef, sets: tuple[SetSummary, ...] | list[SetSummary], why: str = "") -> str:
    """The exercise's sets, a line each; with no set, ``why`` none started."""
    head = f"{exercise.name}: {len(sets)} set(s)" + (f" — {why}" if why and not sets else "")
    return "\n".join([head, *("  " + set_text(exercise, s) for s in sets)])


@dataclass
class Coach:
    exercise: ExerciseDef
    cue_config: CueConfig | None = None
    sets: list[SetSummary] = field(default_factory=list)
    state: State = "setup"

    def __post_init__(self) -> None:
        self.tracker = ExerciseTracker(self.exercise, self.cue_config)
        self.tracker.counting = False
        self._t = 0
        self._setup_ok_since: int | None = None
        self._rest_until: int | None = None
        self._rest_left_ms = 0  # frozen while paused
        self._paused_from: State | None = None
        self._was_dark = False
        self._banner: tuple[str, BannerKind] = (HOLD_STILL, "setup")
        self._setup_message = ""
        self._last_eval: FrameEvaluation | None = None
        self._first_t: int | None = None  # this coach's first frame
        self._setup_seen: Counter[str] = Counter()

    # ---- what to say first -------------------------------------------------------------------
    def intro(self) -> str:
        cue = self.exercise.setup.position_cue if self.exercise.setup else ""
        return f"{self.exercise.name}. {cue}".strip()

    def why_no_set(self) -> str:
        """No set started: what the set-up kept asking for, in words ("" once a set has run)."""
        if self.sets or not self._setup_seen:
            return ""
        message = self._setup_seen.most_common(1)[0][0]
        return f"the set never started: {message[0].lower()}{message[1:]}"

    @property
    def set_number(self) -> int:
        return min(len(self.sets) + 1, self.exercise.dose.sets)

    # ---- per frame ---------------------------------------------------------------------------
    def update(self, result: PoseResult, view: ViewEstimate | None, light_ok: bool = True) -> CoachFrame:
        t = self._t = result.t_ms
        self._first_t = t if self._first_t is None else self._first_t
        ev = self.tracker.update(result, view)
        self._last_eval = ev
        events: list[Event] = list(ev.events)
        say: list[str] = []
        if self.state == "rest" and self._rest_until is not None and t >= self._rest_until:
            self.state, self._rest_until, self._setup_ok_since = "setup", None, None
            say.append(f"Get ready for set {self.set_number}")
        if self.state == "setup":
            self._setup(t, ev, light_ok, events, say)
        elif self.state == "counting":
            if self._dose_reached(ev):
                # The set's summary speaks for its last rep; that rep's own fault cue goes first
                # when the summary names another.
                cue = next((e.cue.text for e in ev.events if isinstance(e, CueRaised) and e.cue.kind == "fault"), "")
                return self._end_set("dose", events, say, last_cue=cue)
            say.extend(e.cue.text for e in ev.events if isinstance(e, CueRaised))
        return self._frame(ev, events, say)

    def _setup(self, t: int, ev: FrameEvaluation, light_ok: bool, events: list[Event], say: list[str]) -> None:
        seen = ev.setup is None and light_ok
        if ev.setup is not None:
            message = ev.setup.text
        elif not light_ok:
            message = DARK_MESSAGE
        elif not self.tracker.ready():
            message = self.exercise.setup.position_cue if self.exercise.setup else "Get into the starting position"
        else:
            message = ""
        if not light_ok and not self._was_dark:
            say.append(DARK_MESSAGE)
        self._was_dark = not light_ok
        say.extend(e.cue.text for e in ev.events if isinstance(e, CueRaised) and e.cue.kind == "setup")
        self._setup_message = message
        if message and not self.sets:
            self._setup_seen[message] += 1  # what kept the first set from starting
        if not seen:
            self._setup_ok_since = None
            return
        if self._setup_ok_since is None:
            self._setup_ok_since = t
        if t - self._setup_ok_since >= SETUP_PASS_S * 1000 and self.tracker.ready():
            self.tracker.begin_counting()
            self.state = "counting"
            self._setup_message = ""
            events.append(SetStarted(t, self.exercise, self.set_number))
            say.append(f"Go — set {self.set_number}")

    def _dose_reached(self, ev: FrameEvaluation) -> bool:
        dose = self.exercise.dose
        if dose.reps:
            counts = [ev.reps.get("left", 0), ev.reps.get("right", 0)] if "left" in ev.reps else [ev.reps.get("all", 0)]
            if dose.per_side:  # counted per side, or (one counter for both legs) twice over
                return min(counts) >= dose.reps if "left" in ev.reps else sum(counts) >= 2 * dose.reps
            return sum(counts) >= dose.reps
        if dose.hold_s:
            return ev.hold_s >= dose.hold_s
        return False

    def snapshot(self) -> CoachFrame:
        """The current status without a new frame (e.g. before the first frame arrives)."""
        return self._frame(None, [], [])

    # ---- commands (applied on the pipeline's thread, between frames) ---------------------------
    def end_set(self) -> CoachFrame:
        """'End set': this set ends now; rest follows while sets remain."""
        if self.state not in ("counting", "paused") or self._paused_from not in (None, "counting"):
            return self._frame(None, [], [])
        return self._end_set("stop", [], [])

    def pain_stop(self) -> CoachFrame:
        """'Stop — it hurts': the set ends at once and no more sets follow today."""
        if self.state == "done":
            return self._frame(None, [], [])
        events: list[Event] = [PainStopped(self._t)]
        if self.counting:
            return self._end_set("pain", events, [PAIN_MESSAGE], urgent=True)
        self.state = "done"
        events += [*self._not_started("pain"), ExerciseEnded(self._t, self.exercise, tuple(self.sets), "pain", self.why_no_set())]
        self._banner = ("Stopped — rest now", "setup")
        return self._frame(None, events, [PAIN_MESSAGE], urgent=True)

    def source_ended(self, reason: SetEnd) -> CoachFrame:
        """The video ended or the camera was lost: a set under way ends and is kept."""
        if self.state == "done":
            return self._frame(None, [], [])
        if self.counting:
            return self._end_set(reason, [], [], final=True)
        self.state = "done"
        events: list[Event] = [*self._not_started(reason),
                               ExerciseEnded(self._t, self.exercise, tuple(self.sets), reason, self.why_no_set())]
        self._banner = (self._done_banner(reason), "info")
        return self._frame(None, events, [])

    def attempt_flag(self) -> SessionFlagged | None:
        """For the therapist: the person was seen trying for a while and no set started, and why
        (the set-up message they were last given); None otherwise."""
        if self.sets or self._first_t is None or self._t - self._first_t < TRIED_MS:
            return None
        why = self._setup_message or HOLD_STILL
        return SessionFlagged(self._t, f"tried {self.exercise.name} for {(self._t - self._first_t) / 1000:.0f} s; "
                                       f"nothing was counted: the set never started (set-up said: {why})")

    def _not_started(self, reason: SetEnd) -> list[Event]:
        flag = self.attempt_flag() if reason != "stop" else None  # "stop": another exercise was chosen
        return [flag] if flag is not None else []

    def skip_rest(self) -> CoachFrame:
        if self.state == "rest":
            self.state, self._rest_until, self._setup_ok_since = "setup", None, None
        return self._frame(None, [], [])

    def pause(self) -> CoachFrame:
        if self.state not in ("paused", "done"):
            self._paused_from, self.state = self.state, "paused"
            if self._rest_until is not None:
                self._rest_left_ms = max(0, self._rest_until - self._t)
        return self._frame(None, [], [])

    def resume(self, t_ms: int) -> CoachFrame:
        """Carry on where the pause began (a set under way goes on; a rest keeps its time left)."""
        if self.state == "paused":
            self.state, self._paused_from = self._paused_from or "setup", None
            self._t = max(self._t, t_ms)
            if self.state == "rest":
                self._rest_until = self._t + self._rest_left_ms
            self._setup_ok_since = None
        return self._frame(None, [], [])

    # ---- internals ---------------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        """A set is under way (counting, or paused in the middle of one)."""
        return self.state == "counting" or (self.state == "paused" and self._paused_from == "counting")

    def _end_set(self, ended_by: SetEnd, events: list[Event], say: list[str], *, urgent: bool = False,
                 final: bool = False, last_cue: str = "") -> CoachFrame:
        t = self._t
        events.extend(self.tracker.end_counting(t))
        summary = summarise_set(self.set_number, self.tracker, ended_by)
        self.sets.append(summary)
        events.append(SetEnded(t, summary))
        last = final or ended_by == "pain" or len(self.sets) >= self.exercise.dose.sets
        verdict = self._verdict(summary)
        lead = f"{last_cue}. " if last_cue and last_cue not in verdict else ""
        if last:
            self.state = "done"
            events.append(ExerciseEnded(t, self.exercise, tuple(self.sets), ended_by))
            self._banner = (self._done_banner(ended_by), "setup" if ended_by == "pain" else "info")
            if ended_by != "pain":
                say.append(f"{lead}{self._done_banner(ended_by)}. {verdict}".strip())
        else:
            self.state = "rest"
            self._paused_from = None
            self._rest_until = t + int(self.exercise.dose.rest_s * 1000)
            say.append(f"{lead}Set {summary.number} done. {verdict} Rest {self.exercise.dose.rest_s:.0f} seconds.")
        return self._frame(None, events, say, urgent=urgent, counts=summary.reps, hold_s=summary.hold_s)

    def _verdict(self, s: SetSummary) -> str:
        done = s.rep_total if self.exercise.rep is not None else len(self.tracker.holds)
        if not s.flagged:
            return "Well done." if done else ""
        top = max(s.faults.items(), key=lambda kv: kv[1])[0]
        what = "reps" if self.exercise.rep is not None else "holds"
        return f"{s.flagged} of {done} {what} need work: {top}."

    def _done_banner(self, reason: SetEnd) -> str:
        return done_banner(reason)

    def _frame(self, ev: FrameEvaluation | None, events: list[Event], say: list[str], *, urgent: bool = False,
               counts: dict[str, int] | None = None, hold_s: float | None = None) -> CoachFrame:
        last = self._last_eval
        if counts is None:
            if self.state in ("rest", "done") and self.sets:
                counts, hold_s = self.sets[-1].reps, self.sets[-1].hold_s
            elif self.state in ("counting", "paused") and last is not None:
                counts, hold_s = last.reps, last.hold_s
            else:
                counts, hold_s = self.tracker.rep_counts(), 0.0
        rest_left = max(0.0, (self._rest_until - self._t) / 1000) if self._rest_until else 0.0
        if self.state == "paused" and self._paused_from == "rest":
            rest_left = self._rest_left_ms / 1000
        status = FlowStatus(self.state, self.set_number, self.exercise.dose.sets, rest_left, self._setup_message)
        banner = self._banner_for(status, last)
        return CoachFrame(self._t, status, ev, dict(counts), hold_s or 0.0, banner[0], banner[1], tuple(say),
                          urgent, tuple(events))

    def _banner_for(self, status: FlowStatus, ev: FrameEvaluation | None) -> tuple[str, BannerKind]:
        if status.state == "setup":
            return (status.setup_message or HOLD_STILL, "setup")
        if status.state == "rest":
            return (f"Rest {status.rest_left_s:.0f} s — then set {status.set_number} of {status.sets_total}",
                    "milestone")
        if status.state == "paused":
            return ("Paused", "info")
        if status.state == "done":
            return self._banner
        cue = ev.cue if ev is not None else None
        return (cue.text, cue.kind) if cue is not None else ("", "info")

    # ---- what is drawn on the video ------------------------------------------------------------
    def overlay(self, frame: CoachFrame) -> Overlay:
        """The heads-up display drawn on the video: the same figures as the panel beside it."""
        ex = self.exercise
        done = frame.status.state in ("rest", "done") and self.sets
        lines: list[str] = [f"Set {self.sets[-1].number}/{frame.status.sets_total} done" if done
                            else f"Set {frame.status.set_number}/{frame.status.sets_total}"]
        target = f"/{ex.dose.reps}" if ex.dose.reps else ""
        if ex.rep is not None:
            if ex.rep.alternating:
                lines.append(f"L {frame.counts.get('left', 0)}{target}  R {frame.counts.get('right', 0)}{target}")
            else:
                lines.append(f"Reps {frame.counts.get('all', 0)}{target}")
        progress = None
        if ex.hold is not None:
            hold_target = ex.dose.hold_s or 0.0
            lines.append(f"Hold {frame.hold_s:.0f}/{hold_target:.0f} s")
            progress = min(1.0, frame.hold_s / hold_target) if hold_target else None
        ev = self._last_eval
        if frame.status.state == "counting" and ex.rep is not None and ev is not None:
            v = ev.values.get(ex.rep.measure, math.nan)
            if not math.isnan(v):
                lines.append(f"{ex.rep.measure.replace('_', ' ')} {v:.0f}")
        level = CUE_LEVELS.get(frame.banner_kind, "info")
        segments = self.tracker.segment_status() if frame.status.state == "counting" else {}
        return Overlay(title=ex.name, lines=tuple(lines), cue=frame.banner, cue_level=level,
                       segment_status=segments, progress=progress)
