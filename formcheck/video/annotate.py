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


FONT = cv2.FONT_HERSHEY_SIMPLEX
MAX_CUE_LINES = 3


def _thickness(size: float) -> int:
    return max(1, round(size * 2))


def wrap_text(text: str, size: float, max_width: int) -> list[str]:
    """Split ``text`` into lines no wider than ``max_width`` pixels at font ``size`` (a single word
    wider than that stays on its own line; ``fit_size`` shrinks the font for it)."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, FONT, size, _thickness(size))[0][0] <= max_width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def fit_size(lines: list[str], size: float, max_width: int) -> float:
    """The largest font size ≤ ``size`` at which every line fits ``max_width``."""
    widest = max((cv2.getTextSize(t, FONT, size, _thickness(size))[0][0] for t in lines), default=0)
    return size if widest <= max_width else size * max_width / widest


def text_boxes(overlay: Overlay, width: int, height: int) -> list[tuple[str, tuple[int, int], float]]:
    """Where each piece of overlay text goes: (text, baseline origin, font size), all inside the
    frame — counters top-left, the cue wrapped and centred at the bottom."""
    scale = max(width, height) / 640.0
    margin = int(10 * scale)
    room = width - 2 * margin
    out: list[tuple[str, tuple[int, int], float]] = []
    y = int(28 * scale)
    for text in ((overlay.title,) if overlay.title else ()) + overlay.lines:
        size = fit_size([text], 0.6 * scale, room)
        out.append((text, (margin, y), size))
        y += int(26 * scale)
    if overlay.cue:
        size = 0.9 * scale
        lines = wrap_text(overlay.cue, size, room)
        if len(lines) > MAX_CUE_LINES:  # too long even wrapped: smaller type, fewer lines
            size *= 0.7
            lines = wrap_text(overlay.cue, size, room)
        size = fit_size(lines, size, room)
        step = int(cv2.getTextSize("Ag", FONT, size, _thickness(size))[0][1] * 1.9)
        yb = height - int(20 * scale) - step * (len(lines) - 1)
        for line in lines:
            tw = cv2.getTextSize(line, FONT, size, _thickness(size))[0][0]
            out.append((line, (max(margin, (width - tw) // 2), yb), size))
            yb += step
    return out


def _draw_text_block(out: np.ndarray, overlay: Overlay, scale: float) -> None:
    height, width = out.shape[:2]
    boxes = text_boxes(overlay, width, height)
    n_top = len(((overlay.title,) if overlay.title else ()) + overlay.lines)
    for i, (text, org, size) in enumerate(boxes):
        bg = (30, 30, 30) if i < n_top else _CUE_COLOURS[overlay.cue_level]
        _label(out, text, org, size, (255, 255, 255), bg)
    if overlay.progress is not None:
        w = int(200 * scale)
        x0, y0 = int(10 * scale), int(28 * scale) + n_top * int(26 * scale) - int(10 * scale)
        cv2.rectangle(out, (x0, y0), (x0 + w, y0 + int(12 * scale)), (60, 60, 60), -1)
        filled = int(w * max(0.0, min(1.0, overlay.progress)))
        cv2.rectangle(out, (x0, y0), (x0 + filled, y0 + int(12 * scale)), (80, 200, 60), -1)


def _label(
    out: np.ndarray,
    text: str,
    org: tuple[int, int],
    size: float,
    fg: tuple[int, int, int],
    bg: tuple[int, int, int],
) -> None:
    thick = _thickness(size)
    (tw, th), base = cv2.getTextSize(text, FONT, size, thick)
    x, y = org
    pad = max(3, int(th * 0.3))
    cv2.rectangle(out, (x - pad, y - th - pad), (x + tw + pad, y + base + pad), bg, -1)
    cv2.putText(out, text, (x, y), FONT, size, fg, thick, cv2.LINE_AA)
