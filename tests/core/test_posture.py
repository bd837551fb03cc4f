"""The posture mode's logic on scripted landmarks: measures per view, view detection, baseline,
judging with margins, and the reminder rules — exact expectations, explicit time."""

from __future__ import annotations

import math

import pytest

from formcheck.core.posture import detect_view, measure
from formcheck.core.posture_coach import (
    PostureCoach,
    PostureMinute,
    PostureReminder,
    PostureSettings,
    ReminderResponse,
)
from formcheck.core.posture_judge import (
    Baseline,
    CalibrationError,
    PostureJudge,
    calibrate,
)
from tests.synthetic import make_pose

TORSO = 200.0


def side_pose(trunk_deg: float = 0.0, neck_deg: float = 10.0, hips: bool = True):
    """Seen from the person's left, facing screen-right: hip → shoulder → ear at given angles."""
    hip = (300.0, 500.0)
    t = math.radians(trunk_deg)
    sh = (hip[0] + TORSO * math.sin(t), hip[1] - TORSO * math.cos(t))
    n = math.radians(neck_deg)
    ear = (sh[0] + 60 * math.sin(n), sh[1] - 60 * math.cos(n))
    joints = {"left_hip": hip, "right_hip": (hip[0] + 4, hip[1]), "left_shoulder": sh,
              "right_shoulder": (sh[0] + 5, sh[1]), "left_ear": ear, "right_ear": (ear[0] + 3, ear[1]),
              "nose": (ear[0] + 30, ear[1] + 10), "left_eye": (ear[0] + 20, ear[1] - 5),
              "right_eye": (ear[0] + 22, ear[1] - 5)}
    return make_pose(joints, hidden=() if hips else ("left_hip", "right_hip"), lateral_z=0.35)


def front_pose(head_up: float = 90.0, tilt_px: float = 0.0, head_dx: float = 0.0):
    """Facing the camera, shoulders 200 px apart; the nose ``head_up`` px above their midpoint."""
    mid = (320.0, 400.0)
    ls, rs = (mid[0] + 100, mid[1] + tilt_px / 2), (mid[0] - 100, mid[1] - tilt_px / 2)
    nose = (mid[0] + head_dx, mid[1] - head_up)
    joints = {"left_shoulder": ls, "right_shoulder": rs, "nose": nose,
              "left_ear": (nose[0] + 40, nose[1] + 5), "right_ear": (nose[0] - 40, nose[1] + 5),
              "left_eye": (nose[0] + 15, nose[1] - 10), "right_eye": (nose[0] - 15, nose[1] - 10),
              "left_hip": (mid[0] + 80, mid[1] + 250), "right_hip": (mid[0] - 80, mid[1] + 250)}
    return make_pose(joints, hidden=("left_hip", "right_hip"))


# ---- measures and views ------------------------------------------------------------------------
def test_side_measures_are_the_angles_the_landmarks_were_placed_at() -> None:
    m = measure(side_pose(trunk_deg=15, neck_deg=30), 0, "side")
    assert m.trunk_deg == pytest.approx(15, abs=0.01)
    assert m.neck_deg == pytest.approx(30, abs=0.01)
    assert m.head_forward == pytest.approx(60 * math.sin(math.radians(30)) / TORSO, abs=1e-3)
    assert math.isnan(m.head_height)  # the side view doesn't judge the front's measures


def test_side_view_without_hips_judges_the_neck_only() -> None:
    m = measure(side_pose(neck_deg=25, hips=False), 0, "side")
    assert m.neck_deg == pytest.approx(25, abs=0.01)
    assert math.isnan(m.trunk_deg) and math.isnan(m.head_forward)


def test_forward_is_where_the_face_points() -> None:
    pose = side_pose(trunk_deg=10, neck_deg=20)
    mirrored = pose.image.copy()
    mirrored[:, 0] = 1000 - mirrored[:, 0]
    m = measure(pose.replace_image(mirrored), 0, "side")
    assert m.trunk_deg == pytest.approx(10, abs=0.01) and m.neck_deg == pytest.approx(20, abs=0.01)


