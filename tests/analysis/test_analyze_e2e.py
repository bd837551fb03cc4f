"""`formcheck analyze` end to end: real model, bundled clips, compared with their ground truth."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from formcheck.analysis.analyze import analyze_video
from formcheck.core.geometry import joint_angle
from formcheck.pose.estimator import PoseEstimator
from tests.conftest import damaged_copy, sample

pytestmark = pytest.mark.e2e

REPORT_KEYS = {"formcheck_version", "source", "exercise", "video", "pose", "view", "reps", "holds", "summary", "timing"}


@pytest.fixture(scope="module")
def estimator(model_path):
    est = PoseEstimator(model_path)
    yield est
    est.close()


# Mean absolute 2-D angle error allowed per clip (degrees). On the bridge MediaPipe places the ankle
# a little back on the mannequin's shoe, costing ~7° on the acute knee angle (see sample_videos/).
TOLERANCE = {
    "squat_good": {"knee": 5.0, "hip": 5.0},
    "glute_bridge_good": {"knee": 9.0, "hip": 5.0},
    "plank_good": {"knee": 5.0, "hip": 6.0},
    "side_plank_good": {"knee": 5.0, "hip": 5.0},
}


@pytest.mark.parametrize("clip", sorted(TOLERANCE))
def test_landmarks_match_ground_truth(tmp_path, model_path, clip):
    video = sample(f"{clip}.mp4")
    meta = json.loads(video.with_suffix(".json").read_text())
    truth = np.load(video.with_name(f"{clip}.truth.npz"))
    with PoseEstimator(model_path) as est:
        result = analyze_video(video, tmp_path, progress=False, estimator=est)
    track = np.load(tmp_path / "landmarks.npz")
    assert len(track["t_ms"]) == meta["frames"]
    assert track["detected"].mean() >= 0.95
    side = meta["facing_side"] or "left"
    off = 0 if side == "left" else 1
    for joint, (a, b, c) in {"knee": (23, 25, 27), "hip": (11, 23, 25)}.items():
        got = np.array([
            joint_angle(f[a + off], f[b + off], f[c + off]) if d else np.nan
            for f, d in zip(track["image_smoothed"], track["detected"])
        ])
        err = np.nanmean(np.abs(got - truth[f"{joint}_{side}"]))
        assert err <= TOLERANCE[clip][joint], f"{joint} mean error {err:.1f}°"
    assert result.report["view"]["label"].startswith(meta["view"])


def test_cli_writes_report_landmarks_and_annotated_video(tmp_path, model_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(sample("squat_good.mp4")), "--out", str(out),
         "--annotated", "--no-progress"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert REPORT_KEYS <= set(report)
    assert report["video"]["frames"] == json.loads(sample("squat_good.json").read_text())["frames"]
    assert report["pose"]["frames_with_pose"] >= 0.95 * report["video"]["frames"]
    assert report["timing"]["fps"] > 0 and report["timing"]["realtime_factor"] > 0
    assert "pose found in" in done.stdout
    import cv2

    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == report["video"]["frames"]
    cap.release()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["analyze", "no/such/video.mp4"], "not found"),
        (["analyze", "README.md"], "Could not open"),
        (["analyze", "sample_videos/squat_good.mp4", "--exercise", "handstand"], "no such exercise"),
    ],
)
def test_cli_bad_input_gives_one_clear_message(tmp_path, args, words):
    done = subprocess.run([sys.executable, "-m", "formcheck", *args, "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def _frames(video):
    import cv2

    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return frames


def _write(path, frames, fps=30.0):
    import cv2

    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for image in frames:
        writer.write(image)
    writer.release()
    return path


def test_second_person_is_reported_and_the_first_one_followed(tmp_path, estimator):
    # Left: the squat clip. Right: a mirrored copy that walks in after 1 s. At 4 s the left person
    # is hidden for half a second, the moment a one-person tracker takes whoever else is in view.
    clip = _frames(sample("squat_good.mp4"))
    joined = []
    for i, image in enumerate(clip):
        left = np.zeros_like(image) if 120 <= i < 135 else image
        right = np.fliplr(clip[i - 30]) if i >= 30 else np.zeros_like(image)
        joined.append(np.hstack([left, right]))
    video = _write(tmp_path / "two_people.mp4", joined)

    result = analyze_video(video, tmp_path / "out", progress=False, estimator=estimator)
    track = np.load(tmp_path / "out" / "landmarks.npz")
    hip_x = track["image"][:, [23, 24], 0].mean(axis=1)
    detected = track["detected"]
    assert np.all(hip_x[detected] < 640)  # always the person on the left
    assert not detected[120:135].any()  # hidden: nobody else is taken for them
    assert detected[140:].mean() >= 0.95  # and found again when back
    share = result.report["pose"]["frames_with_second_person"] / len(clip)
    assert 0.8 <= share <= 0.92  # in view from frame 30 of 282
    assert f"A second person is in view for {round(100 * share)} % of frames" in " ".join(
        result.report["warnings"]
    )


def test_damaged_video_is_analysed_to_the_end(tmp_path, estimator):
    import cv2

    from formcheck.analysis.analyze import summary_text

    video = damaged_copy(sample("squat_good.mp4"), tmp_path / "damaged.mp4")
    cap = cv2.VideoCapture(str(video))
    readable = 0
    while cap.read()[0]:
        readable += 1
    cap.release()
    assert readable < 200  # a plain read loop stops at the damage

    result = analyze_video(video, tmp_path / "out", progress=False, estimator=estimator)
    v = result.report["video"]
    assert 1 <= v["frames_lost"] <= 30
    assert v["frames"] + v["frames_lost"] == 282
    track = np.load(tmp_path / "out" / "landmarks.npz")
    assert track["t_ms"][-1] == 9367  # the last frame of the clip
    after = track["t_ms"] > (readable + 5) * 1000 / 30
    assert after.sum() >= 282 - readable - 40 and track["detected"][after].mean() >= 0.95
    assert any("could not be decoded" in w for w in result.report["warnings"])
    assert f"warning: {v['frames_lost']} frames" in summary_text(result.report)


def test_small_video_without_a_person_is_warned_about(tmp_path, estimator):
    video = _write(tmp_path / "tiny.mp4", [np.full((180, 320, 3), 90, np.uint8)] * 10)
    report = analyze_video(video, None, progress=False, estimator=estimator).report
    warnings = report["warnings"]
    assert len(warnings) == 2
    assert warnings[0].startswith("The video is only 320x180;")
    assert warnings[1].startswith("No person found in the video —")
