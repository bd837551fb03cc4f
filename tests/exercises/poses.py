"""Side-view and front-view stick figures for exercises, parametrised by the angles that matter.

All figures face screen-right unless noted; directions are screen angles (0 = right, 90 = up).
"""

from __future__ import annotations

from formcheck.core.landmarks import Pose
from tests.synthetic import figure


def bridge(hip: float, knee: float = 90.0) -> Pose:
    """Lying on the back, head to the left; ``hip`` = signed shoulder–hip–knee angle."""
    lift = (hip - 130.0) * 0.4  # the trunk tilts as the hips rise
    torso = 180.0 + lift
    thigh = torso - hip
    side = {"thigh": thigh, "shin": thigh - 180.0 + knee, "upper_arm": torso + 8, "forearm": torso + 8, "foot": 0.0}
    return figure((320, 360), torso, left=side, right=side, far_visibility=0.3)


def squat(knee: float, trunk: float = 10.0, heel_lift_deg: float = 0.0) -> Pose:
    """Standing side-on facing right; ``knee`` = hip–knee–ankle, ``trunk`` = lean from vertical."""
    bend = 180.0 - knee
    thigh = -90.0 + 0.6 * bend
    shin = -90.0 - 0.4 * bend
    side = {"thigh": thigh, "shin": shin, "upper_arm": 0.0, "forearm": 0.0, "foot": heel_lift_deg * -1}
    return figure((300, 200), 90.0 - trunk, left=side, right=side, far_visibility=0.3)


def bird_dog(
    left_arm: float = -90.0, right_arm: float = -90.0, left_leg: float | None = None,
    right_leg: float | None = None, back_tilt: float = 0.0,
) -> Pose:
    """Hands and knees, head to the left (facing left). Arms/legs: elevation above horizontal.

    A leg given as None kneels (thigh down, shin back along the floor); a number is the
    straight leg's elevation, reaching back (to the right).
    """
    def arm(elev: float) -> dict[str, float]:
        return {"upper_arm": 180.0 - elev, "forearm": 180.0 - elev}  # reaching forward (left)

    def leg(elev: float | None) -> dict[str, float]:
        if elev is None:
            return {"thigh": -90.0, "shin": 0.0, "foot": 0.0}
        return {"thigh": elev, "shin": elev, "foot": elev - 90}

    left = arm(left_arm) | leg(left_leg)
    right = arm(right_arm) | leg(right_leg)
    return figure((380, 260), 180.0 + back_tilt, left=left, right=right, far_visibility=0.6)


def plank(body_line: float, *, front: bool = False) -> Pose:
    """Forearm plank (side view) or side plank (``front``: facing the camera), head to the left.

    ``body_line`` = signed shoulder–hip–ankle angle: below 180 the hips sag toward the floor.
    """
    # Trunk and legs each bend by half of the deviation, hips down when sagging.
    bend = (180.0 - body_line) / 2.0
    torso = 170.0 - bend  # body slopes up toward the head; sagging steepens both halves
    legs = -10.0 + bend
    side = {"thigh": legs, "shin": legs, "upper_arm": -90.0, "forearm": 180.0, "foot": -90.0}
    return figure((330, 300), torso, left=side, right=side, spread=70.0 if front else 0.0,
                  far_visibility=0.99 if front else 0.3)
