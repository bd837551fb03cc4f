"""The tracker's body sides: which side faces the camera, and the rep counters of each side — left
and right for an alternating exercise, one side at a time ("all" otherwise), with the same again on
the rep's second signal (``RepDef.also``), for what the first can't see.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, deque
from collections.abc import Iterator

from formcheck.core.exercise import RepDef
from formcheck.core.kinematics import Side, facing_side
from formcheck.core.landmarks import Pose
from formcheck.core.reps import RepCounter, RepRecord

SIDE_VOTE_FRAMES = 15


def _as_side(name: str) -> Side | None:
    """The body side a counter reads ("all": the near side)."""
    return "left" if name == "left" else "right" if name == "right" else None


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


class TrackerSides:
    """The near side and the rep counters of one tracker."""

    def __init__(self, rep: RepDef | None) -> None:
        self.rep = rep
        self.ranges: list[float] = []  # the ranges of this set's reps: what is usual for this person
        self.counters: dict[str, RepCounter] = {}
        self.also: dict[str, RepCounter] = {}
        if rep is not None:
            names = ("left", "right") if rep.alternating else ("all",)
            self.counters = {s: RepCounter(rep, _as_side(s), self.ranges) for s in names}
            if rep.also is not None:
                also = dataclasses.replace(rep, measure=rep.also.measure, start=rep.also.start,
                                           target=rep.also.target, also=None)
                self.also = {s: RepCounter(also, _as_side(s)) for s in names}
        self._near: deque[Side] = deque(maxlen=SIDE_VOTE_FRAMES)

    def facing(self, pose: Pose | None) -> Side:
        """The near side, voted over recent frames and kept while a rep is under way so a noisy
        frame can't switch which leg is measured mid-movement."""
        if pose is not None and not self.in_rep():
            self._near.append(facing_side(pose))
        if not self._near:
            return "left"
        return Counter(self._near).most_common(1)[0][0]

    def all(self) -> tuple[RepCounter, ...]:
        return (*self.counters.values(), *self.also.values())

    def in_rep(self, but: RepCounter | None = None) -> bool:
        return any(c.current is not None for c in self.all() if c is not but)

    def active_side(self) -> Side | None:
        """The limb side under way in an alternating exercise (None: none, or not alternating)."""
        for counters in (self.counters, self.also):
            for name, c in counters.items():
                side = _as_side(name)
                if c.current is not None and side is not None:
                    return side
        return None

    def ready(self) -> bool:
        """The counters have seen the starting position."""
        return all(c.state != "unready" for c in self.counters.values())

    def reset(self) -> None:
        """Back to waiting for the starting position (the person was lost)."""
        for c in self.all():
            c.reset()

    def to_feed(self) -> Iterator[tuple[RepCounter, str, Side | None, bool]]:
        """The counters to feed this frame, each with the measure and side it reads and whether it
        counts the second signal: in an alternating exercise, only the side under way, once one is."""
        rep = self.rep
        if rep is None:
            return
        busy = self.active_side()
        for counters, measure, also in ((self.counters, rep.measure, False),
                                        (self.also, rep.also.measure if rep.also else "", True)):
            for name, counter in counters.items():
                if rep.alternating and busy is not None and name != busy:
                    continue  # one side at a time
                side = _as_side(name)
                if also and rep.also is not None and rep.also.opposite and side is not None:
                    side = _other(side)  # the leg that goes with the working arm
                yield counter, measure, side, also

    def phase(self) -> str:
        states = [c.state for c in self.all()]
        for state, phase in (("top", "top"), ("up", "moving"), ("down", "moving")):
            if state in states:
                return phase
        return "rest" if "rest" in states else "unready"

    def main_under_way(self, side: str | None) -> bool:
        """The first signal's counter for this side is in a movement."""
        main = self.counters.get(side or "all")
        return main is not None and main.current is not None

    def drop_second_sighting(self, rec: RepRecord) -> None:
        """The first signal finished ``rec``: the second signal's counters that saw the same movement
        start over (counted once, and from rest again)."""
        for c in self.also.values():
            if c.current is not None and c.current.start_ms < (rec.end_ms or 0):
                c.reset()

    def counts(self, reps: list[RepRecord]) -> dict[str, int]:
        counts = {name: 0 for name in self.counters}
        for r in reps:
            counts[r.side or "all"] += 1
        return counts
