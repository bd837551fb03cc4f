"""`formcheck bench`: pose model alone vs the full pipeline on the same clip, in one process.

Model alone = MediaPipe on frames decoded into memory beforehand. Pipeline = what `analyze` does
per frame: decode from the file, pose, smoothing, kinematics, exercise tracker (and annotating
when asked). Runs alternate so both see the same machine state; the median run of each is kept.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.core.frame import Frame
from formcheck.core.smoothing import PoseSmoother
from formcheck.pipeline.annotate import annotate
from formcheck.pipeline.frames import VideoFileSource, prefetch
from formcheck.pipeline.pose import PoseEstimator
from formcheck.pipeline.runner import FramePipeline, TrackerStage


@dataclass(frozen=True, slots=True)
class BenchResult:
    frames: int
    video_fps: float
    model_fps: float
    pipeline_fps: float

    @property
    def ratio(self) -> float:
        return self.pipeline_fps / self.model_fps

    @property
    def realtime_factor(self) -> float:
        return self.pipeline_fps / self.video_fps

    def text(self) -> str:
        return (
            f"frames per run: {self.frames}\n"
            f"model alone:    {self.model_fps:7.1f} fps ({1000 / self.model_fps:.1f} ms/frame)\n"
            f"full pipeline:  {self.pipeline_fps:7.1f} fps ({1000 / self.pipeline_fps:.1f} ms/frame)\n"
            f"pipeline / model = {self.ratio:.3f}; pipeline = {self.realtime_factor:.2f}x real time "
            f"at {self.video_fps:.0f} fps"
        )


def _model_alone(frames: list[Frame], model_path: Path | None) -> float:
    with PoseEstimator(model_path) as est:
        start = time.perf_counter()
        for frame in frames:
            est.process(frame)
        return len(frames) / (time.perf_counter() - start)


def _pipeline(
    video: Path,
    limit: int,
    model_path: Path | None,
    tracker_factory: Callable[[], TrackerStage] | None,
    draw: bool,
) -> float:
    source = VideoFileSource(video)
    with PoseEstimator(model_path) as est:
        pipe = FramePipeline(est, PoseSmoother(), tracker_factory() if tracker_factory else None)
        n = 0
        start = time.perf_counter()
        for frame in prefetch(iter(source)):
            out = pipe.step(frame)
            if draw:
                annotate(frame.image, out.pose, out.overlay)
            n += 1
            if n >= limit:
                break
        elapsed = time.perf_counter() - start
    source.close()
    return n / elapsed


def run_bench(
    video: Path,
    *,
    repeats: int = 3,
    limit: int = 300,
    model_path: Path | None = None,
    tracker_factory: Callable[[], TrackerStage] | None = None,
    draw: bool = False,
) -> BenchResult:
    source = VideoFileSource(video)
    frames: list[Frame] = []
    for frame in source:
        frames.append(frame)
        if len(frames) >= limit:
            break
    fps = source.info.fps
    source.close()
    model_runs, pipe_runs = [], []
    for _ in range(repeats):
        model_runs.append(_model_alone(frames, model_path))
        pipe_runs.append(_pipeline(video, len(frames), model_path, tracker_factory, draw))
    return BenchResult(
        len(frames), fps, statistics.median(model_runs), statistics.median(pipe_runs)
    )
