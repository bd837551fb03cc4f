"""`formcheck bench`: pose model alone vs the full pipeline on the same clip, in one process;
with ``--jobs N``, the whole analysis of a batch of videos in one process vs N processes.

Model alone = MediaPipe on frames decoded into memory beforehand. Pipeline = what `analyze` does
per frame: decode from the file, pose, smoothing, kinematics, exercise tracker (and annotating
when asked). Runs alternate so both see the same machine state; the median run of each is kept.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.analysis.batch import BatchItem, VideoTask, analyze_videos
from formcheck.analysis.runner import FramePipeline, TrackerStage
from formcheck.core.exercise import ExerciseDef
from formcheck.core.frame import Frame
from formcheck.core.smoothing import PoseSmoother
from formcheck.pose.estimator import PoseEstimator
from formcheck.video.annotate import annotate
from formcheck.video.file_sources import VideoFileSource
from formcheck.video.frames import prefetch


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


# ---- `formcheck bench --jobs N`: a batch analysed in one process and in N, side by side ----------


@dataclass(frozen=True, slots=True)
class Run:
    """One whole analysis: frames per second of wall time, CPU seconds it used (workers too), and
    the cores other processes kept busy meanwhile (None where the system doesn't say)."""

    fps: float
    cpu_s: float
    wall_s: float
    others_cores: float | None = None

    @property
    def cores(self) -> float:
        return self.cpu_s / self.wall_s


@dataclass(frozen=True, slots=True)
class JobsBenchResult:
    videos: list[str]
    frames: int  # all videos together
    duration_s: float
    jobs: int
    single: list[Run]  # one per repeat; single[i] and parallel[i] ran one after the other
    parallel: list[Run]
    load: list[float]  # 1-minute load average, sampled every second during the runs
    differences: list[str]  # per parallel run: how its reps, faults and holds differ from one process's
    shared_by_session: bool = False  # Linux autogroup: busy sessions get equal shares of the CPU

    @property
    def ratio(self) -> float:
        return statistics.median(r.fps for r in self.parallel) / statistics.median(r.fps for r in self.single)

    def text(self) -> str:
        def others(run: Run) -> str:
            return "?" if run.others_cores is None else f"{run.others_cores:.1f}"

        n = f"{self.jobs} processes"
        names = ", ".join(self.videos) if len(self.videos) <= 3 else f"{len(self.videos)} videos"
        lines = [
            f"{names}: {self.frames} frames ({self.duration_s:.1f} s); {os.cpu_count()} cores",
            f"run  1 process  {n:>12s}  ratio  cores used: ours / other processes'  "
            f"reps, faults and holds with {n}",
        ]
        if len(self.videos) < 2:
            lines.insert(1, "note: one video is always analysed in one process (its results never depend on "
                            "--jobs); give several videos to see what more processes give a batch")
        for i, (one, many) in enumerate(zip(self.single, self.parallel, strict=True)):
            lines.append(f"{i + 1:3d}  {one.fps:5.1f} fps  {many.fps:8.1f} fps  {many.fps / one.fps:5.2f}  "
                         f"{one.cores:.2f}/{others(one):<4s} then {many.cores:.2f}/{others(many):<4s}  "
                         f"{self.differences[i]}")
        cpu_one, cpu_many = (1000 * statistics.median(r.cpu_s for r in rows) / self.frames
                             for rows in (self.single, self.parallel))
        load = (f"{min(self.load):.1f}–{max(self.load):.1f} (mean {statistics.mean(self.load):.1f})"
                if self.load else "not available")
        lines += [
            f"median: 1 process {statistics.median(r.fps for r in self.single):.1f} fps, {n} "
            f"{statistics.median(r.fps for r in self.parallel):.1f} fps: throughput ratio {self.ratio:.2f}",
            f"CPU per frame: 1 process {cpu_one:.1f} ms, {n} {cpu_many:.1f} ms "
            f"({100 * (cpu_many / cpu_one - 1):+.0f} %: starting the workers and their models)",
            f"load average (1 min) during the runs: {load}",
        ]
        if self.shared_by_session:
            lines.append("note: this kernel shares the CPU between sessions (autogroup), so while another "
                         "session keeps cores busy, this one gets its share however many processes it runs")
        return "\n".join(lines)


def verdicts(report: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """What a therapist reads in a report: each rep, attempt and hold with its times and faults
    (times first: start, end and, for holds, the time held)."""
    def rep(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["start_s"], r["end_s"], r["side"], [f["code"] for f in r["faults"]],
                [n["code"] for n in r["not_judged"]])

    return {
        "reps": [rep(r) for r in report.get("reps", [])],
        "attempts": [rep(r) for r in report.get("attempts", [])],
        "holds": [(h["start_s"], h["end_s"], h["duration_s"], h["side"], [f["code"] for f in h["faults"]])
                  for h in report.get("holds", [])],
    }


def compare_verdicts(one: dict[str, Any], other: dict[str, Any]) -> str:
    """How ``other``'s reps, attempts and holds differ from ``one``'s, in one sentence."""
    a, b = verdicts(one), verdicts(other)
    if a == b:
        return "identical"
    counts = {kind: (len(a[kind]), len(b[kind])) for kind in a}
    if any(x != y for x, y in counts.values()):
        return "DIFFERENT counts: " + ", ".join(f"{k} {x} vs {y}" for k, (x, y) in counts.items() if x != y)
    pairs = [(kind, x, y) for kind in a for x, y in zip(a[kind], b[kind], strict=True)]
    faults = sum(x[3 if kind != "holds" else 4:] != y[3 if kind != "holds" else 4:] for kind, x, y in pairs)
    moved = [abs(u - v) for kind, x, y in pairs for u, v in zip(x[:3 if kind == "holds" else 2], y, strict=False)]
    shift = max(moved)
    total = sum(len(v) for v in a.values())
    return (f"same counts; faults or sides differ on {faults} of {total}; "
            f"times differ on {sum(m > 0 for m in moved)} of {len(moved)}, by up to {shift:.2f} s")


def run_jobs_bench(
    videos: list[Path], jobs: int, *, repeats: int = 3, exercise: ExerciseDef | None = None
) -> JobsBenchResult:
    """Analyse ``videos`` as a batch with 1 process and with ``jobs``, alternately, ``repeats`` times each.

    Wall time of the whole batch, start-up included (model loading; for ``jobs`` also starting
    the worker processes), so it is what a user waits.
    """
    load: list[float] = []
    stop = threading.Event()

    def sample_load() -> None:
        while not stop.wait(1.0):
            load.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample_load, name="load-sampler", daemon=True)
    if hasattr(os, "getloadavg"):
        sampler.start()
    tasks = [VideoTask(video, None, exercise) for video in videos]
    single: list[Run] = []
    parallel: list[Run] = []
    differences: list[str] = []
    reference: list[dict[str, Any]] = []
    try:
        for _ in range(repeats):
            for n in (1, jobs):
                cpu, busy, start = _cpu_s(), _busy_s(), time.perf_counter()
                reports = [_report(item) for item in analyze_videos(tasks, jobs=n, progress=False)]
                wall = time.perf_counter() - start
                cpu, busy_now = _cpu_s() - cpu, _busy_s()
                busy = busy_now - busy if busy is not None and busy_now is not None else None
                others = None if busy is None else max(0.0, (busy - cpu) / wall)
                run = Run(sum(r["video"]["frames"] for r in reports) / wall, cpu, wall, others)
                if n == 1:
                    single.append(run)
                    reference = reports
                else:
                    parallel.append(run)
                    differ = [f"{v.name}: {compare_verdicts(a, b)}" for v, a, b in zip(videos, reference, reports,
                                                                                         strict=True)
                              if verdicts(a) != verdicts(b)]
                    differences.append("; ".join(differ) or "identical")
    finally:
        stop.set()
    return JobsBenchResult([v.name for v in videos], sum(r["video"]["frames"] for r in reference),
                           sum(r["video"]["duration_s"] for r in reference), jobs, single, parallel, load,
                           differences, _autogroup())


def _report(item: BatchItem) -> dict[str, Any]:
    if item.result is None:
        raise item.error or AssertionError("no result")
    return item.result.report


def _autogroup() -> bool:
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def _busy_s() -> float | None:
    """CPU seconds all processes have used since boot (Linux), to tell how busy others kept it."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_s() -> float:
    """CPU seconds used by this process and its finished child processes (the workers)."""
    try:
        import resource
    except ImportError:  # Windows
        return time.process_time()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
