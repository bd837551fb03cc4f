"""The real MediaPipe model through our adapter, on real footage (skipped without ../shared)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.kinematics import classify_view
from formcheck.core.landmarks import L
from formcheck.pose.estimator import PoseEstimator
from formcheck.video.file_sources import VideoFileSource

pytestmark = pytest.mark.e2e

CLIPS = {
    # clip: (expected view, expected posture) judged by looking at the footage
    "stock_glute_bridges.mp4": ("side", "lying"),
    "polybag_bird_dog.mp4": ("side", "hands_knees"),
    "stock_squats.mp4": (None, "standing"),
}


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_real_clip_pose_coverage_and_view(real_clips, model_path, clip):
    source = VideoFileSource(real_clips / clip)
    views, postures, found, n = [], [], 0, 0
    with PoseEstimator(model_path) as est:
        for frame in source:
            if n >= 150:
                break
            n += 1
            r = est.process(frame)
            if r.pose is None:
                continue
            found += 1
            p = r.pose
            # Pixel coordinates: the hips lie inside the frame, world landmarks are metres.
            hip = p.xy(L.LEFT_HIP)
            assert 0 <= hip[0] <= r.width and 0 <= hip[1] <= r.height
            assert 0.2 < np.linalg.norm(p.world[L.LEFT_SHOULDER] - p.world[L.LEFT_HIP]) < 0.8
            v = classify_view(p)
            views.append(v.view)
            postures.append(v.posture)
    source.close()
    assert found / n >= 0.95
    view, posture = CLIPS[clip]
    if view:
        assert views.count(view) / len(views) >= 0.8
    assert postures.count(posture) / len(postures) >= 0.7


def test_no_person_is_explicit(model_path):
    from formcheck.core.frame import Frame

    with PoseEstimator(model_path) as est:
        r = est.process(Frame(0, 0, np.full((480, 640, 3), 90, np.uint8)))
    assert r.pose is None and not r.detected and (r.width, r.height) == (640, 480)


def test_live_mode_downscales_but_reports_full_size_pixels(real_clips, model_path):
    import cv2

    source = VideoFileSource(real_clips / "stock_squats.mp4")
    frames = [f for _, f in zip(range(10), source)]
    source.close()
    from formcheck.core.frame import Frame

    big = [Frame(f.index, f.t_ms, cv2.resize(f.image, None, fx=2, fy=2)) for f in frames]
    with PoseEstimator(model_path, mode="video") as a, PoseEstimator(model_path, mode="live", live_max_side=640) as b:
        ra = [a.process(f) for f in frames][-1]
        rb = [b.process(f) for f in big][-1]
    assert ra.pose is not None and rb.pose is not None
    # Same person, coordinates in the frame's own pixels: the 2× frame gives 2× coordinates.
    err = np.abs(rb.pose.image[11:29, :2] / 2 - ra.pose.image[11:29, :2])
    assert np.median(err) < 6
