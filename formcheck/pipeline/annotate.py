"""Annotators: draw a pose and its overlay onto a BGR image with OpenCV (numpy in, numpy out)."""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.core.landmarks import SKELETON, PoseResult
from formcheck.core.overlay import Overlay

# BGR colours.
_SEGMENT_COLOURS = {
    "neutral": (235, 206, 135),
    "ok": (80, 200, 60),
    "fault": (40, 40, 230),
    "unseen": (140, 140, 140),
}
_CUE_COLOURS = {"info": (60, 60, 60), "setup": (0, 140, 230), "fault": (30, 30, 200), "good": (40, 150, 40)}
MIN_DRAW_CONFIDENCE = 0.5  # joints the model is unsure of are drawn grey, never as "fault"


def annotate(image: np.ndarray, result: PoseResult, overlay: Overlay | None = None) -> np.ndarray:
    """Return a copy of ``image`` with the skeleton and the overlay drawn on it."""
    out = image.copy()
    scale = max(out.shape[:2]) / 640.0
    thickness = max(2, round(3 * scale))
    overlay = overlay or Overlay()
    if result.pose is not None:
        pose = result.pose
        for a, b in SKELETON:
            seen = min(pose.confidence(a), pose.confidence(b)) >= MIN_DRAW_CONFIDENCE
            status = overlay.status_of(int(a), int(b)) if seen else "unseen"
            pa = tuple(int(v) for v in pose.xy(a))
            pb = tuple(int(v) for v in pose.xy(b))
            cv2.line(out, pa, pb, _SEGMENT_COLOURS[status], thickness, cv2.LINE_AA)
        for i in range(len(pose.image)):
            if i <= 10 and i != 0:
                continue  # face detail adds clutter; the nose marks the head
            colour = (255, 255, 255) if pose.confidence(i) >= MIN_DRAW_CONFIDENCE else (120, 120, 120)
            cv2.circle(out, tuple(int(v) for v in pose.xy(i)), thickness + 1, colour, -1, cv2.LINE_AA)
    _draw_text_block(out, overlay, scale)
    return out


def _draw_text_block(out: np.ndarray, overlay: Overlay, scale: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    y = int(28 * scale)
    for text in ((overlay.title,) if overlay.title else ()) + overlay.lines:
        _label(out, text, (int(10 * scale), y), 0.6 * scale, (255, 255, 255), (30, 30, 30))
        y += int(26 * scale)
    if overlay.progress is not None:
        w = int(200 * scale)
        x0, y0 = int(10 * scale), y - int(10 * scale)
        cv2.rectangle(out, (x0, y0), (x0 + w, y0 + int(12 * scale)), (60, 60, 60), -1)
        filled = int(w * max(0.0, min(1.0, overlay.progress)))
        cv2.rectangle(out, (x0, y0), (x0 + filled, y0 + int(12 * scale)), (80, 200, 60), -1)
    if overlay.cue:
        size = 0.9 * scale
        (tw, th), _ = cv2.getTextSize(overlay.cue, font, size, 2)
        x = max(0, (out.shape[1] - tw) // 2)
        yb = out.shape[0] - int(20 * scale)
        _label(out, overlay.cue, (x, yb), size, (255, 255, 255), _CUE_COLOURS[overlay.cue_level])


def _label(
    out: np.ndarray,
    text: str,
    org: tuple[int, int],
    size: float,
    fg: tuple[int, int, int],
    bg: tuple[int, int, int],
) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    thick = max(1, round(size * 2))
    (tw, th), base = cv2.getTextSize(text, font, size, thick)
    x, y = org
    pad = max(3, int(th * 0.3))
    cv2.rectangle(out, (x - pad, y - th - pad), (x + tw + pad, y + base + pad), bg, -1)
    cv2.putText(out, text, (x, y), font, size, fg, thick, cv2.LINE_AA)
