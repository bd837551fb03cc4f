"""The bundled clips are intact and agree with their ground truth files (no model needed)."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from tests.conftest import SAMPLES

CLIPS = sorted(p.stem for p in SAMPLES.glob("*.mp4"))
ANGLES = {"knee_left": (23, 25, 27), "knee_right": (24, 26, 28), "hip_left": (11, 23, 25), "hip_right": (12, 24, 26)}


def test_the_expected_clips_are_bundled():
    assert {"squat_good", "glute_bridge_good", "glute_bridge_low", "bird_dog_good", "bird_dog_leg_high",
            "plank_good", "plank_sag", "side_plank_good", "side_plank_sag"} <= set(CLIPS)


@pytest.mark.parametrize("name", CLIPS)
def test_clip_matches_its_ground_truth(name):
    meta = json.loads((SAMPLES / f"{name}.json").read_text())
    truth = np.load(SAMPLES / f"{name}.truth.npz")
    cap = cv2.VideoCapture(str(SAMPLES / f"{name}.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (meta["width"], meta["height"])
    cap.release()
    assert n == meta["frames"] == len(truth["t_ms"]) == truth["image_xy"].shape[0]
    assert truth["image_xy"].shape[1:] == (33, 2)
    assert np.all(np.diff(truth["t_ms"]) > 0)
    for name_, (a, b, c) in ANGLES.items():
        xy = truth["image_xy"]
        u, v = xy[:, a] - xy[:, b], xy[:, c] - xy[:, b]
        cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
        recomputed = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        assert np.allclose(recomputed, truth[name_], atol=0.01)
    for rep in meta["reps"]:
        assert 0 <= rep["start_s"] < rep["peak_s"] < rep["end_s"] <= meta["frames"] / meta["fps"] + 1e-6
    assert not math.isnan(float(truth["knee_left"].mean()))
