"""The annotator: skeleton coloured by rule status, counters and cues that always fit the frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.core.landmarks import L
from formcheck.core.overlay import Overlay
from formcheck.video.annotate import FONT, annotate, text_boxes
from tests.synthetic import figure, result

pytestmark = pytest.mark.unit

LONG_CUE = "Don't lift the leg too high — keep your back flat and your hips level with the floor"


@pytest.mark.parametrize("size", [(640, 480), (360, 640), (320, 240)])
def test_every_text_box_stays_inside_the_frame(size):
    width, height = size
    overlay = Overlay(title="Bird dog", lines=("Set 1/2", "L 10/10  R 10/10"), cue=LONG_CUE)
    boxes = text_boxes(overlay, width, height)
    assert [t for t, _, _ in boxes[:3]] == ["Bird dog", "Set 1/2", "L 10/10  R 10/10"]
    assert " ".join(t for t, _, _ in boxes[3:]) == LONG_CUE  # wrapped, nothing lost
    for text, (x, y), scale in boxes:
        (tw, th), base = cv2.getTextSize(text, FONT, scale, max(1, round(scale * 2)))
        assert 0 <= x and x + tw <= width, f"{text!r} leaves the frame sideways at {size}"
        assert 0 <= y - th and y + base <= height, f"{text!r} leaves the frame at {size}"


def test_fault_segments_are_drawn_red_and_the_cue_is_painted():
    image = np.zeros((480, 640, 3), np.uint8)
    pose = figure((320, 200), 90.0, spread=80.0)  # facing the camera: left and right legs apart
    overlay = Overlay(cue="Lift your hips higher", cue_level="fault",
                      segment_status={(int(L.LEFT_HIP), int(L.LEFT_KNEE)): "fault"})
    out = annotate(image, result(0, pose), overlay)
    assert not image.any()  # drawn on a copy
    hip, knee = pose.xy(L.LEFT_HIP), pose.xy(L.LEFT_KNEE)
    mid = ((hip + knee) / 2).astype(int)
    b, g, r = out[mid[1], mid[0]]
    assert r > 150 and g < 100  # red: the rule reading this segment is failing
    assert out[440:470].reshape(-1, 3).max(axis=0)[2] > 150  # the red cue banner at the bottom