def test_front_measures() -> None:
    m = measure(front_pose(head_up=90, tilt_px=0, head_dx=30), 0, "front")
    assert m.head_height == pytest.approx(0.45, abs=1e-3)
    assert m.head_offset == pytest.approx(0.15, abs=1e-3)
    assert m.shoulder_tilt_deg == pytest.approx(0.0, abs=1e-3)
    tilted = measure(front_pose(tilt_px=200 * math.tan(math.radians(8))), 0, "front")
    assert tilted.shoulder_tilt_deg == pytest.approx(8.0, abs=0.01)
    assert math.isnan(m.trunk_deg)  # the trunk's inclination is along the camera's axis: not judged


def test_view_detection() -> None:
    assert detect_view(side_pose()) == "side"
    assert detect_view(front_pose()) == "front"
    assert detect_view(front_pose(head_up=40)) == "front"  # looking down is still the front view
    hidden = make_pose({"nose": (300, 100), "left_shoulder": (350, 200), "right_shoulder": (250, 200)},
                       hidden=("left_shoulder",))
    assert detect_view(hidden) is None


# ---- baseline and judging ----------------------------------------------------------------------
def test_calibration_takes_the_median_and_refuses_too_little() -> None:
    samples = [measure(side_pose(neck_deg=a), i * 500, "side") for i, a in enumerate([8, 10, 12, 11, 9, 40])]
    b = calibrate(samples)
    assert b.view == "side" and b.source == "calibration"
    assert b.values["neck_deg"] == pytest.approx(10.5, abs=0.01)
    with pytest.raises(CalibrationError, match="in view"):
        calibrate([None] * 10 + samples[:3])
    mixed = samples[:3] + [measure(front_pose(), 0, "front")] * 3 + [None] * 4
    with pytest.raises(CalibrationError, match="changing angles"):
        calibrate(mixed)


def _judge(view: str = "side") -> PostureJudge:
    values = ({"trunk_deg": 0.0, "neck_deg": 10.0, "head_forward": 0.05} if view == "side"
              else {"head_height": 0.45, "shoulder_tilt_deg": 0.0, "head_offset": 0.0})
    return PostureJudge(Baseline(view, values), window=1)  # type: ignore[arg-type]


def test_side_faults_past_the_margins_with_hysteresis() -> None:
    j = _judge()
    assert j.update(measure(side_pose(0, 10), 0, "side")) == "upright"
    assert j.update(measure(side_pose(11, 10), 0, "side")) == "upright"  # 11° < 12° margin
    assert j.update(measure(side_pose(13, 10), 0, "side")) == "slouched"
    assert j.update(measure(side_pose(9, 10), 0, "side")) == "slouched"  # not yet back within 60 %
    assert j.update(measure(side_pose(7, 10), 0, "side")) == "upright"  # 7° ≤ 7.2°
    assert j.update(measure(side_pose(0, 32, hips=False), 0, "side")) == "forward_head"  # +22° neck
    assert j.update(None) == "away"
    assert j.update(measure(front_pose(), 0, "front")) == "unknown"  # not the calibrated view


def test_front_view_torso_slouch_the_footage_cannot_show() -> None:
    # Sinking into the chair from the front: the shoulders come up round the head and the head
    # drops towards them (no real front clip shows this; scripted here).
    j = _judge("front")
    assert j.update(measure(front_pose(head_up=90), 0, "front")) == "upright"
    assert j.update(measure(front_pose(head_up=75), 0, "front")) == "upright"  # 0.375 > 0.36
    assert j.update(measure(front_pose(head_up=70), 0, "front")) == "head_low"  # 0.35 < 0.36
    assert j.update(measure(front_pose(head_up=90, head_dx=40), 0, "front")) == "leaning"
    assert j.update(measure(front_pose(head_up=90, tilt_px=200 * math.tan(math.radians(7))), 0,
                            "front")) == "leaning"


def test_median_window_ignores_a_single_wild_sample() -> None:
    j = PostureJudge(Baseline("side", {"neck_deg": 10.0}), window=3)
    for neck in (10, 10, 60):
        state = j.update(measure(side_pose(0, neck, hips=False), 0, "side"))
    assert state == "upright"


