"""Benchmark of the posture mode (not a test): CPU and memory over an hour of input, and where the
CPU goes.

An hour of input is one clip looped (its timestamps carried on), watched exactly as
``formcheck posture`` does (sampled video, the posture pose model, measures, judge, coach). The run
goes as fast as the machine allows, so CPU % of one core *at real time* is process CPU time
(user + system, every thread) divided by the input's duration. Each section's CPU is counted
around its calls: *decode* (the source: grabbing every frame, retrieving the sampled ones),
*pose* (the pose model, with its resize and colour conversion), *rest* (measures, judge, coach).

Two sources:

* ``--source file`` (default): the video file as ``formcheck posture --video`` reads it — every
  frame is decoded (an H.264 P-frame needs the one before it; seeking only lands on key frames);
* ``--source camera``: what a webcam costs — the sampled frames, JPEG-compressed once up front
  (a USB webcam sends MJPEG), are decoded one per sample as the camera's read does; the frames in
  between are never decoded (the driver drops them, keeping one buffer).

``--paced-s`` also runs that many seconds paced to real time (sleeping between samples, as with
a camera) and reports CPU time / wall time directly. Memory: resident set size sampled every
simulated minute.

    .venv/bin/python tools/posture_bench.py --video ../shared/real_clips/desk/desk_jonz21_1.mp4 \
        --hours 1 [--fps 2] [--source camera] [--paced-s 120]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2

from formcheck.analysis.posture_mode import SampledVideo, pose_estimator, posture_model, sample, watch
from formcheck.core.frame import Frame
from formcheck.core.landmarks import PoseResult
from formcheck.core.posture_coach import PostureSettings
from formcheck.core.posture_judge import typical_baseline


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sections:
    """CPU seconds (all threads) spent inside each section."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {"decode": 0.0, "pose": 0.0}

    def timed(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        it = iter(frames)
        while True:
            c0 = cpu_s()
            frame = next(it, None)
            self.cpu["decode"] += cpu_s() - c0
            if frame is None:
                return
            yield frame


class TimedEstimator:
    """The pose estimator, its CPU counted as the "pose" section."""

    def __init__(self, est: Any, sections: Sections) -> None:
        self.est, self.sections = est, sections

    def process(self, frame: Frame) -> PoseResult:
        c0 = cpu_s()
        result = self.est.process(frame)
        self.sections.cpu["pose"] += cpu_s() - c0
        return result


def looped_file(path: Path, every_ms: int, total_ms: int, stats: dict[str, int]) -> Iterator[Frame]:
    """The clip again and again, timestamps carried on, until ``total_ms`` of input."""
    offset, index = 0, 0
    while offset < total_ms:
        src = SampledVideo(path, every_ms)
        last = 0
        for frame in src:
            t = offset + frame.t_ms
            if t >= total_ms:
                break
            yield Frame(index, t, frame.image)
            index += 1
            last = frame.t_ms
        stats["grabbed"] += src.grabbed
        stats["retrieved"] += src.retrieved
        src.close()
        offset += last + every_ms


def looped_camera(path: Path, every_ms: int, total_ms: int, stats: dict[str, int]) -> Iterator[Frame]:
    """As a webcam delivers them: the sampled frames as JPEG (compressed before the clock starts),
    one decoded per sample."""
    src = SampledVideo(path, every_ms)
    jpegs = [(f.t_ms, cv2.imencode(".jpg", f.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]) for f in src]
    src.close()
    span = jpegs[-1][0] + every_ms
    t, index = 0, 0
    while t < total_ms:
        for t_clip, jpeg in jpegs:
            t = index // len(jpegs) * span + t_clip
            if t >= total_ms:
                return
            stats["grabbed"] += 1
            stats["retrieved"] += 1
            yield Frame(index, t, cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
            index += 1


def paced(frames: Iterator[Frame]) -> Iterator[Frame]:
    start = time.monotonic()
    for frame in frames:
        wait = start + frame.t_ms / 1000 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        yield frame


def run(path: Path, seconds: float, pace: bool, settings: PostureSettings, source: str) -> dict[str, Any]:
    stats = {"grabbed": 0, "retrieved": 0}
    rss: list[float] = []
    sections = Sections()
    per_minute = max(1, 60_000 // settings.sample_ms)
    looped = looped_camera if source == "camera" else looped_file
    with pose_estimator() as est:
        frames = looped(path, settings.sample_ms, round(seconds * 1000), stats)
        frames = sections.timed(paced(frames) if pace else frames)
        cpu0, wall0 = cpu_s(), time.monotonic()

        def samples() -> Iterator[Any]:
            for i, item in enumerate(sample(frames, TimedEstimator(est, sections))):
                if i % per_minute == 0:
                    rss.append(rss_mb())
                yield item

        result = watch(samples(), typical_baseline("side"), settings)
        cpu, wall = cpu_s() - cpu0, time.monotonic() - wall0
    pct = {k: 100 * v / seconds for k, v in sections.cpu.items()}
    pct["rest"] = 100 * cpu / seconds - sum(pct.values())
    return {"input_s": seconds, "wall_s": wall, "cpu_s": cpu, "samples": len(result.states),
            "grabbed": stats["grabbed"], "retrieved": stats["retrieved"], "sections_pct": pct,
            "cpu_pct_of_input": 100 * cpu / seconds, "cpu_pct_of_wall": 100 * cpu / wall,
            "rss_first_mb": rss[1] if len(rss) > 1 else rss[0], "rss_last_mb": rss[-1], "rss_max_mb": max(rss)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--video", type=Path, required=True)
    p.add_argument("--hours", type=float, default=1.0)
    p.add_argument("--paced-s", type=float, default=0.0)
    p.add_argument("--fps", type=float, default=1000 / PostureSettings().sample_ms,
                   help="samples per second (default: the posture mode's)")
    p.add_argument("--source", choices=("file", "camera"), default="file")
    args = p.parse_args()
    settings = dataclasses.replace(PostureSettings(), sample_ms=round(1000 / args.fps))
    print(f"{posture_model()[1]}; {1000 / settings.sample_ms:g} fps; source: {args.source}")
    for label, seconds, pace in (("hour of input, unpaced", args.hours * 3600, False),
                                 ("paced to real time", args.paced_s, True)):
        if seconds <= 0:
            continue
        r = run(args.video, seconds, pace, settings, args.source)
        parts = ", ".join(f"{k} {v:.2f} %" for k, v in r["sections_pct"].items())
        print(f"{label}: {r['input_s']:.0f} s of input in {r['wall_s']:.0f} s wall; {r['samples']} samples "
              f"({r['retrieved']} frames retrieved of {r['grabbed']} grabbed); CPU {r['cpu_s']:.1f} s = "
              f"{r['cpu_pct_of_input']:.2f} % of one core at real time ({parts}; "
              f"{r['cpu_pct_of_wall']:.1f} % of the wall time); RSS after 1 min {r['rss_first_mb']:.0f} MB, "
              f"at the end {r['rss_last_mb']:.0f} MB, max {r['rss_max_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
