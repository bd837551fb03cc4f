"""`formcheck analyze` of one video, in this process: run the pipeline over it from its first frame
to its last and write landmarks, report and video (``batch`` hands several videos out)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from tqdm import tqdm

from formcheck import __version__
from formcheck.analysis.runner import FrameJudge, FramePipeline
from formcheck.core.coach import summarise_set
from formcheck.core.events import Event, SetEnded, SetStarted
from formcheck.core.frame import Frame
from formcheck.core.landmarks import PoseResult
from formcheck.core.smoothing import PoseSmoother, SmoothingConfig
from formcheck.core.tracker import ExerciseTracker
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.recorder import RECORDING_ERRORS, SessionRecorder, recording_failed
from formcheck.records.results_json import results_json
from formcheck.records.track import LandmarkTrack
from formcheck.video.annotate import annotate
from formcheck.video.file_sources import VideoFileSource
from formcheck.video.frames import prefetch

log = logging.getLogger(__name__)

SMALL_VIDEO_SIDE = 240  # pixels on the shorter side below which pose tracking gets unreliable


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    report: dict[str, Any]
    report_path: Path | None
    landmarks_path: Path | None
    video_path: Path | None
    session_id: int | None = None  # when recorded
    recording_error: str | None = None  # recording stopped part-way (the analysis went on)


class LocalPoses:
    """A video's frames posed in this process, one after another, from the first to the last."""

    def __init__(self, video: Path, estimator: PoseEstimator | None = None,
                 smoothing: SmoothingConfig | None = None) -> None:
        self._source = VideoFileSource(video)
        self._own = estimator is None
        try:
            self._estimator = estimator or PoseEstimator(mode="video")
        except BaseException:
            self._source.close()
            raise
        self._pipeline = FramePipeline(self._estimator, PoseSmoother(smoothing))
        self.info = self._source.info
        self.model_name = self._estimator.model_name

    @property
    def frames_lost(self) -> int:
        return self._source.frames_lost

    def __iter__(self) -> Iterator[tuple[Frame, PoseResult, PoseResult]]:
        """Each frame with its pose as found and smoothed."""
        for frame in prefetch(iter(self._source)):
            yield frame, *self._pipeline.poses(frame)

    def close(self) -> None:
        self._source.close()
        if self._own:
            self._estimator.close()


