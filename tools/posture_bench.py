"""Benchmark of the posture mode (not a test): CPU and memory over an hour of input at ≤ 2 fps.

An hour of input is one clip looped (its timestamps carried on), watched exactly as
``formcheck posture`` does (sampled video, the posture pose model, measures, judge, coach). The run
goes as fast as the machine allows, so CPU % of one core *at real time* is process CPU time
(user + system, every thread) divided by the input's duration; ``--paced-s`` also runs that many
seconds paced to real time (sleeping between samples, as with a camera) and reports CPU time /
wall time directly. Memory: resident set size sampled every simulated minute.

    .venv/bin/python tools/posture_bench.py --video ../shared/real_clips/desk/desk_harith_1.mp4 \
        --hours 1 --paced-s 120
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

from formcheck.core.frame import Frame
from formcheck.core.posture_coach import PostureSettings
from formcheck.core.posture_judge import typical_baseline
from formcheck.pipeline.posture_mode import SampledVideo, pose_estimator, posture_model, sample, watch


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def looped(path: Path, every_ms: int, total_ms: int, stats: dict[str, int]) -> Iterator[Frame]:
    """The clip again and again, timestamps carried on, until ``total_ms`` of input."""
    offset = 0
    index = 0
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


def paced(frames: Iterator[Frame]) -> Iterator[Frame]:
    start = time.monotonic()
    for frame in frames:
        wait = start + frame.t_ms / 1000 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        yield frame


def run(path: Path, seconds: float, pace: bool) -> dict[str, float]:
    settings = PostureSettings()
    stats = {"grabbed": 0, "retrieved": 0}
    rss: list[float] = []
    with pose_estimator() as est:
        frames = looped(path, settings.sample_ms, round(seconds * 1000), stats)
        if pace:
            frames = paced(frames)
        cpu0, wall0 = cpu_s(), time.monotonic()

        def samples() -> Iterator:
            for i, item in enumerate(sample(frames, est)):
                if i % 120 == 0:  # every minute of input at 2 fps
                    rss.append(rss_mb())
                yield item

        result = watch(samples(), typical_baseline("side"), settings)
        cpu, wall = cpu_s() - cpu0, time.monotonic() - wall0
    return {"input_s": seconds, "wall_s": wall, "cpu_s": cpu, "samples": len(result.states),
            "grabbed": stats["grabbed"], "retrieved": stats["retrieved"],
            "cpu_pct_of_input": 100 * cpu / seconds, "cpu_pct_of_wall": 100 * cpu / wall,
            "rss_first_mb": rss[1] if len(rss) > 1 else rss[0], "rss_last_mb": rss[-1], "rss_max_mb": max(rss)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--video", type=Path, required=True)
    p.add_argument("--hours", type=float, default=1.0)
    p.add_argument("--paced-s", type=float, default=0.0)
    args = p.parse_args()
    print(posture_model()[1])
    for label, seconds, pace in (("hour of input, unpaced", args.hours * 3600, False),
                                 ("paced to real time", args.paced_s, True)):
        if seconds <= 0:
            continue
        r = run(args.video, seconds, pace)
        print(f"{label}: {r['input_s']:.0f} s of input in {r['wall_s']:.0f} s wall; {r['samples']} samples "
              f"({r['retrieved']} frames retrieved of {r['grabbed']} grabbed); CPU {r['cpu_s']:.1f} s = "
              f"{r['cpu_pct_of_input']:.2f} % of one core at real time ({r['cpu_pct_of_wall']:.1f} % of the wall "
              f"time); RSS after 1 min {r['rss_first_mb']:.0f} MB, at the end {r['rss_last_mb']:.0f} MB, "
              f"max {r['rss_max_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
