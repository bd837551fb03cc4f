"""Rep counting: a state machine on one measure, with hysteresis and minimum phase durations.

    unready ──(at rest for min_rest_s)──► rest ──(past start)──► up ──(target)──► top
       ▲                                   ▲  ◄──(back to rest: an *attempt*)── up      │
       │                                   └──────(back to rest: a *rep*)── down ◄──────┘
       └── reset() (person lost, set-up broken)

A movement that leaves rest, turns and comes back is a rep — also one that falls short of the
target, which counts and carries the exercise's depth fault ("Go a little deeper"), as a therapist
counts it. Only a clear abort, less than ``ABORT_SHARE`` of this person's usual range in the set
(before any rep: the range from rest to the target), is an *attempt*, not a rep.
Nothing can start until the person has been still at rest, so getting into position never counts.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from formcheck.core.exercise import RepDef

State = Literal["unready", "rest", "up", "top", "down"]
# The rep's own peak: within this share of its range from the furthest value. The way up ends and
# the way down begins there, and form "at the top" is read on these frames.
PEAK_BAND = 0.15
# A pause at the top is timed wider, over the top third of the movement: a therapist counts the
# hips held up (and slowly settling) as the pause, not only the instant of greatest height.
TOP_BAND = 0.35
# The movement begins when the value has left its resting level by this share of the rep's range
# (at least half the hysteresis): the limb that moves, not a resting limb's slow drift of a few
# degrees before it (which would make a 0.15 s raise read 1.3 s).
REST_BAND = 0.1
# A movement with less than this share of the person's usual range (the median of their reps so
# far in the set) is an abort, not a rep: a rep well short of the others is a short rep only when
# it is at least half of them.
ABORT_SHARE = 0.5
USUAL_REPS = 5  # the usual range is the median of the last few reps


@dataclass(slots=True)
class RepRecord:
    """One rep or attempt as it happens; ``reached`` tells which it was (a rep), ``short`` that it
    counted without reaching the target."""

    side: str | None
    start_ms: int
    reached: bool = False
    top_start_ms: int | None = None
    top_end_ms: int | None = None
    end_ms: int | None = None
    peak: float = math.nan
    low: float = math.nan
    faults: dict[str, tuple[str, int]] = field(default_factory=dict)  # code -> (message, t_ms)
    samples: list[tuple[int, float]] = field(default_factory=list)
    # Rules that could not be judged on this rep (code -> why), and the evidence kept to judge
    # rules at the rep's peak: rule code -> (t_ms, value) per frame of the rep.
    not_judged: dict[str, str] = field(default_factory=dict)
    rule_samples: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    baselines: dict[str, float] = field(default_factory=dict)  # relative rules: the value at rest before
    pause: tuple[int, int] | None = None  # time at the top (TOP_BAND), once the rep is over
    seen: dict[str, list[int]] = field(default_factory=dict)  # frame rule -> [judged, unsure] frames
    short: bool = False  # counted without reaching the target (keep new fields last: positional use)

    def add_fault(self, code: str, message: str, t_ms: int) -> None:
        self.faults.setdefault(code, (message, t_ms))

    def settle_phases(self, hysteresis: float) -> None:
        """Time the phases from the samples once the rep is over.

        Up ends and down begins near the rep's own peak (within ``PEAK_BAND`` of its range, at least
        the hysteresis), so a slow lowering is not mistaken for time at the top; the top (the pause)
        is the time within ``TOP_BAND`` of the peak.
        """
        if not self.reached or not self.samples:
            return
        self.top_start_ms, self.top_end_ms = self.near_peak(PEAK_BAND, hysteresis)
        self.pause = self.near_peak(TOP_BAND, hysteresis)
        self.start_ms = self.movement_start(hysteresis)

    def movement_start(self, hysteresis: float) -> int:
        """When the movement began: the last moment before the peak that the value was still within
        ``REST_BAND`` of the rep's range (at least half the hysteresis) of its resting level
        (``low``), or on the rest side of it."""
        band = max(hysteresis / 2, REST_BAND * abs(self.peak - self.low))
        sign = 1.0 if self.peak >= self.low else -1.0
        top = self.top_start_ms if self.top_start_ms is not None else self.samples[-1][0]
        start = self.start_ms
        for t, v in self.samples:
            if t > top:
                break
            if sign * (v - self.low) <= band:
                start = t
        return start

    def near_peak(self, share: float, hysteresis: float) -> tuple[int, int]:
        """First and last moment the value was within ``share`` of the rep's range from its peak."""
        band = max(hysteresis, share * abs(self.peak - self.low))
        near = [t for t, v in self.samples if abs(v - self.peak) <= band]
        return near[0], near[-1]

    def phase_s(self, phase: str) -> float | None:
        """Duration of the up, top or down phase, or the whole rep, in seconds (None when it didn't happen).

        The rep ends as soon as the value passes back over the start threshold, part-way down;
        the down phase is scaled to the whole return (peak → starting level) at the speed seen,
        and the up phase (from leaving rest to nearing the peak) to the whole rise, so tempo
        thresholds can be the ones a therapist would time with a watch.
        """
        if phase == "whole":  # up, the time near the peak, and down: the rep as a watch times it
            parts = (self.phase_s("up"), self.phase_s("down"))
            if None in parts or self.top_start_ms is None or self.top_end_ms is None:
                return None
            return sum(p for p in parts if p is not None) + (self.top_end_ms - self.top_start_ms) / 1000.0
        bounds = {
            "up": (self.start_ms, self.top_start_ms),
            "top": self.pause or (self.top_start_ms, self.top_end_ms),
            "down": (self.top_end_ms, self.end_ms),
        }[phase]
        if bounds[0] is None or bounds[1] is None:
            return None
        seconds = (bounds[1] - bounds[0]) / 1000.0
        if phase == "down" and self.samples:
            covered = abs(self.peak - self.samples[-1][1])
            if covered > 0:
                seconds *= min(abs(self.peak - self.low) / covered, 3.0)
        if phase == "up" and self.samples:
            # Likewise the way up is timed between leaving rest and nearing the peak, and scaled
            # to the whole rise at the speed seen.
            at = dict(self.samples)
            covered = abs(at.get(bounds[1], self.peak) - at.get(bounds[0], self.low))
            if covered > 0:
                seconds *= min(abs(self.peak - self.low) / covered, 3.0)
        return seconds


