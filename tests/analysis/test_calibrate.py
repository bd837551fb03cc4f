"""Camera placement, body measurements and range-of-motion targets, on the bundled mannequin clips
(real MediaPipe), checked against the clips' ground truth (``sample_videos/*.json``, ``*.truth.npz``
and the camera distances in ``tools/mannequin/motions.py``)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from formcheck.analysis.calibrate import (
    CalibrationError,
    Seen,
    calibrate_person,
    check_camera,
    measure_body_from,
    reference_reps,
    watch,
)
from formcheck.analysis.rejudge import rejudge_session
from formcheck.cli import main
from formcheck.core.body import BodyCalibrationError, limb_issues, measure_body
from formcheck.core.landmarks import Pose, PoseResult
from formcheck.core.placement import check_placement
from formcheck.exercises.loader import load_by_id
from formcheck.exercises.personal_thresholds import apply_profile
from formcheck.exercises.profile import ProfileStore
from formcheck.pose.estimator import PoseEstimator
from formcheck.video.file_sources import VideoFileSource
from tests.conftest import SAMPLES, sample

pytestmark = pytest.mark.e2e

# Camera distance (m) of each clip: tools/mannequin/motions.py. Mannequin: tools/mannequin/body.py.
CAMERA_M = {"glute_bridge_good": 2.0, "bird_dog_good": 2.0, "squat_good": 2.6, "side_plank_good": 2.3}
MANNEQUIN_M = {"trunk": 0.50, "thigh": 0.44, "shank": 0.43}
# The starting position: the side plank is lifted from 2 s on.
WINDOWS_MS = {"glute_bridge_good": (300, 1800), "bird_dog_good": (300, 1800), "squat_good": (0, 1500),
              "side_plank_good": (2500, 4000)}


@pytest.fixture(scope="module")
def seen(model_path) -> dict[str, list[Seen]]:
    """The first seconds of four clips as calibration sees them (pose, smoothing, brightness)."""
    out = {}
    for clip, (start, end) in WINDOWS_MS.items():
        with PoseEstimator(model_path) as est:
            frames = watch(VideoFileSource(sample(f"{clip}.mp4")), est)
            out[clip] = [s for s in frames_until(frames, end) if s.result.t_ms >= start]
    return out


def frames_until(frames, end_ms):
    for s in frames:
        if s.result.t_ms > end_ms:
            frames.close()
            return
        yield s


def _meta(clip: str) -> dict:
    return json.loads((SAMPLES / f"{clip}.json").read_text())


def _check(frames: list[Seen], exercise: str):
    return check_placement([s.result for s in frames], load_by_id(exercise), float(np.median([s.brightness for s in frames])))


@pytest.mark.parametrize("clip", list(WINDOWS_MS))
def test_placement_against_the_ground_truth(seen, clip):
    meta = _meta(clip)
    placement = _check(seen[clip], meta["exercise"])
    assert placement.refused is None
    assert placement.view.split("/")[0] == meta["view"]
    assert abs(placement.distance_m - CAMERA_M[clip]) <= 0.2 * CAMERA_M[clip], placement.distance_m
    assert abs(placement.roll_deg) <= 3  # the mannequin camera is level
    assert (placement.turned_deg < 20) if meta["view"] == "side" else (placement.turned_deg > 65)
    # The truth says whether the whole movement stays in the picture; the check predicts it from
    # the starting position and the exercise's movement envelope.
    xy = np.load(SAMPLES / f"{clip}.truth.npz")["image_xy"]
    fits = xy[..., 0].min() >= 0 and xy[..., 0].max() <= meta["width"] and xy[..., 1].min() >= 0 \
        and xy[..., 1].max() <= meta["height"]
    assert placement.ok == fits, placement.text()
    if not fits:  # the bird dog's foot leaves the picture on the left
        assert placement.margins["left"] < 0
        assert placement.instructions == (
            "Move the camera about half a metre further away: the whole movement doesn't fit in the picture.",)


def _moved(frames: list[Seen], transform) -> list[PoseResult]:
    out = []
    for s in frames:
        r, p = s.result, s.result.pose
        image = p.image.copy()
        image[:, :2] = transform(image[:, :2].astype(np.float64), np.array([r.width / 2, r.height / 2]))
        out.append(PoseResult(r.t_ms, r.width, r.height, Pose(image, p.world, p.visibility, p.presence)))
    return out


def _rotate(deg: float):
    a = math.radians(deg)
    # Counter-clockwise on screen (y down): what a camera rolled clockwise (its right side low) sees.
    m = np.array([[math.cos(a), math.sin(a)], [-math.sin(a), math.cos(a)]])
    return lambda xy, c: (xy - c) @ m.T + c


@pytest.mark.parametrize("clip, exercise", [("glute_bridge_good", "glute_bridge"), ("squat_good", "squat")])
@pytest.mark.parametrize("deg, side", [(9, "left"), (-9, "right")])
def test_a_tilted_camera_is_measured_and_levelled(seen, clip, exercise, deg, side):
    placement = check_placement(_moved(seen[clip], _rotate(deg)), load_by_id(exercise), 120)
    assert abs(placement.roll_deg - deg) <= 3, placement.roll_deg
    (level,) = [i for i in placement.instructions if i.startswith("Level the camera")]
    assert level == (f"Level the camera: the picture is tilted about {abs(placement.roll_deg):.0f}°. Raise its {side} "
                     f"side as you face it (e.g. put something under the laptop's {side} side).")


def test_distance_framing_and_light_instructions(seen):
    bridge = load_by_id("glute_bridge")
    frames = seen["glute_bridge_good"]
    near = check_placement(_moved(frames, lambda xy, c: (xy - c) * 1.4 + c), bridge, 120)
    assert near.instructions[0].startswith("Move the camera about") and "further away" in near.instructions[0]
    far = check_placement(_moved(frames, lambda xy, c: (xy - c) * 0.55 + c), bridge, 120)
    assert far.distance_m > 3 and "closer" in far.instructions[0]
    low = check_placement(_moved(frames, lambda xy, c: xy + [0, 150]), bridge, 120)
    assert low.instructions == ("Tilt the laptop screen forward a little (or lower the camera): the bottom of the "
                                "movement is cut off.",)
    dark = check_placement([s.result for s in frames], bridge, 30)
    assert dark.instructions[0].startswith("Turn on more light") and not dark.ok


def test_placement_refuses_nobody_or_the_wrong_view(seen):
    bridge_frames = [s.result for s in seen["glute_bridge_good"]]
    empty = [PoseResult(r.t_ms, r.width, r.height, None) for r in bridge_frames]
    nobody = check_placement(empty, load_by_id("glute_bridge"), 120)
    assert nobody.refused.startswith("Nobody is in view") and not nobody.ok
    wrong_view = check_placement(bridge_frames, load_by_id("side_plank"), 120)
    assert wrong_view.refused.startswith("You are seen from the side, and Side plank needs a front or back view.")
    wrong_posture = check_placement([s.result for s in seen["squat_good"]], load_by_id("glute_bridge"), 120)
    assert wrong_posture.refused.startswith("You seem to be standing; get into the starting position first "
                                            "(Lie on your back, knees bent, feet flat)")


def test_camera_check_on_a_video_and_the_command(model_path, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    assert main(["calibrate", "camera", "--exercise", "bird_dog", "--video", str(sample("bird_dog_good.mp4"))]) == 1
    out = capsys.readouterr().out
    assert out.startswith("ADJUST for Bird dog: seen side/hands_knees") and "further away" in out
    assert main(["calibrate", "camera", "--exercise", "squat", "--video", str(sample("glute_bridge_good.mp4"))]) == 1
    assert "Not judged: You seem to be lying" in capsys.readouterr().out


def test_body_segments_against_the_mannequin(seen):
    frames = seen["squat_good"]  # standing side-on, left side toward the camera
    body = measure_body(s.result for s in frames)
    assert body.views == ("side",) and body.frames >= 30
    truth = np.load(SAMPLES / "squat_good.truth.npz")["image_xy"][: len(frames)]
    true_px = {"trunk": np.linalg.norm((truth[:, 11] + truth[:, 12]) / 2 - (truth[:, 23] + truth[:, 24]) / 2, axis=1),
               "left_thigh": np.linalg.norm(truth[:, 23] - truth[:, 25], axis=1),
               "left_shank": np.linalg.norm(truth[:, 25] - truth[:, 27], axis=1)}
    for name, lengths in true_px.items():  # image lengths: within 15 % of the truth
        assert abs(body.image_px[name] / float(np.median(lengths)) - 1) <= 0.15, (name, body.image_px[name])
    for name, metres in MANNEQUIN_M.items():  # MediaPipe's 3-D estimate: within 20 % of the mannequin
        key = name if name == "trunk" else f"left_{name}"
        assert abs(body.world_m[key] / metres - 1) <= 0.2, (key, body.world_m[key])
    assert "right_thigh" not in body.image_px  # side-on, the far leg is hidden: not measured
    # The same body through a whole clip: no limb reads 30 % longer than its own.
    for s in seen["squat_good"]:
        assert limb_issues(s.result.pose, body) == []


def test_a_limb_suddenly_longer_is_caught(seen):
    frames = seen["squat_good"]
    body = measure_body(s.result for s in frames)
    pose = frames[-1].result.pose
    world = pose.world.copy()
    hip, knee, ankle = world[23], world[25], world[27]
    world[27] = knee + 1.5 * (ankle - knee)  # the left ankle put 50 % further down the shank
    stretched = Pose(pose.image, world, pose.visibility, pose.presence)
    (issue,) = limb_issues(stretched, body)
    assert (issue.side, issue.limb, issue.kind) == ("left", "shank", "implausible") and issue.ratio > 1.3
    assert issue.text() == f"left shank: {issue.ratio:.0%} of its length"
    # A lunge (front shin upright, back shin along the floor) whose ankles the model swapped: each
    # shank reads far too long, and the other side's ankle would fit.
    world = pose.world.copy()
    world[25] = world[23] + [0.3, 0.27, 0.0]
    world[27] = world[25] + [0.0, 0.36, 0.0]
    world[26] = world[24] + [-0.25, 0.3, 0.0]
    world[28] = world[26] + [-0.36, 0.0, 0.0]
    lunge = Pose(pose.image, world, pose.visibility, pose.presence)
    assert limb_issues(lunge, body) == []
    world[[27, 28]] = world[[28, 27]]
    swapped = Pose(pose.image, world, pose.visibility, pose.presence)
    assert [(i.side, i.limb, i.kind) for i in limb_issues(swapped, body)] == [
        ("left", "shank", "swapped"), ("right", "shank", "swapped")]
    assert limb_issues(swapped, body)[0].text() == "left shank: left/right swapped"


def test_body_calibration_refuses_lying_or_nobody(seen):
    with pytest.raises(BodyCalibrationError, match="You were seen lying, not standing"):
        measure_body(s.result for s in seen["glute_bridge_good"])
    empty = [PoseResult(s.result.t_ms, 640, 480, None) for s in seen["squat_good"]]
    with pytest.raises(BodyCalibrationError, match="Nobody was in view"):
        measure_body_from(iter(Seen(r, 120) for r in empty))


@pytest.fixture(scope="module")
def low_bridge_frames(model_path) -> list[Seen]:
    with PoseEstimator(model_path) as est:
        return list(watch(VideoFileSource(sample("glute_bridge_low.mp4")), est))


def test_rom_targets_from_the_sample_bridge(low_bridge_frames, recorded_bridges, tmp_path):
    store = ProfileStore(tmp_path)
    bridge = load_by_id("glute_bridge")
    profile, notes = calibrate_person("Eve", bridge, iter(low_bridge_frames), "video glute_bridge_low.mp4",
                                      "stiff hips", "Anna", store)
    assert notes == [] and profile.label == "Eve v1" and profile.created_by == "Anna"
    reps = reference_reps(iter(low_bridge_frames), bridge)
    peaks = [r.peak for r in reps]  # ~160.7°: short of the population 163
    values = profile.exercises["glute_bridge"]
    assert values.rep["goal"] == pytest.approx(float(np.median(peaks)), abs=0.05)
    personal_min = values.rules["bridge_not_high_enough"]["min"]
    assert 155 <= personal_min < min(peaks) < 163  # within the safety floor, below the reference reps
    assert store.latest("Eve") == profile
    # The recorded low bridges, re-judged with her targets: high enough now, ~100 % of her goal.
    (judged,) = rejudge_session(recorded_bridges.sessions()[1].folder, profile)
    assert [c.code for c in judged.changes] == ["bridge_not_high_enough"] * 3
    assert all(not c.appeared for c in judged.changes)
    assert all(95 <= r["metrics"]["goal_pct"] <= 102 for r in judged.items["rep"])


def test_too_few_reference_reps_are_refused(low_bridge_frames):
    with pytest.raises(CalibrationError, match="Found 3 of the 4 reference reps needed"):
        reference_reps(iter(low_bridge_frames), load_by_id("glute_bridge"), n=4)


def test_calibrate_person_and_body_commands(tmp_path, monkeypatch, capsys, model_path):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    assert main(["calibrate", "body", "Eve", "--video", str(sample("squat_good.mp4")), "--by", "Anna"]) == 0
    out = capsys.readouterr().out
    assert "Eve: body measured on" in out and "left_thigh" in out and "saved as Eve v1" in out
    assert main(["calibrate", "body", "Eve", "--video", str(sample("plank_good.mp4"))]) == 1
    assert "You were seen lying, not standing" in capsys.readouterr().err
    assert main(["calibrate", "person", "Eve", "--exercise", "squat", "--video", str(sample("squat_good.mp4"))]) == 0
    out = capsys.readouterr().out
    assert "squat targets from 3 reference reps" in out and "saved as Eve v2" in out
    latest = ProfileStore().latest("Eve")
    assert latest.body is not None  # the body from v1 is kept in v2
    squat, notes = apply_profile(load_by_id("squat"), latest)
    # The reference squats reach ~92–96° (3-D), past the population 125°: the target stays, the goal is hers.
    assert not notes and squat.rep.target == load_by_id("squat").rep.target and 86 <= squat.rep.goal <= 100


def test_live_camera_check_runs_until_good_twice_and_is_saved_per_camera(seen, tmp_path, monkeypatch):
    from formcheck.analysis.calibrate import camera_file, save_camera_check

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path))
    bridge = load_by_id("glute_bridge")
    window = seen["glute_bridge_good"]
    span = window[-1].result.t_ms - window[0].result.t_ms + 33
    # The person first out of view for 2 s, then in position (the clip's window played 4 times).
    empty = [Seen(PoseResult(t, 640, 480, None), 120) for t in range(0, 2000, 33)]
    later = [dataclasses.replace(s, result=dataclasses.replace(s.result, t_ms=2000 + k * span + s.result.t_ms))
             for k in range(4) for s in window]
    shown = []
    placement = check_camera(iter(empty + later), bridge, live=True, on_verdict=shown.append)
    assert placement.ok and shown[0].refused.startswith("Nobody is in view") and shown[-1].ok
    path = save_camera_check("/dev/video0", placement)
    assert path == camera_file("/dev/video0") == tmp_path / "calibration" / "cameras" / "dev-video0.json"
    saved = json.loads(path.read_text())
    assert saved["ok"] is True and saved["exercise"] == "Glute bridge" and saved["instructions"] == []
