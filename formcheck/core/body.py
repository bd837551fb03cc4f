"""Body calibration: a person's own segment lengths, and landmarks that can't be theirs.

A few seconds standing (side-on or facing the camera) give each segment's length in image pixels
(at that distance; divided by the trunk, in body units) and in MediaPipe's 3-D world landmarks
(metres). Bones don't change length, so later a limb whose 3-D length is suddenly far from the
person's own (``SEGMENT_TOLERANCE`` longer) is a landmark on the wrong spot; when the same joint
on the *other* side would fit, left and right were swapped. World lengths are used for that check because
they don't shrink when a limb points at the camera, as image lengths do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from formcheck.core.kinematics import Side, classify_view, facing_side, landmark_index, point
from formcheck.core.landmarks import Pose, PoseResult
from formcheck.core.measures import world_point

# name -> (from joint, to joint); limbs are measured per side ("left_thigh", "right_thigh").
LIMBS: dict[str, tuple[str, str]] = {
    "thigh": ("hip", "knee"),
    "shank": ("knee", "ankle"),
    "upper_arm": ("shoulder", "elbow"),
    "forearm": ("elbow", "wrist"),
}
TRUNK = ("mid_shoulder", "mid_hip")
WIDTHS: dict[str, tuple[str, str]] = {"shoulder_width": ("left_shoulder", "right_shoulder"),
                                      "hip_width": ("left_hip", "right_hip")}
SEGMENT_NAMES = ("trunk", *WIDTHS, *(f"{s}_{limb}" for limb in LIMBS for s in ("left", "right")))
# A limb 30 % longer than the person's own is not theirs (see ``limb_issues`` for why not shorter).
SEGMENT_TOLERANCE = 0.3
MIN_FRAMES = 10
MIN_CONFIDENCE = 0.5


class BodyCalibrationError(ValueError):
    """The recording can't give body measurements; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BodyModel:
    """A person's segment lengths: ``image_px`` at the calibration distance, ``world_m`` in metres.

    Keys are ``SEGMENT_NAMES``; a segment that was never seen clearly is absent.
    """

    image_px: dict[str, float]
    world_m: dict[str, float]
    frames: int = 0
    views: tuple[str, ...] = ()
    stance: float | None = None  # feet apart while standing, in hip widths (body units)

    def world(self, limb: str, side: Side) -> float | None:
        """A limb's 3-D length on ``side`` (the other side's when that one wasn't measured)."""
        other = "right" if side == "left" else "left"
        return self.world_m.get(f"{side}_{limb}") or self.world_m.get(f"{other}_{limb}")

    def body_units(self, name: str) -> float | None:
        """A segment's image length in trunk lengths (independent of camera distance)."""
        trunk = self.image_px.get("trunk")
        value = self.image_px.get(name)
        return value / trunk if trunk and value else None

    @property
    def height_m(self) -> float | None:
        """Standing height, roughly: legs + trunk + head and neck (a third of the trunk)."""
        trunk, thigh, shank = self.world_m.get("trunk"), self.world("thigh", "left"), self.world("shank", "left")
        if not (trunk and thigh and shank):
            return None
        return thigh + shank + trunk * 4 / 3 + 0.08  # the ankle is ~8 cm above the floor


def _length(pose: Pose, a: str, b: str, side: Side | None, world: bool) -> float:
    if world:
        return float(np.linalg.norm(world_point(pose, a, side) - world_point(pose, b, side)))
    return float(np.linalg.norm(point(pose, a, side) - point(pose, b, side)))


def _seen(pose: Pose, joints: Iterable[str], side: Side | None) -> bool:
    return all(pose.confidence(i) >= MIN_CONFIDENCE for j in joints for i in landmark_index(j, side))


def frame_segments(pose: Pose, front: bool) -> tuple[dict[str, float], dict[str, float]]:
    """One pose's segment lengths (image pixels, world metres) for the segments seen clearly.
    Side-on only the near side's limbs count (the far ones are hidden and guessed, often badly),
    and widths count in the image only facing the camera (side-on they collapse)."""
    image: dict[str, float] = {}
    world: dict[str, float] = {}
    if _seen(pose, TRUNK, None):
        image["trunk"] = _length(pose, *TRUNK, None, False)
        world["trunk"] = _length(pose, *TRUNK, None, True)
    for name, (a, b) in WIDTHS.items():
        if _seen(pose, (a, b), None):
            world[name] = _length(pose, a, b, None, True)
            if front:
                image[name] = _length(pose, a, b, None, False)
    sides: tuple[Side, ...] = ("left", "right") if front else (facing_side(pose),)
    for limb, (a, b) in LIMBS.items():
        for side in sides:
            if _seen(pose, (a, b), side):
                image[f"{side}_{limb}"] = _length(pose, a, b, side, False)
                world[f"{side}_{limb}"] = _length(pose, a, b, side, True)
    return image, world


