"""Cue scheduling: which one short message to show and say now. Pure; time is passed in.

Rules: at most one cue at a time, chosen by severity; a fault or set-up problem must persist for
``persist_s`` before it is cued; the same cue is not repeated within ``cooldown_s``; events
(positive feedback after a clean rep, milestones) are cued at once unless something more
important is showing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

CueKind = Literal["setup", "fault", "positive", "milestone"]


@dataclass(frozen=True, slots=True)
class CueCandidate:
    key: str  # identity for persistence and cool-down, e.g. a fault code
    text: str
    severity: int
    kind: CueKind


@dataclass(frozen=True, slots=True)
class Cue:
    key: str
    text: str
    severity: int
    kind: CueKind
    t_ms: int  # when it was first shown


@dataclass(frozen=True, slots=True)
class CueConfig:
    persist_s: float = 0.5
    cooldown_s: float = 6.0
    display_s: float = 2.5


class CueScheduler:
    def __init__(self, config: CueConfig | None = None) -> None:
        self.config = config or CueConfig()
        self._first_seen: dict[str, int] = {}
        self._last_shown: dict[str, int] = {}
        self._current: Cue | None = None

    def reset(self) -> None:
        self._first_seen.clear()
        self._last_shown.clear()
        self._current = None

    @property
    def current(self) -> Cue | None:
        return self._current

    def update(
        self, t_ms: int, conditions: Sequence[CueCandidate], events: Sequence[CueCandidate] = ()
    ) -> Cue | None:
        """Feed this frame's standing conditions and one-off events; returns a cue newly shown.

        ``conditions`` are problems present in this frame (they must persist); ``events`` are
        things that just happened. The cue on display is ``current``.
        """
        cfg = self.config
        present = {c.key for c in conditions}
        self._first_seen = {k: t for k, t in self._first_seen.items() if k in present}
        for c in conditions:
            self._first_seen.setdefault(c.key, t_ms)

        if self._current and t_ms - self._current.t_ms >= cfg.display_s * 1000:
            self._current = None
        # A condition cue stops showing as soon as the problem is fixed.
        if self._current and self._current.kind in ("setup", "fault") and self._current.key not in present:
            self._current = None

        ready = [
            c
            for c in conditions
            if t_ms - self._first_seen[c.key] >= cfg.persist_s * 1000 and self._cooled(c.key, t_ms)
        ]
        ready += [e for e in events if self._cooled(e.key, t_ms)]
        if not ready:
            return None
        best = max(ready, key=lambda c: c.severity)
        if self._current and best.severity <= self._current.severity:
            return None
        self._current = Cue(best.key, best.text, best.severity, best.kind, t_ms)
        self._last_shown[best.key] = t_ms
        return self._current

    def _cooled(self, key: str, t_ms: int) -> bool:
        last = self._last_shown.get(key)
        return last is None or t_ms - last >= self.config.cooldown_s * 1000
