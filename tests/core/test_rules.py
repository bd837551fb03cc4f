"""Each rule kind on hand-made poses and reps with known answers."""

import pytest

from formcheck.core.exercise import RuleDef
from formcheck.core.measures import Measure
from formcheck.core.reps import RepRecord
from formcheck.core.rules import FrameContext, frame_fault, rep_fault
from tests.synthetic import make_pose

pytestmark = pytest.mark.unit

MEASURES = {
    "knee": Measure("knee", "angle", ("hip", "knee", "ankle")),
    "trunk": Measure("trunk", "tilt", ("hip", "shoulder")),
    "wrist_height": Measure("wrist_height", "height", ("wrist", "shoulder")),
    "leg": Measure("leg", "elevation", ("hip", "ankle")),
}


def pose(knee_bent=False, lean=0.0, left_wrist_y=100.0, right_wrist_y=100.0, hip_x=300.0,
         left_leg_up=False, right_leg_up=False, knee_conf=0.99):
    j = {
        "left_shoulder": (300 + lean, 100), "right_shoulder": (300 + lean, 100),
        "left_hip": (hip_x, 250), "right_hip": (hip_x, 250),
        "left_knee": (hip_x + (80 if knee_bent else 0), 370), "right_knee": (hip_x, 370),
        "left_ankle": (hip_x + (200 if left_leg_up else 0), 250 if left_leg_up else 490),
        "right_ankle": (hip_x + (200 if right_leg_up else 0), 250 if right_leg_up else 490),
        "left_wrist": (250, left_wrist_y), "right_wrist": (350, right_wrist_y),
    }
    p = make_pose(j)
    if knee_conf < 0.99:
        p = make_pose(j, hidden=("left_knee",))
    return p


def ctx(p, anchors=None, active_side=None):
    return FrameContext(p, "left", MEASURES, 0.5, anchors or {}, active_side)


def test_range_rule():
    rule = RuleDef("straight", "range", "cue", measure="knee", min=165)
    assert frame_fault(rule, ctx(pose())) is False
    assert frame_fault(rule, ctx(pose(knee_bent=True))) is True


def test_range_rule_on_inclination():
    rule = RuleDef("upright", "range", "cue", measure="trunk", max=20)
    assert frame_fault(rule, ctx(pose(lean=30))) is False  # atan(30/150) = 11°
    assert frame_fault(rule, ctx(pose(lean=90))) is True  # 31°


def test_unsure_landmark_gives_no_verdict():
    rule = RuleDef("straight", "range", "cue", measure="knee", min=165)
    assert frame_fault(rule, ctx(pose(knee_bent=True, knee_conf=0.05))) is None


def test_symmetry_rule():
    rule = RuleDef("even", "symmetry", "cue", measure="wrist_height", max=0.1)
    assert frame_fault(rule, ctx(pose(left_wrist_y=100, right_wrist_y=105))) is False
    assert frame_fault(rule, ctx(pose(left_wrist_y=100, right_wrist_y=160))) is True


def test_stability_rule_measures_drift_in_torso_lengths():
    rule = RuleDef("still", "stability", "cue", point="mid_hip", max=0.1)
    anchors = {"mid_hip": pose().image[23, :2].astype(float)}
    assert frame_fault(rule, ctx(pose(hip_x=310), anchors)) is False  # 10 px / 150 px
    assert frame_fault(rule, ctx(pose(hip_x=330), anchors)) is True  # 30 px / 150 px
    assert frame_fault(rule, ctx(pose(hip_x=330), {})) is None  # no anchor yet


def test_pairing_rule_contralateral():
    rule = RuleDef("opposite", "pairing", "cue", leg="leg", min=-20)
    # Left arm working: the right leg should be the one up.
    assert frame_fault(rule, ctx(pose(right_leg_up=True), active_side="left")) is False
    assert frame_fault(rule, ctx(pose(left_leg_up=True), active_side="left")) is True
    assert frame_fault(rule, ctx(pose(), active_side=None)) is None


def test_range_rule_on_opposite_side():
    rule = RuleDef("leg_high", "range", "cue", measure="leg", max=15, side="opposite")
    assert frame_fault(rule, ctx(pose(right_leg_up=True), active_side="left")) is False
    assert frame_fault(rule, ctx(pose(right_leg_up=True), active_side=None)) is None


def rec(reached=True, peak=170.0, up=1000, top=2000, down=1500):
    r = RepRecord(None, 0, reached=reached, peak=peak, low=130.0)
    if reached:
        r.top_start_ms, r.top_end_ms = up, up + top
    r.end_ms = up + top + down
    return r


def test_peak_rule():
    rule = RuleDef("high", "peak", "cue", min=165)
    assert rep_fault(rule, rec(peak=170)) is False
    assert rep_fault(rule, rec(peak=160)) is True


def test_tempo_and_hold_time_rules():
    slow_down = RuleDef("slow", "tempo", "cue", rep_phase="down", min_s=1.0)
    pause = RuleDef("pause", "hold_time", "cue", rep_phase="top", min_s=2.0)
    assert rep_fault(slow_down, rec(down=1500)) is False
    assert rep_fault(slow_down, rec(down=600)) is True
    assert rep_fault(pause, rec(top=2500)) is False
    assert rep_fault(pause, rec(top=1000)) is True
    assert rep_fault(pause, rec(reached=False)) is None
