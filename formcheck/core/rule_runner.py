"""The tracker's form rules at work: the frame rules judged frame by frame (held long enough to
fault, opened and closed as events), the evidence for the rules judged at a rep's peak, the rep
rules on a finished rep, and what could not be judged — never silently "clean".

Which rules apply to the camera's view is the set-up gate's to say (``judges``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from formcheck.core.cues import CueCandidate
from formcheck.core.events import Event, FaultClosed, FaultOpened
from formcheck.core.exercise import ExerciseDef, RuleDef
from formcheck.core.gating import parts_read
from formcheck.core.holds import HoldRecord
from formcheck.core.kinematics import Side, landmark_index, point
from formcheck.core.landmarks import Pose
from formcheck.core.overlay import Status
from formcheck.core.reps import PEAK_BAND, RepCounter, RepRecord
from formcheck.core.rules import FRAME_KINDS, REP_KINDS, FrameContext, frame_fault, rep_fault, rule_side
from formcheck.core.wording import NO_RESTING_VALUE

BASELINE_FRAMES = 10  # a relative rule's starting value: the median of the last frames at rest
REST_HISTORY = 90  # frames kept at rest for it (~3 s: a rep's start is dated back into them)


def _applies(rule: RuleDef, ctx: FrameContext) -> bool:
    """The rule's ``when`` conditions hold (the straight-arm check on a straight arm...)."""
    if not rule.when:
        return True
    side = rule_side(rule, ctx)
    return side is not None and all(c.holds(ctx.value(c.measure, side)) for c in rule.when)