# ---- reminders ---------------------------------------------------------------------------------
S = 1000
MIN = 60 * S


def run(coach: PostureCoach, script: list[tuple[int, int, object]], step: int = 500) -> list[object]:
    """Feed (from_ms, to_ms, pose-or-None) stretches at ``step``; returns every event."""
    events = []
    for start, end, pose in script:
        for t in range(start, end, step):
            m = None if pose is None else measure(pose, t, "side")  # type: ignore[arg-type]
            events += coach.update(t, m)
    return events


UP, SLOUCH = side_pose(0, 10), side_pose(20, 10)


def _coach(**kw: object) -> PostureCoach:
    settings = PostureSettings(**kw)  # type: ignore[arg-type]
    return PostureCoach(PostureJudge(Baseline("side", {"trunk_deg": 0.0, "neck_deg": 10.0}), window=1), settings)


def reminders(events: list[object]) -> list[PostureReminder]:
    return [e for e in events if isinstance(e, PostureReminder)]


def test_a_reminder_only_once_the_slouch_has_lasted_two_minutes() -> None:
    c = _coach()
    events = run(c, [(0, 1 * MIN, UP), (1 * MIN, 3 * MIN + 500, SLOUCH)])
    r = reminders(events)
    assert [(x.t_ms, x.kind) for x in r] == [(3 * MIN, "slouched")]
    assert r[0].lasted_ms == 2 * MIN


def test_never_more_often_than_the_interval_and_a_short_glance_up_does_not_restart() -> None:
    c = _coach(min_interval_ms=10 * MIN)
    events = run(c, [(0, 5 * MIN, SLOUCH), (5 * MIN, 5 * MIN + 5 * S, UP), (5 * MIN + 5 * S, 13 * MIN, SLOUCH)])
    assert [x.t_ms for x in reminders(events)] == [2 * MIN, 12 * MIN]


def test_response_corrected_within_a_minute_or_not() -> None:
    c = _coach()
    events = run(c, [(0, 2 * MIN + 20 * S, SLOUCH), (2 * MIN + 20 * S, 3 * MIN, UP)])
    (resp,) = [e for e in events if isinstance(e, ReminderResponse)]
    assert resp.corrected and resp.after_ms == 20 * S and resp.reminder_t_ms == 2 * MIN
    c = _coach()
    events = run(c, [(0, 3 * MIN + 500, SLOUCH)])
    (resp,) = [e for e in events if isinstance(e, ReminderResponse)]
    assert not resp.corrected and resp.t_ms == 3 * MIN and resp.after_ms is None


def test_nothing_while_away_and_away_restarts_the_clock() -> None:
    c = _coach()
    events = run(c, [(0, 90 * S, SLOUCH), (90 * S, 2 * MIN, None), (2 * MIN, 3 * MIN + 500, SLOUCH)])
    assert reminders(events) == []  # 90 s + 90 s of slouching, but 30 s away in between
    events = run(c, [(3 * MIN + 500, 4 * MIN + 500, SLOUCH)])
    assert [x.t_ms for x in reminders(events)] == [4 * MIN]


def test_snooze_and_quiet_hours() -> None:
    c = _coach()
    c.snooze(0, 30 * MIN)
    events = run(c, [(0, 31 * MIN, SLOUCH)])
    assert [x.t_ms for x in reminders(events)] == [30 * MIN]
    # quiet 12:00–13:00; the session starts at 11:59
    quiet = PostureCoach(PostureJudge(Baseline("side", {"trunk_deg": 0.0}), window=1),
                         PostureSettings(quiet_hours=((12 * 60, 13 * 60),)), day_ms_at_start=(11 * 60 + 59) * MIN)
    events = run(quiet, [(0, 62 * MIN, SLOUCH)])
    assert [x.t_ms for x in reminders(events)] == [61 * MIN]  # 13:00, the first minute after


def test_quiet_hours_across_midnight() -> None:
    c = PostureCoach(PostureJudge(Baseline("side", {"trunk_deg": 0.0}), window=1),
                     PostureSettings(quiet_hours=((22 * 60, 7 * 60),)), day_ms_at_start=23 * 60 * MIN)
    assert c.quiet(0) and c.quiet(7 * 60 * MIN) and not c.quiet(8 * 60 * MIN)