def analyze_video(
    video: Path,
    out_dir: Path | None = None,
    *,
    exercise: str | None = None,
    tracker: ExerciseTracker | None = None,
    annotated: bool = False,
    smoothing: SmoothingConfig | None = None,
    progress: bool = True,
    estimator: PoseEstimator | None = None,
    record: Callable[[], SessionRecorder] | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    source: str | None = None,
) -> AnalysisResult:
    """Analyse ``video``; with ``out_dir`` write report.json, landmarks.npz (and annotated.mp4).

    The poses are found here, frame after frame, with ``estimator`` and ``smoothing``.
    ``on_progress(frames done, frames expected)`` is called after each frame (a progress bar).
    ``record`` makes the session recorder. It is called only once the video, the model and the
    output folder have opened, so a file that can't be read leaves no empty session behind. A
    recording that fails part-way (disk full) stops with a message; the analysis goes on.
    ``source``: what the report calls the video (default: ``video`` as given).
    """
    stream = LocalPoses(video, estimator, smoothing)
    judge = FrameJudge(tracker)
    track = LandmarkTrack()
    writer: cv2.VideoWriter | None = None
    video_path: Path | None = None
    info = stream.info
    recorder: SessionRecorder | None = None
    recording_error: str | None = None
    start = time.perf_counter()
    t_ms = 0
    status, reason = "complete", None
    crowded = 0  # frames with a second person in view
    try:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            track = LandmarkTrack(out_dir / "landmarks.npz")
            if annotated:
                video_path = out_dir / "annotated.mp4"
                # mp4v is the MP4 codec every OpenCV wheel can write (pip builds ship no H.264 encoder).
                writer = cv2.VideoWriter(
                    str(video_path), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height)
                )
        if record is not None:
            recorder = record()
        pending: list[Event] = [SetStarted(0, tracker.exercise, 1)] if tracker is not None else []
        bar = tqdm(total=info.frame_count, unit="frame", desc=info.name, disable=None if progress else True)
        with bar:
            for frame, raw, pose in stream:
                out = judge.step(frame, raw, pose)
                t_ms = frame.t_ms
                track.append(out.raw, out.pose)
                crowded += (out.raw.people or 0) > 1
                if writer is not None:
                    writer.write(annotate(frame.image, out.pose, out.overlay))
                if recorder is not None:
                    events = [*pending, *(out.evaluation.events if out.evaluation else ())]
                    pending = []
                    try:
                        recorder.on_frame(out, out.evaluation, events)
                    except RECORDING_ERRORS as exc:
                        recording_error = recording_failed(exc, recorder.folder)
                        log.warning("%s", recording_error)
                        recorder.abandon(f"recording failed: {exc}")
                        recorder = None
                bar.update(1)
                if on_progress is not None:
                    on_progress(len(track), info.frame_count)
        if tracker is not None:
            ended = [*pending, *tracker.end_counting(t_ms), SetEnded(t_ms, summarise_set(1, tracker, "video_end"))]
            if recorder is not None:
                recorder.on_frame(None, None, ended)
        elapsed = time.perf_counter() - start
    except KeyboardInterrupt as exc:
        status, reason = "interrupted", str(exc) or "stopped by Ctrl-C or a stop signal"
        raise
    except BaseException as exc:
        status, reason = "interrupted", f"the analysis failed: {exc}"
        raise
    finally:
        stream.close()
        if status != "complete":
            track.close()
        if writer is not None:
            writer.release()
        if recorder is not None:
            try:
                recorder.finish(status, reason)
            except RECORDING_ERRORS as exc:
                recording_error = recording_failed(exc, recorder.folder)
                recorder.abandon(f"recording failed: {exc}")

    try:
        landmarks_path = track.save(info.width, info.height, info.fps) if out_dir is not None else None
    finally:
        track.close()
    report = build_report(
        source_name=source or str(video),
        exercise=exercise,
        frames=len(track),
        frames_lost=stream.frames_lost,
        fps=info.fps,
        width=info.width,
        height=info.height,
        model=stream.model_name,
        frames_with_pose=track.frames_with_pose,
        frames_with_second_person=crowded,
        view=judge.views.verdict(),
        elapsed_s=elapsed,
        tracker=tracker,
    )
    for warning in report["warnings"]:
        log.warning("%s: %s", video.name, warning)
    report_path = None
    if out_dir is not None:
        report_path = out_dir / "report.json"
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    session_id = recorder.session_id if recorder is not None else None
    return AnalysisResult(report, report_path, landmarks_path, video_path, session_id, recording_error)


