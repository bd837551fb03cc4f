"""The evidence behind a flag, for the therapist: the curve of the measure that fired, its threshold,
the moment of the fault, and the frame at that moment with the skeleton and the value.

Everything is recomputed from what the session stored — its landmark track and the exercise
definition it was judged with — so any rule's measure can be shown, not only the rep's own.
"""

from __future__ import annotations

import math
import socket
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.core.exercise import ExerciseDef, RuleDef
from formcheck.core.kinematics import facing_side
from formcheck.core.overlay import Overlay
from formcheck.records.database.rows import FaultDetail, HoldDetail, RepDetail, SessionDetail, SetDetail
from formcheck.records.session_folder import VIDEO_FILE, read_video_t0, video_print
from formcheck.records.session_meta import read_session_meta
from formcheck.records.session_track import track_pose
from formcheck.reports.plots import plt, png
from formcheck.untrusted import Refused
from formcheck.video.annotate import annotate

CONTEXT_S = 2.0  # seconds shown either side of a rep


def session_video(folder: Path, source: str) -> tuple[Path, float] | None:
    """Where a session's picture is and where it starts on the session's clock (ms): the camera
    video kept in its folder, or the video file it analysed — only while the file there is still
    that video (its size and first MiB as recorded): a session from a bundle never shows another
    person's video that happens to sit at the same path. None when neither is there."""
    kept = folder / VIDEO_FILE
    if kept.is_file():
        return kept, read_video_t0(folder)
    try:
        meta = read_session_meta(folder)
    except Refused:
        return None
    path = Path(source)
    if not path.is_file():
        return None
    if meta.source_print is None:  # recorded before videos were fingerprinted: only on the computer that did
        return (path, 0.0) if meta.host == socket.gethostname() else None
    return (path, 0.0) if video_print(path) == meta.source_print else None


@dataclass(frozen=True, slots=True)
class Curve:
    """One measure over time around a rep, with the thresholds it was judged against."""

    name: str
    t_s: np.ndarray
    values: np.ndarray
    thresholds: tuple[tuple[float, str], ...]


def _rule(exercise: ExerciseDef, code: str) -> RuleDef | None:
    return next((r for r in exercise.rules if r.code == code), None)


def fault_curve(track: np.ndarray, exercise: ExerciseDef, code: str, start_s: float, end_s: float) -> Curve | None:
    """The measure the rule ``code`` reads, frame by frame from ``start_s`` to ``end_s``.

    Rules on a finished rep (peak, tempo, hold time) read the rep's own measure."""
    rule = _rule(exercise, code)
    if rule is None:
        return None
    measure_name = rule.measure or (exercise.rep.measure if exercise.rep else None)
    if measure_name is None or measure_name not in exercise.measures:
        return None
    measure = exercise.measures[measure_name]
    t = track[:, 0] / 1000
    rows = track[(t >= start_s) & (t <= end_s)]
    times, values = [], []
    for row in rows:
        result = track_pose(row)
        times.append(result.t_ms / 1000)
        if result.pose is None:
            values.append(math.nan)
            continue
        values.append(measure.value(result.pose, facing_side(result.pose)))
    lines = tuple((v, f"{code} {'min' if v == rule.min else 'max'}") for v in (rule.min, rule.max) if v is not None)
    if rule.kind in ("tempo", "hold_time") and exercise.rep is not None:
        lines = ((exercise.rep.target, "counts as a rep"),)
    return Curve(measure_name, np.array(times), np.array(values, float), lines)


def value_at(curve: Curve, t_s: float) -> float:
    if not len(curve.t_s):
        return math.nan
    return float(curve.values[int(np.argmin(np.abs(curve.t_s - t_s)))])


def evidence_plot(curve: Curve, fault_s: float | None, playhead_s: float | None = None,
                  span: tuple[float, float] | None = None) -> str:
    """A small PNG (data URI) of the curve with its thresholds, the fault moment and a playhead."""
    fig, ax = plt.subplots(figsize=(7, 2.4))
    if span is not None:
        ax.axvspan(*span, color="#e57373", alpha=0.18, label="the rep")
    ax.plot(curve.t_s, curve.values, color="#1565c0", lw=1.5, label=curve.name)
    for value, label in curve.thresholds:
        ax.axhline(value, color="#b3261e", ls="--", lw=1)
        ax.text(curve.t_s[0] if len(curve.t_s) else 0, value, f" {label} ({value:g})", fontsize=7, va="bottom",
                color="#b3261e")
    if fault_s is not None:
        ax.axvline(fault_s, color="#b3261e", lw=1.5)
        ax.text(fault_s, ax.get_ylim()[1], " fault", fontsize=8, va="top", color="#b3261e")
    if playhead_s is not None:
        ax.axvline(playhead_s, color="#263238", lw=1, ls=":")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(curve.name)
    ax.legend(fontsize=7, loc="lower right")
    return png(fig)


def evidence_frame(video: tuple[Path, float], track: np.ndarray, t_s: float, label: str,
                   width: int = 240) -> np.ndarray | None:
    """The picture at ``t_s`` with the recorded skeleton and ``label`` (the value that fired)."""
    path, t0_ms = video
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, t_s * 1000 - t0_ms))
    ok, image = cap.read()
    cap.release()
    if not ok:
        return None
    if len(track):
        row = track[int(np.argmin(np.abs(track[:, 0] / 1000 - t_s)))]
        recorded = track_pose(row)
        h, w = image.shape[:2]
        sx = w / recorded.width if recorded.width else 1.0
        pose = recorded.pose
        if pose is not None and abs(sx - 1.0) > 1e-3:  # a kept video at another size than analysed
            from formcheck.core.landmarks import Pose

            pose = Pose(pose.image * np.array([sx, h / recorded.height, 1.0], np.float32), pose.world,
                        pose.visibility, pose.presence)
        from formcheck.core.landmarks import PoseResult

        image = annotate(image, PoseResult(recorded.t_ms, w, h, pose), Overlay(cue=label, cue_level="fault"))
    return cv2.resize(image, (width, int(width * image.shape[0] / image.shape[1])))


def fault_label(curve: Curve | None, rule: RuleDef | None, t_s: float) -> str:
    """'knee_ahead 0.31 (max 0.25)': the value at the fault and the threshold it crossed."""
    if curve is None or rule is None:
        return ""
    v = value_at(curve, t_s)
    limit = " / ".join(f"{k} {x:g}" for k, x in (("min", rule.min), ("max", rule.max)) if x is not None)
    return f"{curve.name} {v:.2f} ({limit})" if not math.isnan(v) else curve.name


def evidence(detail: SessionDetail, st: SetDetail, item: RepDetail | HoldDetail, fault: FaultDetail,
             track: np.ndarray, exercise: ExerciseDef | None) -> tuple[Curve | None, str]:
    """The curve and the label for one fault of one rep or hold."""
    if exercise is None:
        return None, ""
    curve = fault_curve(track, exercise, fault.code, item.start_s - CONTEXT_S, item.end_s + CONTEXT_S)
    return curve, fault_label(curve, _rule(exercise, fault.code), fault.t_s)