def test_break_reminder_after_long_sitting_and_a_walk_away_resets_it() -> None:
    c = _coach(break_after_ms=45 * MIN)
    events = run(c, [(0, 45 * MIN + 500, UP)], step=2 * S)
    assert [(x.t_ms, x.kind) for x in reminders(events)] == [(45 * MIN, "break")]
    events = run(c, [(45 * MIN + 2 * S, 49 * MIN, None), (49 * MIN, 94 * MIN, UP)], step=2 * S)
    (resp,) = [e for e in events if isinstance(e, ReminderResponse)]
    assert resp.kind == "break" and resp.corrected  # they left within five minutes
    assert [x.t_ms for x in reminders(events)] == []  # the walk restarted the sitting clock at 49 min
    events = run(c, [(94 * MIN, 94 * MIN + 2 * S, UP)], step=2 * S)
    assert [x.t_ms for x in reminders(events)] == [94 * MIN]


def test_minutes_add_up_per_state_and_a_pause_is_not_counted() -> None:
    c = _coach()
    events = run(c, [(0, 30 * S, UP), (30 * S, 50 * S, SLOUCH), (50 * S, 70 * S, None)])
    events += c.update(5 * MIN, measure(UP, 5 * MIN, "side"))  # after a pause (a gap)
    events += c.finish(5 * MIN + 500)
    minutes = [e for e in events if isinstance(e, PostureMinute)]
    assert [m.minute for m in minutes] == [0, 1, 5]
    # the judge answers at each sample, so each sample's 500 ms goes to the state it showed
    assert minutes[0].ms == {"upright": 30 * S, "slouched": 20 * S, "away": 10 * S}
    assert minutes[1].ms == {"away": 10 * S - 500}  # the last sample's 500 ms ran into the pause
    assert minutes[2].ms == {"upright": 500}
    assert minutes[0].medians["trunk_deg"] == pytest.approx(0.0, abs=1e-3)


def responses(events: list[object]) -> list[ReminderResponse]:
    return [e for e in events if isinstance(e, ReminderResponse)]


def test_a_pause_ends_a_pending_reminder_as_paused_and_the_fault_clock_starts_again() -> None:
    c = _coach(min_interval_ms=10 * MIN)
    events = run(c, [(0, 2 * MIN + 20 * S, SLOUCH)])  # reminded at 2:00, still slouched when paused
    events += c.finish(2 * MIN + 20 * S)  # Pause: the watching stops here (watch() ends)
    (resp,) = responses(events)
    assert resp.outcome == "paused" and not resp.corrected and resp.after_ms is None
    assert resp.t_ms == 2 * MIN + 20 * S
    # Resumed ten minutes later, slouched: not "lasted 10 minutes" at once — the clock starts again.
    events = run(c, [(12 * MIN, 14 * MIN + 500, SLOUCH)])
    assert [(r.t_ms, r.lasted_ms) for r in reminders(events)] == [(14 * MIN, 2 * MIN)]
    (resp,) = responses(run(c, [(14 * MIN + 500, 15 * MIN + 500, SLOUCH)]))
    assert resp.outcome == "not_corrected"  # watched for the whole minute: that one counts


def test_a_pause_as_long_as_a_break_counts_as_one() -> None:
    c = _coach(break_after_ms=45 * MIN, break_reset_ms=3 * MIN)
    run(c, [(0, 44 * MIN, UP)], step=2 * S)
    c.finish(44 * MIN)  # paused for 16 minutes
    events = run(c, [(60 * MIN, 90 * MIN, UP)], step=2 * S)
    assert reminders(events) == []  # not "sat for 90 minutes" at 60:00
    c.finish(90 * MIN)
    events = run(c, [(91 * MIN, 106 * MIN + 2 * S, UP)], step=2 * S)  # a 1-minute pause doesn't reset it
    assert [(r.t_ms, r.kind) for r in reminders(events)] == [(105 * MIN, "break")]
