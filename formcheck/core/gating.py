"""Set-up gating: is the person seen well enough, from the right side, to judge form?

When not, the engine shows a set-up cue instead of form cues and counts nothing.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass

from formcheck.core.exercise import SetupDef
from formcheck.core.kinematics import Side, ViewEstimate, landmark_index
from formcheck.core.landmarks import PoseResult
from formcheck.core.measures import Measure

VOTE_WINDOW_MS = 1000
FRAME_MARGIN = 0.02  # landmarks this close to the border (fraction of size) count as cut off


@dataclass(frozen=True, slots=True)
class SetupIssue:
    key: str
    text: str


NO_PERSON = SetupIssue("no_person", "Step into view of the camera")
# The words a person uses for the part of the body a landmark belongs to (and whether it is plural).
_BODY_WORDS: dict[str, tuple[str, bool]] = {
    "wrist": ("hands", True), "pinky": ("hands", True), "index": ("hands", True), "thumb": ("hands", True),
    "elbow": ("arms", True), "shoulder": ("shoulders", True), "hip": ("hips", True), "knee": ("knees", True),
    "ankle": ("feet", True), "heel": ("feet", True), "foot_index": ("feet", True),
}


def body_words(joint: str) -> tuple[str, bool]:
    """("feet", True) for "left_ankle", "ankle" or "mid_ankle"; the head for the face points."""
    base = joint.removeprefix("mid_").removeprefix("left_").removeprefix("right_")
    return _BODY_WORDS.get(base, ("head", False))


def parts_read(measures: Mapping[str, Measure], measure: str) -> str:
    """The body parts a measure reads, in words: "hips and knees" ("" for an unknown measure)."""
    m = measures.get(measure)
    words = [body_words(p)[0] for p in (m.points if m else ())]
    return " and ".join(dict.fromkeys(words))


def out_of_frame(joint: str) -> SetupIssue:
    """A framing cue that names the part of the body the camera doesn't see."""
    word, plural = body_words(joint)
    return SetupIssue("out_of_frame", f"Your {word} {'are' if plural else 'is'} out of the picture — move back, "
                      "or move the camera, so your whole body is in view")
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


def inside(x: float, y: float, width: int, height: int) -> bool:
    """A point lies inside a picture of that size (within ``FRAME_MARGIN``), not beyond its edge."""
    mx, my = FRAME_MARGIN * width, FRAME_MARGIN * height
    return bool(-mx <= x <= width + mx and -my <= y <= height + my)


def in_frame(result: PoseResult, idx: int) -> bool:
    """The landmark lies inside the picture, not guessed beyond its edge."""
    assert result.pose is not None
    return inside(float(result.pose.image[idx, 0]), float(result.pose.image[idx, 1]), result.width, result.height)


def setup_issue(
    result: PoseResult, view: str | None, setup: SetupDef | None, side: Side,
    landmarks: tuple[str, ...] | None = None,
) -> SetupIssue | None:
    """The most basic problem stopping form checks this frame, or None when all is well.

    ``landmarks``: the joints that must be seen (default: the set-up's; a set under way needs only
    those that count it — the others missing are "not judged", not a stop)."""
    pose = result.pose
    if pose is None:
        return NO_PERSON
    if setup is None:
        return None
    unsure: list[str] = []
    for joint in setup.landmarks if landmarks is None else landmarks:
        for idx in landmark_index(joint, side):
            if not in_frame(result, idx):
                return out_of_frame(joint)
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
