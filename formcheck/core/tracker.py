"""The exercise engine: one ``ExerciseTracker`` per exercise, fed one pose per frame.

``update(result, view)`` gates on set-up, measures, runs the rep counter(s) or the hold timer,
judges the form rules, schedules cues, and returns the frame's ``FrameEvaluation`` with the events
that happened (reps, holds, faults, cues). ``reps``, ``attempts`` and ``holds`` keep the finished
records; ``overlay()`` is what ``analyze`` draws. Nothing here reads the clock: time comes with
each pose.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from formcheck.core.body import screen
from formcheck.core.cues import Cue, CueCandidate, CueConfig, CueScheduler
from formcheck.core.events import CueRaised, Event, FaultClosed, FaultOpened, HoldEnded, RepCompleted
from formcheck.core.exercise import SEVERITY_INFO, SEVERITY_SETUP, ExerciseDef, RuleDef
from formcheck.core.gating import SetupIssue, ViewVote, body_words, setup_issue
from formcheck.core.holds import HoldRecord, HoldTimer
from formcheck.core.kinematics import Side, ViewEstimate, facing_side, landmark_index, point
from formcheck.core.landmarks import Pose, PoseResult
from formcheck.core.measures import torso_length
from formcheck.core.overlay import Overlay, Status
from formcheck.core.position import PositionVerdict, PositionWatch, judge
from formcheck.core.reps import PEAK_BAND, RepCounter, RepRecord
from formcheck.core.rules import FRAME_KINDS, REP_KINDS, FrameContext, frame_fault, rep_fault, rule_side
from formcheck.core.wording import NO_RESTING_VALUE, not_judged_cue

# A set-up problem that lasts longer than this abandons the rep or hold in progress.
GATE_GRACE_MS = 1000
BASELINE_FRAMES = 10  # a relative rule's starting value: the median of the last frames at rest
REST_HISTORY = 90  # frames kept at rest for it (~3 s: a rep's start is dated back into them)
SIDE_VOTE_FRAMES = 15
# While a set runs, only the trunk must be seen to go on counting: a limb out of the picture is
# "not judged" and cued, and the reps are counted from what the counter can see.
TRUNK = ("shoulder", "hip")
# Still = the body's middle (head, shoulders, hips, knees) moved less than this share of a torso
# length over the last half second (~2.5 cm: holding a pose moves less, sinking into it more).
STILL_WINDOW_MS = 500
STILL_SHARE = 0.05
_STILL_POINTS = ("nose", "mid_shoulder", "mid_hip", "mid_knee")
_VIEW_WORDS = {"side": "side-on", "front": "facing the camera", "back": "with your back to the camera"}
_TURN = {"side": "Turn side-on", "front": "Face the camera", "back": "Turn your back to the camera"}


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
        # Counters on the rep's second signal (``RepDef.also``), for what the first can't see.
        self._also: dict[str, RepCounter] = {}
        self._ranges: list[float] = []  # the ranges of this set's reps: what is usual for this person
        if ex.rep is not None:
            sides = ("left", "right") if ex.rep.alternating else ("all",)
            self.counters = {s: RepCounter(ex.rep, None if s == "all" else s, self._ranges) for s in sides}
            if ex.rep.also is not None:
                also = dataclasses.replace(ex.rep, measure=ex.rep.also.measure, start=ex.rep.also.start,
                                           target=ex.rep.also.target, also=None)
                self._also = {s: RepCounter(also, None if s == "all" else s) for s in sides}
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
        self._fault_cues: dict[str, str] = {}  # a frame rule's cue with the direction seen this frame
        self._position = PositionWatch()
        self._verdict: PositionVerdict | None = None
        self._issues: Counter[str] = Counter()  # set-up problems while the set ran, by frames
        self._frames = 0  # frames while the set ran
        self._view_told = False  # the person was told how to let the view-gated rules be judged
        self._motion: deque[tuple[int, np.ndarray]] = deque()  # recent positions of _STILL_POINTS

    def begin_counting(self) -> None:
        """Start a set: records cleared, counters keep following the movement from where it is."""
        self.reps, self.attempts, self.holds = [], [], []
        if self.hold_timer is not None:
            self.hold_timer.reset(fresh=True)
        self.cues.reset()
        self._ranges.clear()
        self._position.reset()
        self._issues.clear()
        self._frames = 0
        self._view_told = False
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
        setup = self.exercise.setup
        # Before a set, the whole body must be in view; during one, the trunk (see ``TRUNK``).
        needed = tuple(j for j in TRUNK if setup is not None and j in setup.landmarks) if self.counting else None
        issue = setup_issue(result, None if moving else voted_view, setup, side, needed)
        unclear = None
        if self.counting and issue is not None and issue.key == "not_visible":
            # Seen but unclear (dim, a close-up): said, but not a stop — the counters skip what
            # they can't read, and the rules say "not judged".
            unclear, issue = issue, None
        if not moving and voted_view is not None:
            self._camera_view = voted_view  # where the camera is, as seen before the movement
        events: list[CueCandidate] = []
        conditions: list[CueCandidate] = []
        values: dict[str, float] = {}
        active: list[str] = []
        self._events = []
        if self.counting:
            self._frames += 1

        if issue is not None or result.pose is None:
            self._gated(t, events)
            if issue is not None:
                conditions.append(CueCandidate(issue.key, issue.text, SEVERITY_SETUP, "setup"))
                if self.counting:
                    self._issues[issue.text] += 1
            self._violating_since.clear()
            self._rule_status = {}
            phase = "setup"
        else:
            self._gated_since = None
            frame = (result.width, result.height) if result.width and result.height else None
            ctx = FrameContext(
                result.pose, side, self.exercise.measures, self._min_conf(), self._anchors, frame=frame
            )
            values = {n: ctx.value(n) for n in self.exercise.measures}
            phase = self._advance(t, ctx, events, conditions)
            ctx = FrameContext(
                result.pose, side, self.exercise.measures, self._min_conf(), self._anchors,
                self._active_side(), frame,
            )
            # Even before counting: a relative rule's resting value is taken before the first rep.
            self._keep_peak_evidence(t, ctx)
            if self.counting:
                framing = setup_issue(result, None, setup, side)  # a limb out of the picture
                if framing is not None and framing.key == "out_of_frame":
                    conditions.append(CueCandidate("framing", framing.text, SEVERITY_SETUP, "setup"))
                    self._issues[framing.text] += 1
                elif unclear is not None:
                    conditions.append(CueCandidate(unclear.key, unclear.text, SEVERITY_SETUP, "setup"))
                active = self._judge_frame_rules(t, ctx, phase, conditions)
                self._attach_faults(t, active)
                self._advance_hold(t, ctx, active, events)
                events.extend(self._view_cue())
        self._close_faults(t, set(active))

        new_cue = self.cues.update(t, conditions, events)
        if new_cue is not None:
            self._events.append(CueRaised(t, new_cue))
            if new_cue.kind == "fault":
                self._cued_in_rep.add(new_cue.key)
            if new_cue.key.startswith("view:"):
                self._view_told = True
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

    def _in_rep(self, but: RepCounter | None = None) -> bool:
        return any(c.current is not None for c in (*self.counters.values(), *self._also.values()) if c is not but)

    def _active_side(self) -> Side | None:
        for counters in (self.counters, self._also):
            for name, c in counters.items():
                if c.current is not None and name in ("left", "right"):
                    return name  # type: ignore[return-value]
        return None

    def _gated(self, t: int, events: list[CueCandidate]) -> None:
        if self._gated_since is None:
            self._gated_since = t
        if t - self._gated_since >= GATE_GRACE_MS:
            for c in (*self.counters.values(), *self._also.values()):
                c.reset()
            if self.hold_timer is not None:
                self._keep_hold(t, self.hold_timer.reset())

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
        self._verdict = verdict = self._check_position(t, ctx, conditions)
        if rep is None:
            if hold is None:
                return "rest"
            # A hold under way goes on while the joints that can be seen are in position and the
            # others are still in the picture (a knee lost in a dim room is not the end of the
            # plank; legs that have left the picture can't show it). One starts only when all are seen.
            running = self.hold_timer is not None and self.hold_timer.current is not None
            self._in_position = verdict is None or verdict.held or (
                running and verdict.missing is None and verdict.variant is None
                and all(ctx.in_picture(m) for m in verdict.unseen))
            if not self._in_position:
                return "rest"
            if self.hold_timer is not None and self.hold_timer.current is None:
                return "settling"  # in position, but the hold (and form) counts once settled
            return "hold"
        # A rep begins only from the starting position (a joint that can't be seen doesn't stop it:
        # the counter's own measure says whether the person is at rest).
        away = verdict is not None and (verdict.missing is not None or verdict.variant is not None)
        busy = self._active_side()
        for counters, measure, also in ((self.counters, rep.measure, False),
                                        (self._also, rep.also.measure if rep.also else "", True)):
            for name, counter in counters.items():
                if rep.alternating and busy is not None and name != busy:
                    continue  # one side at a time
                if away and counter.current is None and not counter.pending:
                    counter.reset()  # not in the starting position: nothing can start from here
                    continue
                side = None if name == "all" else name
                if also and rep.also is not None and rep.also.opposite and side is not None:
                    side = "right" if side == "left" else "left"
                value = ctx.value(measure, side)  # type: ignore[arg-type]
                was_resting = counter.current is None
                done = counter.update(t, value)
                if was_resting and counter.current is not None and not self._in_rep(but=counter):
                    self._set_anchors(ctx)
                    self._cued_in_rep = set()
                if done is not None and self.counting:
                    self._completed(done, events, also)
        states = [c.state for c in self.counters.values()] + [c.state for c in self._also.values()]
        for state, phase in (("top", "top"), ("up", "moving"), ("down", "moving")):
            if state in states:
                return phase
        return "rest" if "rest" in states else "unready"

    def _set_anchors(self, ctx: FrameContext) -> None:
        self._anchors.clear()
        for r in self._frame_rules:
            if r.kind == "stability" and r.point:
                self._anchors[r.point] = point(ctx.pose, r.point, ctx.side).copy()

    def _completed(self, rec: RepRecord, events: list[CueCandidate], also: bool) -> None:
        """A counter finished a movement. The second signal's counters only add what the first ones
        missed: a movement they saw too (overlapping one recorded, or under way) is dropped."""
        if also:
            main = self.counters.get(rec.side or "all")
            overlaps = any(r.side == rec.side and r.start_ms < (rec.end_ms or 0) and rec.start_ms < (r.end_ms or 0)
                           for r in (*self.reps, *self.attempts))
            if overlaps or not rec.reached or (main is not None and main.current is not None):
                return
            rec.not_judged.update({r.code: f"counted from your {self._joints(self.exercise.rep.also.measure)}: "
                                   f"couldn't see your {self._joints(self.exercise.rep.measure)}"
                                   for r in self._rep_rules if r.kind == "peak"} if self.exercise.rep and
                                  self.exercise.rep.also else {})
        else:
            for r in self._also.values():
                if r.current is not None and r.current.start_ms < (rec.end_ms or 0):
                    r.reset()  # the same movement, seen by both: counted once (and from rest again)
        self._finish_rep(rec, events)

    def _finish_rep(self, rec: RepRecord, events: list[CueCandidate]) -> None:
        t = rec.end_ms or rec.start_ms
        for rule in self._rep_rules:
            if rule.kind != "peak" and not rec.reached or rule.code in rec.not_judged:
                continue
            if rep_fault(rule, rec):
                rec.add_fault(rule.code, rule.cue, t)
        if rec.reached:
            self._judge_at_peak(rec)
        self._note_unjudged(rec)
        self._note_unseen_by_view(rec, rep=True)
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
                events.append(CueCandidate(f"{worst}:rep{n}", rec.faults[worst][0], rules[worst].severity, "fault"))
                fault_told = True
        elif rec.reached and (unseen := {c: w for c, w in rec.not_judged.items() if c not in self._view_blocked_codes()}):
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
        if ex.timer_only or (self.reps if ex.rep is not None else self.holds) or not self._frames:
            return ""
        position_cue = ex.setup.position_cue if ex.setup else "Get into the starting position"
        issue, frames = self._issues.most_common(1)[0] if self._issues else ("", 0)
        if frames >= 0.5 * self._frames:
            return f"For most of the set: {issue[0].lower()}{issue[1:]}"
        if self.attempts:
            depth = next((r.cue for r in self._rep_rules if r.kind == "peak"), "move further")
            n = len(self.attempts)
            return f"{n} movement{'s' if n > 1 else ''} stopped well short of a rep: {depth[0].lower()}{depth[1:]}"
        what = f"{ex.name.lower()} position" if ex.hold is not None else "starting position"
        reason = self._position.reason(what, position_cue, self._joints)
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
            if not self._seen_from(rule) or not self._applies(rule, ctx):
                self._violating_since.pop(rule.code, None)
                continue  # a check for another camera view, or another variant, doesn't apply here
            fault = frame_fault(rule, ctx)
            self._rule_status[rule.code] = fault
            if not fault:
                self._violating_since.pop(rule.code, None)
                continue
            since = self._violating_since.setdefault(rule.code, t)
            if t - since >= rule.persist_s * 1000:
                active.append(rule.code)
                side = rule_side(rule, ctx)
                value = ctx.value(rule.measure, side) if rule.measure and side is not None else math.nan
                self._fault_cues[rule.code] = cue = rule.cue_for(value)
                conditions.append(CueCandidate(rule.code, cue, rule.severity, "fault"))
        return active

    @staticmethod
    def _applies(rule: RuleDef, ctx: FrameContext) -> bool:
        """The rule's ``when`` conditions hold (the straight-arm check on a straight arm...)."""
        if not rule.when:
            return True
        side = rule_side(rule, ctx)
        return side is not None and all(c.holds(ctx.value(c.measure, side)) for c in rule.when)

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
                target.add_fault(code, self._fault_cues.get(code, rules[code].cue), since)
        for code, verdict in self._rule_status.items():  # how often each rule could be judged
            for target in targets:
                tally = target.seen.setdefault(code, [0, 0])
                tally[verdict is None] += 1

    def _keep_peak_evidence(self, t: int, ctx: FrameContext) -> None:
        """The values of rules judged at the rep's peak, frame by frame, until the rep ends; while
        a side is at rest, the recent values a relative rule measures its change from (once a frame)."""
        counters = (*self.counters.values(), *self._also.values())
        if any(c.current is None for c in counters):
            for rule in self._peak_rules:
                value = ctx.value(rule.measure or "", ctx.side)
                self._at_rest.setdefault(rule.code, deque(maxlen=REST_HISTORY)).append((t, value))
        for counter in counters:
            rec = counter.current
            if rec is None:
                continue
            for rule in self._peak_rules:
                side = rule_side(rule, ctx)
                value = ctx.value(rule.measure or "", side) if side is not None else math.nan
                if not self._applies(rule, ctx):
                    continue  # doesn't apply on this frame (its ``when`` doesn't hold)
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
            if rule.when and not window:
                continue  # it never applied near the peak (another variant of the exercise)
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
                rec.add_fault(rule.code, rule.cue_for(value), (start + end) // 2)

    def _seen_from(self, rule: RuleDef) -> bool:
        """The rule is one for where the camera is (checks for another view simply don't apply:
        the set-up chose the view, and what it can show is what is judged)."""
        return not rule.views or self._camera_view in rule.views

    def _joints(self, measure: str) -> str:
        """The body parts a measure reads, in words: "hips and knees"."""
        m = self.exercise.measures.get(measure)
        words = [body_words(p)[0] for p in (m.points if m else ())]
        return " and ".join(dict.fromkeys(words))

    def _unseen(self, rule: RuleDef) -> str:
        return f"couldn't see your {self._joints(rule.measure or rule.leg or '')} clearly"

    def _blocked_by_view(self) -> list[RuleDef]:
        """The rules the camera's view can't judge (knees past the toes, seen from the front)."""
        view = self._camera_view
        return [r for r in self.exercise.rules if r.views and view is not None and view not in r.views]

    def _view_blocked_codes(self) -> set[str]:
        return {r.code for r in self._blocked_by_view()}

    def _note_unseen_by_view(self, rec: RepRecord | HoldRecord, rep: bool) -> None:
        """Every rule the view can't judge is "not judged" on the rep or hold, with the reason."""
        for rule in self._blocked_by_view():
            if rule.code in rec.faults or (rule.phase == "hold") == rep and rule.phase != "always":
                continue
            views = " or ".join(_VIEW_WORDS[v] for v in rule.views)
            rec.not_judged.setdefault(rule.code, f"needs the camera to see you {views} "
                                                 f"(it sees you from the {self._camera_view})")

    def _view_cue(self) -> list[CueCandidate]:
        """Once a set: how to let the rules this view can't judge be judged — turning to the view
        the exercise is meant for ("Turn side-on so I can check your knees")."""
        setup = self.exercise.setup
        if self._view_told or setup is None or not setup.views:
            return []
        best = setup.views[0]
        blocked = [r for r in self._blocked_by_view() if best in r.views]
        if not blocked:
            return []
        what = list(dict.fromkeys(r.looks_at or f"your {self._joints(r.measure or '')}" for r in blocked))
        text = f"{_TURN[best]} so I can check {', '.join(what[:-1]) + ' and ' if len(what) > 1 else ''}{what[-1]}"
        return [CueCandidate(f"view:{best}", text, SEVERITY_SETUP, "setup")]

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
        self._keep_hold(t, timer.update(t, self._in_position, not active, ctx.side, self._still(t, ctx.pose)))
        if timer.current is not None:
            if starting:
                self._set_anchors(ctx)  # stability rules measure drift from the hold's start
            events.extend(self._hold_milestones(before, timer.held_s, self.exercise.dose.hold_s or 0.0))

    def _still(self, t: int, pose: Pose) -> bool:
        """The body isn't moving: its middle moved less than ``STILL_SHARE`` of a torso length over
        the last ``STILL_WINDOW_MS``: any of them (a head still lowering is still settling)."""
        now = np.array([point(pose, j) for j in _STILL_POINTS], dtype=np.float64)
        self._motion.append((t, now))
        while self._motion and t - self._motion[0][0] > STILL_WINDOW_MS:
            self._motion.popleft()
        torso = torso_length(pose)
        if t - self._motion[0][0] < STILL_WINDOW_MS * 0.8 or not torso > 0:
            return False  # not enough history yet to tell
        moved = np.linalg.norm(now - self._motion[0][1], axis=1)
        return bool(np.nanmax(moved) < STILL_SHARE * torso)

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
            self._note_unseen_by_view(done, rep=False)
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