class RepCounter:
    def __init__(self, rep: RepDef, side: str | None = None, ranges: list[float] | None = None) -> None:
        self.rep = rep
        self.side = side
        # The ranges of the reps counted in this set (shared by the counters of both sides): what
        # is usual for this person, so a clear abort can be told from a short rep.
        self.ranges = ranges if ranges is not None else []
        self.state: State = "unready"
        self.current: RepRecord | None = None
        self._since_ms: int | None = None  # when the value entered the region of a pending move
        self._sign = 1.0 if rep.rising else -1.0
        # Recent samples while resting, to date a rep's start back to when the movement began
        # (the start threshold is crossed part-way through it).
        self._history: deque[tuple[int, float]] = deque(maxlen=90)
        self._rest_level: float | None = None  # of the rep under way
        self._fresh = True

    def reset(self) -> None:
        """Forget any movement in progress (the person left, or set-up broke)."""
        self.state = "unready"
        self._fresh = True  # no sample seen yet since (re)starting
        self.current = None
        self._since_ms = None
        self._history.clear()

    @property
    def pending(self) -> bool:
        """At rest, but a move past ``start`` is under way (being debounced into a rep)."""
        return self.state == "rest" and self._since_ms is not None

    def _past(self, value: float, threshold: float, margin: float) -> bool:
        """True when value is beyond threshold + margin in the rep's direction."""
        return self._sign * (value - threshold) > margin

    def update(self, t_ms: int, value: float) -> RepRecord | None:
        """Advance with one sample; returns a finished rep or attempt, else None."""
        if math.isnan(value):
            return None
        r = self.rep
        at_rest = not self._past(value, r.start, -r.hysteresis)  # at or behind start - hyst
        if self.current is not None:
            self._track_extremes(value)
            self.current.samples.append((t_ms, value))

        if self.state == "unready":
            first, self._fresh = self._fresh, False
            if at_rest:
                self._since_ms = self._since_ms if self._since_ms is not None else t_ms
                # Seen at rest from the very first moment (a video that starts in the starting
                # position): that is rest already, or the first rep would be lost.
                if first or t_ms - self._since_ms >= r.min_rest_s * 1000:
                    self.state, self._since_ms = "rest", None
            else:
                self._since_ms = None
            return None

        if self.state == "rest":
            self._history.append((t_ms, value))
            if self._past(value, r.start, r.hysteresis):
                # Debounce: the move must last min_phase_s before it counts as started.
                self._since_ms = self._since_ms if self._since_ms is not None else t_ms
                if t_ms - self._since_ms >= r.min_phase_s * 1000:
                    self.state = "up"
                    start_ms, low = self._movement_start()
                    # The resting level: the median of the values at rest before the movement, not
                    # the most rest-ward one (a noisy standing knee, one frame at 171° among
                    # 160–165°, would date the squat's start seconds early and stretch its range).
                    before = sorted(v for t, v in self._history if t < start_ms) or [low]
                    self._rest_level = before[len(before) // 2]
                    self.current = RepRecord(self.side, start_ms, peak=value, low=low)
                    self.current.samples = [(t, v) for t, v in self._history if t >= start_ms]
                    self._history.clear()
                    self._since_ms = None
                    self._reach_check(t_ms, value)
            else:
                self._since_ms = None
            return None

        assert self.current is not None
        if self.state == "up":
            if self._reach_check(t_ms, value):
                return None
            if at_rest:
                return self._finish(t_ms)
            return None
        if self.state == "top":
            if not self._past(value, r.target, -r.hysteresis):
                self.state = "down"
                self.current.top_end_ms = t_ms
            return None
        # down
        if self._past(value, r.target, 0.0):
            self.state = "top"  # went back up to the target: still the same rep
            self.current.top_end_ms = None
            return None
        if at_rest:
            return self._finish(t_ms)
        return None

    def _movement_start(self) -> tuple[int, float]:
        """When the movement began: the last moment the value was still at its resting level
        (within half the hysteresis of the most rest-ward value seen while resting)."""
        samples = list(self._history)
        rest_level = min(self._sign * v for _, v in samples)
        for t, v in reversed(samples):
            if self._sign * v - rest_level <= self.rep.hysteresis / 2:
                return t, v
        return samples[0]

    def _reach_check(self, t_ms: int, value: float) -> bool:
        assert self.current is not None
        if self._past(value, self.rep.target, 0.0):
            self.state = "top"
            self.current.reached = True
            self.current.top_start_ms = t_ms
            return True
        return False

    def _track_extremes(self, value: float) -> None:
        cur = self.current
        assert cur is not None
        if self.rep.rising:
            cur.peak = max(cur.peak, value)
            cur.low = min(cur.low, value)
        else:
            cur.peak = min(cur.peak, value)
            cur.low = max(cur.low, value)

    def _usual_range(self, rest_level: float) -> float:
        recent = self.ranges[-USUAL_REPS:]
        if recent:
            return sorted(recent)[len(recent) // 2]
        return abs(self.rep.target - rest_level)

    def _finish(self, t_ms: int) -> RepRecord:
        assert self.current is not None
        done = self.current
        done.end_ms = t_ms
        if self._rest_level is not None:
            done.low = self._rest_level
        moved = abs(done.peak - done.low)
        if not done.reached and moved >= ABORT_SHARE * self._usual_range(done.low):
            done.reached = done.short = True  # turned back short of the target: a short rep
        if done.reached:
            self.ranges.append(moved)
        done.settle_phases(self.rep.hysteresis)
        self.current = None
        self.state = "rest"
        return done
