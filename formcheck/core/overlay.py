"""What an annotator draws on top of a frame, as plain data (shared by live view, export, review)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["neutral", "ok", "fault", "unseen"]
CueLevel = Literal["info", "setup", "fault", "good"]
# The level a cue of each kind is drawn at (anything else, such as a plain banner, is "info").
CUE_LEVELS: dict[str, CueLevel] = {"setup": "setup", "fault": "fault", "positive": "good", "milestone": "good"}


@dataclass(frozen=True, slots=True)
class Overlay:
    """Heads-up display for one frame.

    ``segment_status`` maps a skeleton segment (pair of landmark indices, either order) to the
    status of the rules that use it, so the skeleton can be coloured by form.
    """

    title: str = ""
    lines: tuple[str, ...] = ()
    cue: str = ""
    cue_level: CueLevel = "info"
    segment_status: dict[tuple[int, int], Status] = field(default_factory=dict)
    progress: float | None = None  # 0–1, e.g. a hold filling toward its target

    def status_of(self, a: int, b: int) -> Status:
        return self.segment_status.get((a, b)) or self.segment_status.get((b, a)) or "neutral"