def build_report(
    *,
    source_name: str,
    exercise: str | None,
    frames: int,
    frames_lost: int,
    fps: float,
    width: int,
    height: int,
    model: str,
    frames_with_pose: int,
    frames_with_second_person: int,
    view: tuple[str | None, float],
    elapsed_s: float,
    tracker: ExerciseTracker | None,
) -> dict[str, Any]:
    """The report.json document (keys are a stable interface; extend, don't rename)."""
    results = results_json(tracker) if tracker is not None else {}
    reps = results.get("reps", [])
    holds = results.get("holds", [])
    throughput = frames / elapsed_s if elapsed_s > 0 else 0.0
    report: dict[str, Any] = {
        "formcheck_version": __version__,
        "source": source_name,
        "exercise": exercise,
        "video": {
            "frames": frames,  # decoded and analysed
            "frames_lost": frames_lost,  # skipped over damaged data
            "fps": round(fps, 3),
            "width": width,
            "height": height,
            "duration_s": round(frames / fps, 3) if fps else 0.0,
        },
        "pose": {
            "model": model,
            "frames_with_pose": frames_with_pose,
            "coverage": round(frames_with_pose / frames, 4) if frames else 0.0,
            "frames_with_second_person": frames_with_second_person,
        },
        "view": {"label": view[0], "confidence": view[1]},
        "reps": reps,
        "holds": holds,
        "summary": {
            "reps": len(reps),
            "reps_flagged": sum(1 for r in reps if r.get("faults")),
            "hold_s": round(sum(h.get("duration_s", 0.0) for h in holds), 2),
        },
        "timing": {
            "fps": round(throughput, 1),
            "realtime_factor": round(throughput / fps, 2) if fps else 0.0,
        },
        "warnings": video_warnings(
            frames, frames_lost, width, height, frames_with_pose, frames_with_second_person
        ),
    }
    for key, value in results.items():
        report.setdefault(key, value)
    return report


def video_warnings(
    frames: int,
    frames_lost: int,
    width: int,
    height: int,
    frames_with_pose: int,
    frames_with_second_person: int,
) -> list[str]:
    """One sentence for each thing about the video that makes its results less trustworthy."""
    warnings = []
    if frames_lost:
        share = 100 * frames_lost / (frames + frames_lost)
        warnings.append(
            f"{frames_lost} frames ({share:.0f} %) could not be decoded and were skipped — the "
            "file is damaged, so results near the gap may be incomplete; export or record it again."
        )
    if min(width, height) < SMALL_VIDEO_SIDE:
        warnings.append(
            f"The video is only {width}x{height}; pose tracking is unreliable below "
            f"{SMALL_VIDEO_SIDE} pixels on the shorter side — record at 480p or more."
        )
    if frames and not frames_with_pose:
        warnings.append(
            "No person found in the video — check that the whole body is in view and well lit, "
            "or choose another video."
        )
    crowded = round(100 * frames_with_second_person / frames) if frames else 0
    if crowded >= 1:
        warnings.append(
            f"A second person is in view for {crowded} % of frames — formcheck follows the person "
            "nearest to where the first was."
        )
    return warnings


def summary_text(report: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    v, p, s, t = report["video"], report["pose"], report["summary"], report["timing"]
    lines = [
        f"{report['source']}: {v['frames']} frames, {v['duration_s']:.1f} s at {v['fps']:.0f} fps, "
        f"{v['width']}x{v['height']}",
        f"pose found in {p['frames_with_pose']}/{v['frames']} frames ({100 * p['coverage']:.1f} %), "
        f"view {report['view']['label']} (confidence {report['view']['confidence']:.2f})",
        f"throughput {t['fps']:.1f} fps = {t['realtime_factor']:.2f}x real time",
    ]
    if report["exercise"]:
        lines.append(
            f"{report['exercise']}: {s['reps']} reps ({s['reps_flagged']} flagged), "
            f"held {s['hold_s']:.1f} s"
        )
        if report.get("why_none"):
            lines.append(f"nothing counted: {report['why_none']}")
    lines.extend(f"warning: {w}" for w in report["warnings"])
    return "\n".join(lines)


def summary_line(report: dict[str, Any]) -> str:
    """One line for a video of a batch."""
    v, p, s = report["video"], report["pose"], report["summary"]
    line = f"{v['frames']} frames ({v['duration_s']:.1f} s), pose in {100 * p['coverage']:.0f} %"
    if report["exercise"]:
        line += f", {report['exercise']}: {s['reps']} reps ({s['reps_flagged']} flagged), held {s['hold_s']:.1f} s"
    if report["warnings"]:
        line += f", {len(report['warnings'])} warning{'s' if len(report['warnings']) > 1 else ''} (see report.json)"
    return line
