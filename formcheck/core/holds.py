"""Hold timing: time accumulates while the person is in position with clean form.

A hold starts once the position has been held for ``settle_s`` (getting into it isn't holding
it: a pass-through is not a hold, and its faults are not the hold's) and is then timed from when
the position was reached; it pauses while form breaks (the time is not
counted, the fault is kept), survives short slips out of position (``grace_s``), and ends when the
position is lost for longer. ``Stillness`` tells when the body has stopped moving into the position.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from formcheck.core.exercise import HoldDef
from formcheck.core.kinematics import point
from formcheck.core.landmarks import Pose
from formcheck.core.measures import torso_length

# Gaps between samples longer than this are not counted (dropped frames, person out of view).
MAX_STEP_MS = 250
# Settled = in position and still this long: the hold is dated from the start of that stillness
# (the end of sinking into a child's pose, not the moment its thresholds were first met).
STILL_MS = 500
# ... but a body that never reads still (a tremor, a jittery dim picture) has settled all the same
# once in position this many times ``settle_s``.
SETTLE_ANYWAY = 3
# Still = the body's middle (head, shoulders, hips, knees) moved less than this share of a torso
# length over the last half second (~2.5 cm: holding a pose moves less, sinking into it more).
STILL_WINDOW_MS = 500
STILL_SHARE = 0.05
_STILL_POINTS = ("nose", "mid_shoulder", "mid_hip", "mid_knee")


@dataclass(slots=True)
class HoldRecord:
    start_ms: int
    end_ms: int
    held_ms: int = 0
    side: str | None = None
    faults: dict[str, tuple[str, int]] = field(default_factory=dict)
    not_judged: dict[str, str] = field(default_factory=dict)  # rule code -> why it couldn't be judged
    seen: dict[str, list[int]] = field(default_factory=dict)  # frame rule -> [judged, unsure] frames

    def add_fault(self, code: str, message: str, t_ms: int) -> None:
        self.faults.setdefault(code, (message, t_ms))


class Stillness:
    """Whether the body is still, from its recent positions: the signal a hold settles on."""

    def __init__(self) -> None:
        self._motion: deque[tuple[int, npt.NDArray[np.float64]]] = deque()  # recent _STILL_POINTS

    def update(self, t: int, pose: Pose) -> bool:
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


class HoldTimer:
    def __init__(self, hold: HoldDef) -> None:
        self.hold = hold
        self.current: HoldRecord | None = None
        self._last_ms: int | None = None
        self._last_in_position_ms: int | None = None
        self._entered_ms: int | None = None  # position reached, still settling into it
        self._still_ms: int | None = None  # still (not moving into the position) since
        # Nothing seen yet (a new timer, or the start of a set): a first frame in position is a hold
        # already under way, whether a set or a clip opens in position (analyze, eval and the app alike).
        self._fresh = True

    def reset(self, fresh: bool = False) -> HoldRecord | None:
        """End any hold in progress (e.g. the person left); returns it if long enough to keep.
        ``fresh``: start over as if nothing was seen yet (a new set)."""
        done = self._close()
        self._last_ms = self._entered_ms = None
        self._fresh = fresh
        return done

    @property
    def settling(self) -> bool:
        """In position, but not yet long enough for the hold to have begun."""
        return self.current is None and self._entered_ms is not None

    @property
    def held_s(self) -> float:
        return self.current.held_ms / 1000.0 if self.current else 0.0

    def update(self, t_ms: int, in_position: bool, form_ok: bool, side: str | None = None,
               still: bool = True) -> HoldRecord | None:
        """Advance one frame (``still``: the body isn't moving); returns a finished hold when one ends."""
        step = 0 if self._last_ms is None else min(t_ms - self._last_ms, MAX_STEP_MS)
        self._last_ms = t_ms
        self._still_ms = (self._still_ms if self._still_ms is not None else t_ms) if still else None
        if not in_position:
            self._fresh = False
        if in_position:
            if self.current is None:
                # The hold begins once the person has settled into the position (as a therapist
                # starts the clock): getting into it is not holding it.
                self._entered_ms = self._entered_ms if self._entered_ms is not None else t_ms
                # In position from the very first frame (a video that starts mid-hold, or a set that
                # begins with the person already in position): settled already.
                start = self._settled_since(t_ms)
                self._fresh = False
                if start is None:
                    return None
                # Settled: the hold is timed from when the person came to rest in the position (as
                # a therapist reads the clock back once they see it is held); form is judged from now.
                self.current = HoldRecord(start, t_ms, t_ms - start, side=side)
            elif form_ok:
                self.current.held_ms += max(0, step)
            self.current.end_ms = t_ms
            self._last_in_position_ms = t_ms
            return None
        if self.current is None:
            self._entered_ms = None  # left before settling: start again
        if (
            self.current is not None
            and self._last_in_position_ms is not None
            and t_ms - self._last_in_position_ms > self.hold.grace_s * 1000
        ):
            return self._close()
        return None

    def _settled_since(self, t_ms: int) -> int | None:
        """When the person settled into the position, once it is clear they have (else None): in
        position for ``settle_s`` and still for ``STILL_MS``, dated from the start of the stillness."""
        assert self._entered_ms is not None
        if self._fresh:  # in position from the first frame: settled already
            return self._entered_ms
        held = t_ms - self._entered_ms
        if held < self.hold.settle_s * 1000:
            return None
        if self._still_ms is not None and t_ms - self._still_ms >= STILL_MS:
            return max(self._entered_ms, self._still_ms)
        if held >= SETTLE_ANYWAY * self.hold.settle_s * 1000:
            return self._entered_ms + int(self.hold.settle_s * 1000)
        return None

    def _close(self) -> HoldRecord | None:
        done, self.current, self._entered_ms = self.current, None, None
        # Keep any real attempt at the position, even one whose form never allowed the timer to
        # run: the faults are what the therapist needs to see.
        if done is None or done.end_ms - done.start_ms < self.hold.min_record_s * 1000:
            return None
        exit_from = done.end_ms - self.hold.exit_s * 1000
        done.faults = {c: (m, t) for c, (m, t) in done.faults.items() if t < exit_from}
        return done
