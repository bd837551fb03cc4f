"""The exercise engine: one ``ExerciseTracker`` per exercise, fed one pose per frame.

``update(result, view)`` gates on set-up, measures, runs the rep counter(s) or the hold timer,
judges the form rules, schedules cues, and returns the frame's ``FrameEvaluation`` with the events
that happened (reps, holds, faults, cues). ``reps``, ``attempts`` and ``holds`` keep the finished
records; ``overlay()`` is what ``analyze`` draws. Nothing here reads the clock: time comes with
each pose.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from formcheck.core.body import screen
from formcheck.core.cues import Cue, CueCandidate, CueConfig, CueScheduler
from formcheck.core.events import CueRaised, Event, FaultClosed, FaultOpened, HoldEnded, RepCompleted
from formcheck.core.exercise import SEVERITY_INFO, ExerciseDef, RuleDef
from formcheck.core.gating import SetupIssue, ViewVote, setup_issue
from formcheck.core.holds import HoldRecord, HoldTimer
from formcheck.core.kinematics import Side, ViewEstimate, facing_side, landmark_index, point
from formcheck.core.landmarks import Pose, PoseResult
from formcheck.core.overlay import Overlay, Status
from formcheck.core.reps import PEAK_BAND, RepCounter, RepRecord
from formcheck.core.rules import FRAME_KINDS, REP_KINDS, FrameContext, frame_fault, rep_fault, rule_side
from formcheck.core.wording import NO_RESTING_VALUE, not_judged_cue

# A set-up problem that lasts longer than this abandons the rep or hold in progress.
GATE_GRACE_MS = 1000
BASELINE_FRAMES = 10  # a relative rule's starting value: the median of the last frames at rest
SIDE_VOTE_FRAMES = 15


@dataclass(frozen=True, slots=True)
class FrameEvaluation:
    t_ms: int
    setup: SetupIssue | None
    side: Side | None
    phase: str  # setup | unready | rest | moving | top | settling | hold
    values: dict[str, float]
    faults: tuple[str, ...]  # fault codes active (persisted) this frame
    reps: dict[str, int]  # completed reps per side ("all" when not alternating)
    hold_s: float
    cue: Cue | None  # cue on display
    new_cue: Cue | None  # cue that appeared this frame (to speak)
    events: tuple[Event, ...] = ()  # what happened on this frame


class ExerciseTracker:
    def __init__(self, exercise: ExerciseDef, cue_config: CueConfig | None = None) -> None:
        self.exercise = exercise
        self.cues = CueScheduler(cue_config)
        # While False (set-up, rest) the counters still follow the movement, so a set can start
        # from a known rest position, but nothing is recorded, judged or cued except set-up.
        self.counting = True
        self._frame_rules = tuple(r for r in exercise.rules if r.kind in FRAME_KINDS and r.phase != "peak")
        self._peak_rules = tuple(r for r in exercise.rules if r.kind in FRAME_KINDS and r.phase == "peak")
        self._rep_rules = tuple(r for r in exercise.rules if r.kind in REP_KINDS)
        self.reset()

    # ---- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        ex = self.exercise
        self.counters: dict[str, RepCounter] = {}
        if ex.rep is not None:
            sides = ("left", "right") if ex.rep.alternating else ("all",)
            self.counters = {s: RepCounter(ex.rep, None if s == "all" else s) for s in sides}
        self.hold_timer = HoldTimer(ex.hold) if ex.hold is not None else None
        self.reps: list[RepRecord] = []
        self.attempts: list[RepRecord] = []
        self.holds: list[HoldRecord] = []
        self.cues.reset()
        self._views = ViewVote()
        self._sides: deque[Side] = deque(maxlen=SIDE_VOTE_FRAMES)
        self._violating_since: dict[str, int] = {}
        self._anchors: dict[str, np.ndarray] = {}
        self._gated_since: int | None = None
        self._last: FrameEvaluation | None = None
        self._rule_status: dict[str, bool | None] = {}
        self._in_position = False
        self._open_faults: set[str] = set()
        self._camera_view: str | None = None
        self._last_pose: Pose | None = None
        self._at_rest: dict[str, deque[tuple[int, float]]] = {}
        self._events: list[Event] = []
        self._cued_in_rep: set[str] = set()

    def begin_counting(self) -> None:
        """Start a set: records cleared, counters keep following the movement from where it is."""
        self.reps, self.attempts, self.holds = [], [], []
        if self.hold_timer is not None:
            self.hold_timer.reset(fresh=True)
        self.cues.reset()
        self.counting = True

    def end_counting(self, t_ms: int) -> list[Event]:
        """End a set: a hold still running is closed; returns its event (if long enough to keep)."""
        self._events = []
        self.finish()
        self.counting = False
        self._close_faults(t_ms, set())
        self.cues.reset()
        events, self._events = self._events, []
        return events

    def ready(self) -> bool:
        """The counters have seen the starting position, so a set may start now: a rep already
        under way began from rest and will count when it ends."""
        return all(c.state != "unready" for c in self.counters.values())

    # ---- per frame ---------------------------------------------------------------------------
    def update(self, result: PoseResult, view: ViewEstimate | None) -> FrameEvaluation:
        t = result.t_ms
        body = self.exercise.body
        if body is not None and result.pose is not None:  # the person's own limbs, or not judged
            result = PoseResult(t, result.width, result.height, screen(result.pose, body)[0])
        self._last_pose = result.pose
        voted_view = self._views.add(t, view)
        side = self._track_side(result)
        # The camera view is a set-up check: once a rep or hold is under way the body turns (a
        # twist, an oblique plank) and the view estimate wobbles, but the camera hasn't moved.
        moving = self._in_rep() or (self.hold_timer is not None and self.hold_timer.current is not None)
        issue = setup_issue(result, None if moving else voted_view, self.exercise.setup, side)
        if not moving and voted_view is not None:
            self._camera_view = voted_view  # where the camera is, as seen before the movement
        events: list[CueCandidate] = []
        conditions: list[CueCandidate] = []
        values: dict[str, float] = {}
        active: list[str] = []
        self._events = []

        if issue is not None or result.pose is None:
            self._gated(t, events)
            if issue is not None:
                conditions.append(CueCandidate(issue.key, issue.text, 3, "setup"))
            self._violating_since.clear()
            self._rule_status = {}
            phase = "setup"
        else:
            self._gated_since = None
            ctx = FrameContext(
                result.pose, side, self.exercise.measures, self._min_conf(), self._anchors
            )
            values = {n: ctx.value(n) for n in self.exercise.measures}
            phase = self._advance(t, ctx, events)
            ctx = FrameContext(
                result.pose, side, self.exercise.measures, self._min_conf(), self._anchors,
                self._active_side(),
            )
            # Even before counting: a relative rule's resting value is taken before the first rep.
            self._keep_peak_evidence(t, ctx)
            if self.counting:
                active = self._judge_frame_rules(t, ctx, phase, conditions)
                self._attach_faults(t, active)
                self._advance_hold(t, ctx, active, events)
        self._close_faults(t, set(active))

        new_cue = self.cues.update(t, conditions, events)
        if new_cue is not None:
            self._events.append(CueRaised(t, new_cue))
            if new_cue.kind == "fault":
                self._cued_in_rep.add(new_cue.key)
        self._last = FrameEvaluation(
            t, issue, side if result.pose is not None else None, phase, values, tuple(active),
            self.rep_counts(), self.hold_timer.held_s if self.hold_timer else 0.0,
            self.cues.current, new_cue, tuple(self._events),
        )
        return self._last

    def _close_faults(self, t: int, active: set[str]) -> None:
        for code in sorted(active - self._open_faults):
            self._events.append(FaultOpened(self._violating_since.get(code, t), code))
        for code in sorted(self._open_faults - active):
            self._events.append(FaultClosed(t, code))
        self._open_faults = active

    def _min_conf(self) -> float:
        return self.exercise.setup.min_visibility if self.exercise.setup else 0.5

    def _track_side(self, result: PoseResult) -> Side:
        # The near side, voted over recent frames and kept while a rep is under way so a noisy
        # frame can't switch which leg is measured mid-movement.
        if result.pose is not None and not self._in_rep():
            self._sides.append(facing_side(result.pose))
        if not self._sides:
            return "left"
        return Counter(self._sides).most_common(1)[0][0]

    def _in_rep(self) -> bool:
        return any(c.current is not None for c in self.counters.values())

    def _active_side(self) -> Side | None:
        for name, c in self.counters.items():
            if c.current is not None and name in ("left", "right"):
                return name  # type: ignore[return-value]
        return None

    def _gated(self, t: int, events: list[CueCandidate]) -> None:
        if self._gated_since is None:
            self._gated_since = t
        if t - self._gated_since >= GATE_GRACE_MS:
            for c in self.counters.values():
                c.reset()
            if self.hold_timer is not None:
                self._keep_hold(t, self.hold_timer.reset())

    # ---- reps --------------------------------------------------------------------------------
    def _advance(self, t: int, ctx: FrameContext, events: list[CueCandidate]) -> str:
        rep, hold = self.exercise.rep, self.exercise.hold
        if rep is None:
            if hold is None:
                return "rest"
            self._in_position = all(c.holds(ctx.value(c.measure)) for c in hold.position)
            if not self._in_position:
                return "rest"
            if self.hold_timer is not None and self.hold_timer.current is None:
                return "settling"  # in position, but the hold (and form) counts once settled
            return "hold"
        busy = self._active_side()
        for name, counter in self.counters.items():
            if rep.alternating and busy is not None and name != busy:
                continue  # one side at a time
            value = ctx.value(rep.measure, None if name == "all" else name)  # type: ignore[arg-type]
            was_resting = counter.current is None
            done = counter.update(t, value)
            if was_resting and counter.current is not None:
                self._set_anchors(ctx)
                self._cued_in_rep = set()
            if done is not None and self.counting:
                self._finish_rep(done, events)
        states = [c.state for c in self.counters.values()]
        for state, phase in (("top", "top"), ("up", "moving"), ("down", "moving")):
            if state in states:
                return phase
        return "rest" if "rest" in states else "unready"

    def _set_anchors(self, ctx: FrameContext) -> None:
        self._anchors.clear()
        for r in self._frame_rules:
            if r.kind == "stability" and r.point:
                self._anchors[r.point] = point(ctx.pose, r.point, ctx.side).copy()

    def _finish_rep(self, rec: RepRecord, events: list[CueCandidate]) -> None:
        t = rec.end_ms or rec.start_ms
        for rule in self._rep_rules:
            if rule.kind != "peak" and not rec.reached:
                continue
            if rep_fault(rule, rec):
                rec.add_fault(rule.code, rule.cue, t)
        if rec.reached:
            self._judge_at_peak(rec)
        self._note_unjudged(rec)
        rec.rule_samples = {}  # evidence used; the record is kept for the whole set
        (self.reps if rec.reached else self.attempts).append(rec)
        self._events.append(RepCompleted(t, rec))
        fault_told = False
        if rec.faults:
            # A flagged rep always gets its fault cue (never a "good" one), unless that cue was
            # already given during this rep. The key names the rep so the cool-down of a cue
            # given on the previous rep doesn't silence it.
            rules = {r.code: r for r in self.exercise.rules}
            worst = max(rec.faults, key=lambda c: (rules[c].severity, -rec.faults[c][1]))
            if worst not in self._cued_in_rep:
                n = len(self.reps) + len(self.attempts)
                events.append(CueCandidate(f"{worst}:rep{n}", rules[worst].cue, rules[worst].severity, "fault"))
                fault_told = True
        elif rec.reached and rec.not_judged:
            # Never praise (or fault) what can't be seen: say so instead, in the person's words.
            why = not_judged_cue(rec.not_judged)
            if why:
                events.append(CueCandidate(f"notjudged:{len(self.reps)}", why, SEVERITY_INFO, "setup"))
        elif rec.reached:
            events.append(
                CueCandidate(f"positive:{len(self.reps)}", self.exercise.positive_cue, SEVERITY_INFO, "positive")
            )
        if rec.reached and not fault_told:  # "Last one" must not take the place of a fault cue
            events.extend(self._rep_milestones(rec))

    def _rep_milestones(self, rec: RepRecord) -> list[CueCandidate]:
        dose = self.exercise.dose
        if not dose.reps:
            return []
        done = sum(1 for r in self.reps if not dose.per_side or r.side == rec.side)
        left = dose.reps - done
        # The end of the set is announced by whoever ends it (the live coach), with its verdict.
        text = {5: "5 more", 1: "Last one"}.get(left)
        if text is None:
            return []
        # Milestones outrank "Good rep" so the count is never drowned out.
        return [CueCandidate(f"milestone:{rec.side}:{left}", text, SEVERITY_INFO + 1, "milestone")]

    def rep_counts(self) -> dict[str, int]:
        counts = {name: 0 for name in self.counters}
        for r in self.reps:
            counts[r.side or "all"] += 1
        return counts

    # ---- rules -------------------------------------------------------------------------------
    def _judge_frame_rules(
        self, t: int, ctx: FrameContext, phase: str, conditions: list[CueCandidate]
    ) -> list[str]:
        active: list[str] = []
        self._rule_status = {}
        for rule in self._frame_rules:
            if rule.phase not in ("always", phase):
                self._violating_since.pop(rule.code, None)
                continue
            if not self._seen_from(rule):
                continue  # a check for another camera view doesn't apply here
            fault = frame_fault(rule, ctx)
            self._rule_status[rule.code] = fault
            if not fault:
                self._violating_since.pop(rule.code, None)
                continue
            since = self._violating_since.setdefault(rule.code, t)
            if t - since >= rule.persist_s * 1000:
                active.append(rule.code)
                conditions.append(CueCandidate(rule.code, rule.cue, rule.severity, "fault"))
        return active

    def _targets(self) -> list[RepRecord | HoldRecord]:
        """The rep(s) or hold under way, which this frame's judgements belong to."""
        targets: list[RepRecord | HoldRecord] = [c.current for c in self.counters.values() if c.current is not None]
        if self.hold_timer is not None and self.hold_timer.current is not None:
            targets.append(self.hold_timer.current)
        return targets

    def _attach_faults(self, t: int, active: list[str]) -> None:
        rules = {r.code: r for r in self._frame_rules}
        targets = self._targets()
        for code in active:
            since = self._violating_since.get(code, t)
            for target in targets:
                target.add_fault(code, rules[code].cue, since)
        for code, verdict in self._rule_status.items():  # how often each rule could be judged
            for target in targets:
                tally = target.seen.setdefault(code, [0, 0])
                tally[verdict is None] += 1

    def _keep_peak_evidence(self, t: int, ctx: FrameContext) -> None:
        """The values of rules judged at the rep's peak, frame by frame, until the rep ends; at
        rest, the recent values a relative rule measures its change from."""
        for counter in self.counters.values():
            rec = counter.current
            for rule in self._peak_rules:
                side = rule_side(rule, ctx) if rec is not None else ctx.side
                value = ctx.value(rule.measure or "", side) if side is not None else math.nan
                if rec is None:
                    self._at_rest.setdefault(rule.code, deque(maxlen=3 * BASELINE_FRAMES)).append((t, value))
                    continue
                if rule.code not in rec.rule_samples and rule.relative:
                    # Before the movement began (the rep's start is dated back to it).
                    before = [v for tv, v in self._at_rest.get(rule.code, ()) if tv <= rec.start_ms]
                    rest = [v for v in before[-BASELINE_FRAMES:] if not math.isnan(v)]
                    rec.baselines[rule.code] = float(np.median(rest)) if rest else math.nan
                rec.rule_samples.setdefault(rule.code, []).append((t, value))

    def _judge_at_peak(self, rec: RepRecord) -> None:
        """Judge the 'peak' rules on the frames near the rep's own peak (the held top), from their
        median: one verdict per rep, the moment a therapist would look."""
        if not rec.samples or self.exercise.rep is None:
            return
        start, end = rec.near_peak(PEAK_BAND, self.exercise.rep.hysteresis)
        for rule in self._peak_rules:
            if not self._seen_from(rule):
                continue
            samples = rec.rule_samples.get(rule.code, [])
            window = [v for t, v in samples if start <= t <= end]
            seen = [v for v in window if not math.isnan(v)]
            value = float(np.median(seen)) if seen and len(seen) >= 0.5 * len(window) else math.nan
            baseline = rec.baselines.get(rule.code, math.nan) if rule.relative else 0.0
            if rule.relative and math.isnan(baseline) and not math.isnan(value):
                rec.not_judged[rule.code] = NO_RESTING_VALUE
                continue
            value -= baseline  # a relative rule: the change from the resting value just before the rep
            if math.isnan(value):
                rec.not_judged[rule.code] = self._unseen(rule)
            elif rule.violated(value):
                rec.add_fault(rule.code, rule.cue, (start + end) // 2)

    def _seen_from(self, rule: RuleDef) -> bool:
        """The rule is one for where the camera is (checks for another view simply don't apply:
        the set-up chose the view, and what it can show is what is judged)."""
        return not rule.views or self._camera_view in rule.views

    def _unseen(self, rule: RuleDef) -> str:
        m = self.exercise.measures.get(rule.measure or "")
        joints = [p.replace("mid_", "").replace("_", " ") for p in (m.points if m else ())]
        return f"couldn't see your {' and '.join(dict.fromkeys(joints))} clearly"

    def _note_unjudged(self, rec: RepRecord | HoldRecord) -> None:
        """A frame rule that couldn't be judged on most of the frames it applied to, and didn't
        fire, is 'not judged' on this rep or hold — never silently 'clean'."""
        rules = {r.code: r for r in self._frame_rules}
        for code, (judged, unsure) in rec.seen.items():
            if code not in rec.faults and unsure > judged:
                rec.not_judged[code] = self._unseen(rules[code])

    # ---- holds -------------------------------------------------------------------------------
    def _advance_hold(
        self, t: int, ctx: FrameContext, active: list[str], events: list[CueCandidate]
    ) -> None:
        timer, hold = self.hold_timer, self.exercise.hold
        if timer is None or hold is None:
            return
        before = timer.held_s
        starting = timer.current is None
        self._keep_hold(t, timer.update(t, self._in_position, not active, ctx.side))
        if timer.current is not None:
            if starting:
                self._set_anchors(ctx)  # stability rules measure drift from the hold's start
            events.extend(self._hold_milestones(before, timer.held_s, self.exercise.dose.hold_s or 0.0))

    @staticmethod
    def _hold_milestones(before: float, now: float, target: float) -> list[CueCandidate]:
        out = []
        if target > 15 and before < target - 10 <= now:
            out.append(CueCandidate("milestone:10s", "10 seconds left", SEVERITY_INFO + 1, "milestone"))
        if before < target <= now:
            out.append(CueCandidate("milestone:hold", "Well held — you can rest", SEVERITY_INFO + 1, "milestone"))
        return out

    # ---- output ------------------------------------------------------------------------------
    def _keep_hold(self, t: int, done: HoldRecord | None) -> None:
        if done is not None and self.counting:
            self._note_unjudged(done)
            self.holds.append(done)
            self._events.append(HoldEnded(t, done))

    def finish(self) -> None:
        """Close a hold still running at the end of the clip."""
        if self.hold_timer is not None:
            current = self.hold_timer.current
            self._keep_hold(current.end_ms if current else 0, self.hold_timer.reset())

    def overlay(self) -> Overlay:
        ev = self._last
        ex = self.exercise
        if ev is None:
            return Overlay(title=ex.name)
        lines: list[str] = []
        if ex.rep is not None:
            target = f"/{ex.dose.reps}" if ex.dose.reps else ""
            if ex.rep.alternating:
                lines.append(f"Left {ev.reps.get('left', 0)}{target}   Right {ev.reps.get('right', 0)}{target}")
            else:
                lines.append(f"Reps {ev.reps.get('all', 0)}{target}")
            v = ev.values.get(ex.rep.measure, math.nan)
            if not math.isnan(v):
                lines.append(f"{ex.rep.measure} {v:.0f} deg")
        progress = None
        if ex.hold is not None:
            hold_target = ex.dose.hold_s or 0.0
            lines.append(f"Hold {ev.hold_s:.0f}/{hold_target:.0f} s")
            progress = min(1.0, ev.hold_s / hold_target) if hold_target else None
        cue = ev.cue
        level = "info"
        if cue is not None:
            level = {"setup": "setup", "fault": "fault", "positive": "good", "milestone": "good"}[cue.kind]
        return Overlay(
            title=ex.name,
            lines=tuple(lines),
            cue=cue.text if cue else "",
            cue_level=level,  # type: ignore[arg-type]
            segment_status=self.segment_status(),
            progress=progress,
        )

    def segment_status(self) -> dict[tuple[int, int], Status]:
        """Skeleton segments coloured by the verdict of the rules that read them, this frame."""
        status: dict[tuple[int, int], Status] = {}
        ev, pose = self._last, self._last_pose
        if ev is None or ev.side is None or pose is None:
            return status
        for rule in self._frame_rules:
            verdict = self._rule_status.get(rule.code)
            if verdict is None or rule.measure is None:
                continue
            m = self.exercise.measures[rule.measure]
            side = m.side_for(pose, ev.side)  # a measure pinned to the lower arm, the front leg...
            idx = [landmark_index(p, side)[0] for p in m.points]
            s: Status = "fault" if rule.code in ev.faults else "ok"
            for a, b in zip(idx, idx[1:], strict=False):
                if status.get((a, b)) != "fault":
                    status[(a, b)] = s
        return status