def measure_body(results: Iterable[PoseResult]) -> BodyModel:
    """Segment lengths from a few seconds of a person standing still, side-on or facing the camera
    (median over the frames, so a few bad frames don't matter). Raises ``BodyCalibrationError``
    when nobody was in view or the person wasn't standing."""
    image: dict[str, list[float]] = {}
    world: dict[str, list[float]] = {}
    seen = standing = 0
    postures: dict[str, int] = {}
    views: list[str] = []
    kept: list[Pose] = []
    for result in results:
        if result.pose is None:
            continue
        seen += 1
        view = classify_view(result.pose)
        postures[view.posture] = postures.get(view.posture, 0) + 1
        chain = ("shoulder", "hip", "knee", "ankle")
        if view.posture != "standing" or not _seen(result.pose, chain, facing_side(result.pose)):
            continue
        standing += 1
        kept.append(result.pose)
        if view.view not in views:
            views.append(view.view)
        img, wld = frame_segments(result.pose, view.view != "side")
        for k, v in img.items():
            image.setdefault(k, []).append(v)
        for k, v in wld.items():
            world.setdefault(k, []).append(v)
    if seen == 0:
        raise BodyCalibrationError("Nobody was in view: stand where the camera sees you from head to feet.")
    if standing < MIN_FRAMES:
        most = max(postures, key=postures.__getitem__)
        if most != "standing":
            raise BodyCalibrationError(f"You were seen {most}, not standing: stand up straight, side-on or facing "
                                       "the camera, for a few seconds.")
        raise BodyCalibrationError(f"Only {standing} frames showed your whole body standing: stand still in view, "
                                   "head to feet, for a few seconds.")
    world_m = {k: float(np.median(v)) for k, v in world.items()}
    hip = world_m.get("hip_width")
    feet = float(np.median([stance(p, hip) for p in kept])) if hip else None
    return BodyModel({k: float(np.median(v)) for k, v in image.items()}, world_m, standing, tuple(views), feet)


@dataclass(frozen=True, slots=True)
class LimbIssue:
    """A limb whose landmarks can't be the person's: ``swapped`` (the other side's joint fits) or
    ``implausible``; ``ratio`` is its 3-D length over the person's own."""

    side: Side
    limb: str
    kind: Literal["swapped", "implausible"]
    ratio: float

    @property
    def landmarks(self) -> list[int]:
        """The limb's far joint: the landmark that is on the wrong spot."""
        return landmark_index(LIMBS[self.limb][1], self.side)

    def text(self) -> str:
        what = "left/right swapped" if self.kind == "swapped" else f"{self.ratio:.0%} of its length"
        return f"{self.side} {self.limb.replace('_', ' ')}: {what}"


def limb_issues(pose: Pose, body: BodyModel, tolerance: float = SEGMENT_TOLERANCE) -> list[LimbIssue]:
    """Limbs of ``pose`` whose 3-D length exceeds the person's own by more than ``tolerance``.

    Only *longer* counts: MediaPipe's 3-D estimate shrinks folded and hidden limbs (on the sample
    planks forearms read 25–60 % of their length), but it never stretched a limb that was really
    there by more than ~27 % on the sample clips, so a limb 30 % longer is a joint on the wrong spot.
    It is a left/right ``swapped`` joint when both sides' limbs are too long and each side's far
    joint fits the other side (a swap moves both joints), else ``implausible``.
    """
    issues: list[LimbIssue] = []
    sides: tuple[Side, Side] = ("left", "right")
    for limb, (a, b) in LIMBS.items():
        own = {s: body.world(limb, s) or 0.0 for s in sides}
        if not all(own.values()):
            continue
        ratio = {s: _length(pose, a, b, s, True) / own[s] for s in sides}
        crossed = {s: float(np.linalg.norm(world_point(pose, a, s) - world_point(pose, b, _other(s)))) / own[s]
                   for s in sides}
        long = [s for s in sides if ratio[s] > 1 + tolerance]
        swapped = len(long) == 2 and all(abs(crossed[s] - 1) <= tolerance for s in sides)
        issues += [LimbIssue(s, limb, "swapped" if swapped else "implausible", ratio[s]) for s in long]
    return issues


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def screen(pose: Pose, body: BodyModel) -> tuple[Pose, list[LimbIssue]]:
    """``pose`` with the joints that can't be the person's marked unseen (visibility 0), so rules
    that need them say "not judged" instead of judging a wrong limb; and what was found."""
    issues = limb_issues(pose, body)
    if not issues:
        return pose, issues
    visibility = pose.visibility.copy()
    for issue in issues:
        visibility[issue.landmarks] = 0.0
    return Pose(pose.image, pose.world, visibility, pose.presence), issues


def stance(pose: Pose, hip_width_m: float) -> float:
    """How far apart the feet are, in hip widths ("feet hip-width apart" is about 1)."""
    return float(np.linalg.norm(world_point(pose, "left_ankle") - world_point(pose, "right_ankle"))) / hip_width_m
