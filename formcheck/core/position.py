"""Positions, joint by joint: is the person in the exercise's position (a hold's, or where a rep
starts), which joint is missing, and does it look like one of the exercise's variants instead?

A position is a list of ``Condition``s (forearm plank: forearms under the shoulders, knees
straight, hips off the floor, body near horizontal); lying face down, a sphinx or a knee plank
fail one of them, so they are not the position. What is missing is said with that condition's cue
("Lift your hips off the floor"), or, when the body matches a variant's position, "This looks like
a knee plank: choose Knee plank". The tally of what was seen instead explains a set in which
nothing was counted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from formcheck.core.cues import CueCandidate
from formcheck.core.exercise import SEVERITY_SETUP, Condition, Variant

# Out of position this long (seen, and not in a variant) before the missing joint is cued: the
# time to get into the position is not a fault.
POSITION_HINT_MS = 2000
# A variant's position held this long before "this looks like ..." is said (not a pass-through).
VARIANT_MS = 1500


@dataclass(frozen=True, slots=True)
class PositionVerdict:
    held: bool
    missing: Condition | None = None  # the first condition that failed (None: held, or unseen)
    unseen: tuple[str, ...] = ()  # measures that could not be read (a joint not seen)
    variant: Variant | None = None  # the body is in this variant's position instead


def judge(conditions: tuple[Condition, ...], variants: tuple[Variant, ...],
          value: Callable[[str], float]) -> PositionVerdict:
    """Check every joint of the position on one frame (``value``: a measure's value, nan unseen)."""
    missing: Condition | None = None
    unseen: list[str] = []
    for c in conditions:
        v = value(c.measure)
        if math.isnan(v):
            unseen.append(c.measure)
        elif not c.holds(v) and missing is None:
            missing = c
    if missing is None and not unseen:
        return PositionVerdict(True)
    for variant in variants:
        if all(c.holds(value(c.measure)) for c in variant.position):
            return PositionVerdict(False, missing, tuple(unseen), variant)
    return PositionVerdict(False, missing, tuple(unseen))


@dataclass
class PositionWatch:
    """Follows the verdicts frame by frame: the cues to give, and a tally of what was seen instead
    of the position while a set ran (for "why nothing counted")."""

    since_ms: int | None = None  # out of position (seen) since
    variant_since: tuple[str, int] | None = None
    tally: Counter[str] = field(default_factory=Counter)  # "variant:<name>", "missing:<cue>", "unseen:<measure>"
    frames: int = 0  # frames seen while the set ran

    def reset(self) -> None:
        self.since_ms = self.variant_since = None
        self.tally.clear()
        self.frames = 0

    def update(self, t_ms: int, verdict: PositionVerdict, counting: bool) -> list[CueCandidate]:
        """The set-up cues for this frame: a variant recognised, or the joint that is missing."""
        if counting:
            self.frames += 1
        if verdict.held:
            self.since_ms = self.variant_since = None
            return []
        self.since_ms = self.since_ms if self.since_ms is not None else t_ms
        if verdict.variant is not None:
            name = verdict.variant.name
            if self.variant_since is None or self.variant_since[0] != name:
                self.variant_since = (name, t_ms)
            if counting:
                self.tally[f"variant:{name}"] += 1
            if t_ms - self.variant_since[1] >= VARIANT_MS:
                return [CueCandidate(f"variant:{verdict.variant.exercise}", variant_text(verdict.variant),
                                     SEVERITY_SETUP, "setup")]
            return []
        self.variant_since = None
        if verdict.missing is None and verdict.unseen:
            if counting:
                self.tally[f"unseen:{verdict.unseen[0]}"] += 1
            return []
        if verdict.missing is not None and verdict.missing.cue:
            if counting:
                self.tally[f"missing:{verdict.missing.cue}"] += 1
            if t_ms - self.since_ms >= POSITION_HINT_MS:
                return [CueCandidate(f"position:{verdict.missing.measure}", verdict.missing.cue, SEVERITY_SETUP,
                                     "setup")]
        return []

    def reason(self, what: str, position_cue: str, words: Callable[[str], str]) -> str:
        """Why the position was never (or seldom) seen, in words ("" when nothing stands out);
        ``words`` names the body parts a measure reads."""
        if not self.tally:
            return ""
        key, _n = self.tally.most_common(1)[0]
        kind, text = key.split(":", 1)
        if kind == "variant":
            return f"This looked like {_article(text)}: choose {text} to have it counted"
        if kind == "unseen":
            return f"I couldn't see your {words(text)} clearly enough to check the {what}"
        return f"I never saw the {what}: {text[0].lower()}{text[1:]} ({position_cue[0].lower()}{position_cue[1:]})"


def variant_text(v: Variant) -> str:
    return f"This looks like {_article(v.name)} — choose {v.name} to have it counted"


def _article(name: str) -> str:
    lower = name[0].lower() + name[1:]
    return f"{'an' if lower[0] in 'aeiou' else 'a'} {lower}"
