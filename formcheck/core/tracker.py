"""The exercise engine: one ``ExerciseTracker`` per exercise, fed one pose per frame.

``update(result, view)`` gates on set-up, measures, runs the rep counter(s) or the hold timer,
judges the form rules, schedules cues, and returns the frame's ``FrameEvaluation`` with the events
that happened (reps, holds, faults, cues). ``reps``, ``attempts`` and ``holds`` keep the finished
records; ``overlay()`` is what ``analyze`` draws. Nothing here reads the clock: time comes with
each pose.

The tracker composes its parts: the set-up gate (``tracker_gating``: in frame, seen, from which
view), the body sides and their rep counters (``tracker_sides``) and the form rules
(``rule_runner``); what is left here is the set's story — position, reps, holds and cues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

from formcheck.core.body import screen
from formcheck.core.cues import Cue, CueCandidate, CueConfig, CueScheduler
from formcheck.core.events import CueRaised, Event, HoldEnded, RepCompleted
from formcheck.core.exercise import SEVERITY_INFO, ExerciseDef
from formcheck.core.gating import SetupIssue, parts_read
from formcheck.core.holds import HoldRecord, HoldTimer, Stillness
from formcheck.core.kinematics import Side, ViewEstimate
from formcheck.core.landmarks import Pose, PoseResult
from formcheck.core.overlay import CUE_LEVELS, Overlay, Status
from formcheck.core.position import PositionVerdict, PositionWatch, judge
from formcheck.core.reps import RepRecord
from formcheck.core.rule_runner import RuleRunner
from formcheck.core.rules import FrameContext
from formcheck.core.tracker_gating import SetupGate, setup_cue
from formcheck.core.tracker_sides import TrackerSides
from formcheck.core.wording import not_judged_cue


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
        self.gate = SetupGate(exercise)
        self.sides = TrackerSides(exercise.rep)
        self.rules = RuleRunner(exercise, self.gate.judges)
        self.hold_timer = HoldTimer(exercise.hold) if exercise.hold is not None else None
        self.reps: list[RepRecord] = []
        self.attempts: list[RepRecord] = []
        self.holds: list[HoldRecord] = []
        self._last: FrameEvaluation | None = None
        self._last_pose: Pose | None = None
        self._in_position = False
        self._events: list[Event] = []
        self._cued_in_rep: set[str] = set()
        self._position = PositionWatch()
        self._stillness = Stillness()

    # ---- sets --------------------------------------------------------------------------------
    def begin_counting(self) -> None:
        """Start a set: records cleared, counters keep following the movement from where it is."""
        self.reps, self.attempts, self.holds = [], [], []
        if self.hold_timer is not None:
            self.hold_timer.reset(fresh=True)
        self.cues.reset()
        self.sides.ranges.clear()
        self._position.reset()
        self.gate.begin_set()
        self.counting = True

    def end_counting(self, t_ms: int) -> list[Event]:
        """End a set: a hold still running is closed; returns its event (if long enough to keep)."""
        self._events = []
        self.finish()
        self.counting = False
        self._events.extend(self.rules.fault_events(t_ms, set()))
        self.cues.reset()
        events, self._events = self._events, []
        return events

    def ready(self) -> bool:
        """The counters have seen the starting position, so a set may start now: a rep already
        under way began from rest and will count when it ends."""
        return self.sides.ready()

    # ---- per frame ---------------------------------------------------------------------------
    def update(self, result: PoseResult, view: ViewEstimate | None) -> FrameEvaluation:
        t = result.t_ms
        body = self.exercise.body
        if body is not None and result.pose is not None:  # the person's own limbs, or not judged
            result = PoseResult(t, result.width, result.height, screen(result.pose, body)[0])
        self._last_pose = result.pose
        side = self.sides.facing(result.pose)
        moving = self.sides.in_rep() or self._holding()
        issue = self.gate.check(result, view, side, moving=moving, counting=self.counting)
        events: list[CueCandidate] = []
        conditions: list[CueCandidate] = []
        values: dict[str, float] = {}
        active: list[str] = []
        self._events = []

        if issue is not None or result.pose is None:
            if self.gate.gave_up(t):
                self.sides.reset()
                if self.hold_timer is not None:
                    self._keep_hold(t, self.hold_timer.reset())
            if issue is not None:
                conditions.append(setup_cue(issue))
            self.rules.pause()
            phase = "setup"
        else:
            frame = (result.width, result.height) if result.width and result.height else None
            measures, min_conf, anchors = self.exercise.measures, self._min_conf(), self.rules.anchors
            ctx = FrameContext(result.pose, side, measures, min_conf, anchors, frame=frame)
            values = {n: ctx.value(n) for n in measures}
            phase = self._advance(t, ctx, events, conditions)
            ctx = FrameContext(result.pose, side, measures, min_conf, anchors, self.sides.active_side(), frame)
            # Even before counting: a relative rule's resting value is taken before the first rep.
            self.rules.keep_peak_evidence(t, ctx, self.sides.all())
            if self.counting:
                framing = self.gate.counting_cue(result, side)
                if framing is not None:
                    conditions.append(framing)
                active, fault_cues = self.rules.judge_frame(t, ctx, phase)
                conditions.extend(fault_cues)
                self.rules.attach_faults(t, active, self._targets())
                self._advance_hold(t, ctx, active, events)
                events.extend(self.gate.view_cue())
        self._events.extend(self.rules.fault_events(t, set(active)))

        new_cue = self.cues.update(t, conditions, events)
        if new_cue is not None:
            self._events.append(CueRaised(t, new_cue))
            if new_cue.kind == "fault":
                self._cued_in_rep.add(new_cue.key)
            if new_cue.key.startswith("view:"):
                self.gate.view_told()
        self._last = FrameEvaluation(
            t, issue, side if result.pose is not None else None, phase, values, tuple(active),
            self.rep_counts(), self.hold_timer.held_s if self.hold_timer else 0.0,
            self.cues.current, new_cue, tuple(self._events),
        )
        return self._last

    def _min_conf(self) -> float:
        return self.exercise.setup.min_visibility if self.exercise.setup else 0.5

    def _holding(self) -> bool:
        return self.hold_timer is not None and self.hold_timer.current is not None

    def _targets(self) -> list[RepRecord | HoldRecord]:
        """The rep(s) or hold under way, which this frame's judgements belong to."""
        targets: list[RepRecord | HoldRecord] = [c.current for c in self.sides.counters.values()
                                                 if c.current is not None]
        if self.hold_timer is not None and self.hold_timer.current is not None:
            targets.append(self.hold_timer.current)
        return targets

    def _words(self, measure: str) -> str:
        return parts_read(self.exercise.measures, measure)

    # ---- reps --------------------------------------------------------------------------------
    def _check_position(self, t: int, ctx: FrameContext, conditions: list[CueCandidate]) -> PositionVerdict | None:
        """The hold's position (or where a rep starts), joint by joint, and its cues."""
        ex = self.exercise
        position = ex.hold.position if ex.hold is not None else ex.rep.position if ex.rep is not None else ()
        if not position and not ex.variants:
            return None
        verdict = judge(position, ex.variants, ctx.value)
        for cue in self._position.update(t, verdict, self.counting):
            if self.counting or cue.key.startswith("variant:"):
                conditions.append(cue)
        return verdict

    def _advance(self, t: int, ctx: FrameContext, events: list[CueCandidate], conditions: list[CueCandidate]) -> str:
        rep, hold = self.exercise.rep, self.exercise.hold
        verdict = self._check_position(t, ctx, conditions)
        if rep is None:
            if hold is None:
                return "rest"
            # A hold under way goes on while the joints that can be seen are in position and the
            # others are still in the picture (a knee lost in a dim room is not the end of the
            # plank; legs that have left the picture can't show it). One starts only when all are seen.
            self._in_position = verdict is None or verdict.held or (
                self._holding() and verdict.missing is None and verdict.variant is None
                and all(ctx.in_picture(m) for m in verdict.unseen))
            if not self._in_position:
                return "rest"
            if not self._holding():
                return "settling"  # in position, but the hold (and form) counts once settled
            return "hold"
        # A rep begins only from the starting position (a joint that can't be seen doesn't stop it:
        # the counter's own measure says whether the person is at rest).
        away = verdict is not None and (verdict.missing is not None or verdict.variant is not None)
        for counter, measure, side, also in self.sides.to_feed():
            if away and counter.current is None and not counter.pending:
                counter.reset()  # not in the starting position: nothing can start from here
                continue
            was_resting = counter.current is None
            done = counter.update(t, ctx.value(measure, side))
            if was_resting and counter.current is not None and not self.sides.in_rep(but=counter):
                self.rules.set_anchors(ctx)
                self._cued_in_rep = set()
            if done is not None and self.counting:
                self._completed(done, events, also)
        return self.sides.phase()

    def _completed(self, rec: RepRecord, events: list[CueCandidate], also: bool) -> None:
        """A counter finished a movement. The second signal's counters only add what the first ones
        missed: a movement they saw too (overlapping one recorded, or under way) is dropped."""
        rep = self.exercise.rep
        if also:
            overlaps = any(r.side == rec.side and r.start_ms < (rec.end_ms or 0) and rec.start_ms < (r.end_ms or 0)
                           for r in (*self.reps, *self.attempts))
            if overlaps or not rec.reached or self.sides.main_under_way(rec.side):
                return
            if rep is not None and rep.also is not None:
                why = f"counted from your {self._words(rep.also.measure)}: couldn't see your {self._words(rep.measure)}"
                rec.not_judged.update({r.code: why for r in self.exercise.rules if r.kind == "peak"})
        else:
            self.sides.drop_second_sighting(rec)
        self._finish_rep(rec, events)

    def _finish_rep(self, rec: RepRecord, events: list[CueCandidate]) -> None:
        t = rec.end_ms or rec.start_ms
        self.rules.judge_rep(rec)
        self.gate.note_unseen_by_view(rec, rep=True)
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
                events.append(CueCandidate(f"{worst}:rep{n}", rec.faults[worst][0], rules[worst].severity, "fault"))
                fault_told = True
        elif rec.reached and (unseen := {c: w for c, w in rec.not_judged.items()
                                         if c not in {r.code for r in self.gate.blocked()}}):
            # Never praise (or fault) what can't be seen: say so instead, in the person's words. (A check
            # for another camera view is said once a set, by the turn-to-the-camera cue, not after every
            # rep; what this view can judge was judged, so such a rep may still be praised.)
            why = not_judged_cue(unseen)
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

    def why_none(self) -> str:
        """Why this set counted nothing, in words ("" when something was counted): what was seen
        instead — a set-up problem most of the time, a variant, the joint of the position that was
        missing, movements too small to be reps."""
        ex = self.exercise
        if ex.timer_only or (self.reps if ex.rep is not None else self.holds) or not self.gate.frames:
            return ""
        position_cue = ex.setup.position_cue if ex.setup else "Get into the starting position"
        issue, frames = self.gate.issues.most_common(1)[0] if self.gate.issues else ("", 0)
        if frames >= 0.5 * self.gate.frames:
            return f"For most of the set: {issue[0].lower()}{issue[1:]}"
        if self.attempts:
            depth = next((r.cue for r in ex.rules if r.kind == "peak"), "move further")
            n = len(self.attempts)
            return f"{n} movement{'s' if n > 1 else ''} stopped well short of a rep: {depth[0].lower()}{depth[1:]}"
        what = f"{ex.name.lower()} position" if ex.hold is not None else "starting position"
        reason = self._position.reason(what, position_cue, partial(parts_read, ex.measures))
        if reason:
            return reason
        if ex.rep is not None and not self.ready():
            return f"I never saw the starting position: {position_cue[0].lower()}{position_cue[1:]}"
        if issue:
            return f"Part of the set: {issue[0].lower()}{issue[1:]}"
        if ex.hold is not None:
            return "The position was never held long enough to time"
        return "No movement from the starting position was seen"

    def rep_counts(self) -> dict[str, int]:
        return self.sides.counts(self.reps)

    # ---- holds -------------------------------------------------------------------------------
    def _advance_hold(
        self, t: int, ctx: FrameContext, active: list[str], events: list[CueCandidate]
    ) -> None:
        timer, hold = self.hold_timer, self.exercise.hold
        if timer is None or hold is None:
            return
        before = timer.held_s
        starting = timer.current is None
        self._keep_hold(t, timer.update(t, self._in_position, not active, ctx.side, self._stillness.update(t, ctx.pose)))
        if timer.current is not None:
            if starting:
                self.rules.set_anchors(ctx)  # stability rules measure drift from the hold's start
            events.extend(self._hold_milestones(before, timer.held_s, self.exercise.dose.hold_s or 0.0))

    @staticmethod
    def _hold_milestones(before: float, now: float, target: float) -> list[CueCandidate]:
        out = []
        if target > 15 and before < target - 10 <= now:
            out.append(CueCandidate("milestone:10s", "10 seconds left", SEVERITY_INFO + 1, "milestone"))
        if before < target <= now:
            out.append(CueCandidate("milestone:hold", "Well held — you can rest", SEVERITY_INFO + 1, "milestone"))
        return out

    def _keep_hold(self, t: int, done: HoldRecord | None) -> None:
        if done is not None and self.counting:
            self.rules.note_unjudged(done)
            self.gate.note_unseen_by_view(done, rep=False)
            self.holds.append(done)
            self._events.append(HoldEnded(t, done))

    def finish(self) -> None:
        """Close a hold still running at the end of the clip."""
        if self.hold_timer is not None:
            current = self.hold_timer.current
            self._keep_hold(current.end_ms if current else 0, self.hold_timer.reset())

    # ---- output ------------------------------------------------------------------------------
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
        return Overlay(
            title=ex.name,
            lines=tuple(lines),
            cue=cue.text if cue else "",
            cue_level=CUE_LEVELS[cue.kind] if cue is not None else "info",
            segment_status=self.segment_status(),
            progress=progress,
        )

    def segment_status(self) -> dict[tuple[int, int], Status]:
        """Skeleton segments coloured by the verdict of the rules that read them, this frame."""
        ev, pose = self._last, self._last_pose
        if ev is None or ev.side is None or pose is None:
            return {}
        return self.rules.segment_status(pose, ev.side, ev.faults)
