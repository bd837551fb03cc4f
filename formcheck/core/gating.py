"""Set-up gating: is the person seen well enough, from the right side, to judge form?

When not, the engine shows a set-up cue instead of form cues and counts nothing.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from formcheck.core.exercise import SetupDef
from formcheck.core.kinematics import Side, ViewEstimate, landmark_index
from formcheck.core.landmarks import PoseResult

VOTE_WINDOW_MS = 1000
FRAME_MARGIN = 0.02  # landmarks this close to the border (fraction of size) count as cut off


@dataclass(frozen=True, slots=True)
class SetupIssue:
    key: str
    text: str


NO_PERSON = SetupIssue("no_person", "Step into view of the camera")
OUT_OF_FRAME = SetupIssue("out_of_frame", "Move back so your whole body is in view")
TURN_SIDE_ON = SetupIssue("turn_side_on", "Turn side-on to the camera")
FACE_CAMERA = SetupIssue("face_camera", "Face the camera")


class ViewVote:
    """Majority view over the last second, so one odd frame doesn't flip the verdict."""

    def __init__(self) -> None:
        self._votes: deque[tuple[int, str]] = deque()

    def reset(self) -> None:
        self._votes.clear()

    def add(self, t_ms: int, view: ViewEstimate | None) -> str | None:
        if view is not None:
            self._votes.append((t_ms, view.view))
        while self._votes and t_ms - self._votes[0][0] > VOTE_WINDOW_MS:
            self._votes.popleft()
        if not self._votes:
            return None
        return Counter(v for _, v in self._votes).most_common(1)[0][0]


def setup_issue(
    result: PoseResult, view: str | None, setup: SetupDef | None, side: Side
) -> SetupIssue | None:
    """The most basic problem stopping form checks this frame, or None when all is well."""
    pose = result.pose
    if pose is None:
        return NO_PERSON
    if setup is None:
        return None
    unsure: list[str] = []
    for joint in setup.landmarks:
        for idx in landmark_index(joint, side):
            x, y = pose.image[idx, 0], pose.image[idx, 1]
            mx, my = FRAME_MARGIN * result.width, FRAME_MARGIN * result.height
            if not (-mx <= x <= result.width + mx and -my <= y <= result.height + my):
                return OUT_OF_FRAME
            if pose.confidence(idx) < setup.min_visibility:
                unsure.append(joint)
    if unsure:
        name = unsure[0].replace("mid_", "").replace("_", " ")
        return SetupIssue(
            "not_visible", f"I can't see your {name} clearly — check it's in view and well lit"
        )
    if view is not None and view not in setup.views:
        return TURN_SIDE_ON if "side" in setup.views else FACE_CAMERA
    return None