class RuleRunner:
    """One tracker's rules: their state from frame to frame, and their verdicts on reps and holds."""

    def __init__(self, exercise: ExerciseDef, judges: Callable[[RuleDef], bool]) -> None:
        self.exercise = exercise
        self._judges = judges  # the rule is one for the camera's view
        self._frame_rules = tuple(r for r in exercise.rules if r.kind in FRAME_KINDS and r.phase != "peak")
        self._peak_rules = tuple(r for r in exercise.rules if r.kind in FRAME_KINDS and r.phase == "peak")
        self._rep_rules = tuple(r for r in exercise.rules if r.kind in REP_KINDS)
        self._violating_since: dict[str, int] = {}
        self._status: dict[str, bool | None] = {}  # this frame's verdict per frame rule (None: unsure)
        self._fault_cues: dict[str, str] = {}  # a frame rule's cue with the direction seen this frame
        self._open_faults: set[str] = set()
        # Where the stability rules' points were when the rep or hold began: one dict, kept (and
        # filled in place) for the frame contexts that read it.
        self.anchors: dict[str, npt.NDArray[np.float32]] = {}
        self._at_rest: dict[str, deque[tuple[int, float]]] = {}

    def set_anchors(self, ctx: FrameContext) -> None:
        self.anchors.clear()
        for r in self._frame_rules:
            if r.kind == "stability" and r.point:
                self.anchors[r.point] = point(ctx.pose, r.point, ctx.side).copy()

    def unseen(self, rule: RuleDef) -> str:
        return f"couldn't see your {parts_read(self.exercise.measures, rule.measure or rule.leg or '')} clearly"

    # ---- frame by frame -----------------------------------------------------------------------
    def pause(self) -> None:
        """Nothing is judged this frame (a set-up problem): a fault must persist afresh."""
        self._violating_since.clear()
        self._status = {}

    def judge_frame(self, t: int, ctx: FrameContext, phase: str) -> tuple[list[str], list[CueCandidate]]:
        """The frame rules faulted this frame (held for their ``persist_s``), and their cues."""
        active: list[str] = []
        cues: list[CueCandidate] = []
        self._status = {}
        for rule in self._frame_rules:
            if rule.phase not in ("always", phase):
                self._violating_since.pop(rule.code, None)
                continue
            if not self._judges(rule) or not _applies(rule, ctx):
                self._violating_since.pop(rule.code, None)
                continue  # a check for another camera view, or another variant, doesn't apply here
            fault = frame_fault(rule, ctx)
            self._status[rule.code] = fault
            if not fault:
                self._violating_since.pop(rule.code, None)
                continue
            since = self._violating_since.setdefault(rule.code, t)
            if t - since >= rule.persist_s * 1000:
                active.append(rule.code)
                side = rule_side(rule, ctx)
                value = ctx.value(rule.measure, side) if rule.measure and side is not None else math.nan
                self._fault_cues[rule.code] = cue = rule.cue_for(value)
                cues.append(CueCandidate(rule.code, cue, rule.severity, "fault"))
        return active, cues

    def attach_faults(self, t: int, active: list[str], targets: Sequence[RepRecord | HoldRecord]) -> None:
        """This frame's faults, and how often each rule could be judged, go on the rep(s) or hold
        under way."""
        rules = {r.code: r for r in self._frame_rules}
        for code in active:
            since = self._violating_since.get(code, t)
            for target in targets:
                target.add_fault(code, self._fault_cues.get(code, rules[code].cue), since)
        for code, verdict in self._status.items():
            for target in targets:
                tally = target.seen.setdefault(code, [0, 0])
                tally[verdict is None] += 1

    def fault_events(self, t: int, active: set[str]) -> list[Event]:
        """The faults that opened (dated from when they began) and closed on this frame."""
        events: list[Event] = [FaultOpened(self._violating_since.get(code, t), code)
                               for code in sorted(active - self._open_faults)]
        events += [FaultClosed(t, code) for code in sorted(self._open_faults - active)]
        self._open_faults = active
        return events

    def keep_peak_evidence(self, t: int, ctx: FrameContext, counters: Sequence[RepCounter]) -> None:
        """The values of rules judged at the rep's peak, frame by frame, until the rep ends; while
        a side is at rest, the recent values a relative rule measures its change from (once a frame)."""
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
                if not _applies(rule, ctx):
                    continue  # doesn't apply on this frame (its ``when`` doesn't hold)
                if rule.code not in rec.rule_samples and rule.relative:
                    # Before the movement began (the rep's start is dated back to it).
                    before = [v for tv, v in self._at_rest.get(rule.code, ()) if tv <= rec.start_ms]
                    rest = [v for v in before[-BASELINE_FRAMES:] if not math.isnan(v)]
                    rec.baselines[rule.code] = float(np.median(rest)) if rest else math.nan
                rec.rule_samples.setdefault(rule.code, []).append((t, value))

    def segment_status(self, pose: Pose, side: Side, faults: tuple[str, ...]) -> dict[tuple[int, int], Status]:
        """Skeleton segments coloured by the verdict of the rules that read them, this frame."""
        status: dict[tuple[int, int], Status] = {}
        for rule in self._frame_rules:
            verdict = self._status.get(rule.code)
            if verdict is None or rule.measure is None:
                continue
            m = self.exercise.measures[rule.measure]
            on = m.side_for(pose, side)  # a measure pinned to the lower arm, the front leg...
            idx = [landmark_index(p, on)[0] for p in m.points]
            s: Status = "fault" if rule.code in faults else "ok"
            for a, b in zip(idx, idx[1:], strict=False):
                if status.get((a, b)) != "fault":
                    status[(a, b)] = s
        return status

    # ---- a finished rep or hold ---------------------------------------------------------------
    def judge_rep(self, rec: RepRecord) -> None:
        """The rep rules and the rules judged at the peak, on a finished rep; the peak evidence is
        dropped (the record is kept for the whole set)."""
        t = rec.end_ms or rec.start_ms
        for rule in self._rep_rules:
            if rule.kind != "peak" and not rec.reached or rule.code in rec.not_judged:
                continue
            if rep_fault(rule, rec):
                rec.add_fault(rule.code, rule.cue, t)
        if rec.reached:
            self._judge_at_peak(rec)
        self.note_unjudged(rec)
        rec.rule_samples = {}

    def _judge_at_peak(self, rec: RepRecord) -> None:
        """Judge the 'peak' rules on the frames near the rep's own peak (the held top), from their
        median: one verdict per rep, the moment a therapist would look."""
        if not rec.samples or self.exercise.rep is None:
            return
        start, end = rec.near_peak(PEAK_BAND, self.exercise.rep.hysteresis)
        for rule in self._peak_rules:
            if not self._judges(rule):
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
                rec.not_judged[rule.code] = self.unseen(rule)
            elif rule.violated(value):
                rec.add_fault(rule.code, rule.cue_for(value), (start + end) // 2)

    def note_unjudged(self, rec: RepRecord | HoldRecord) -> None:
        """A frame rule that couldn't be judged on most of the frames it applied to, and didn't
        fire, is 'not judged' on this rep or hold — never silently 'clean'."""
        rules = {r.code: r for r in self._frame_rules}
        for code, (judged, unsure) in rec.seen.items():
            if code not in rec.faults and unsure > judged:
                rec.not_judged[code] = self.unseen(rules[code])
