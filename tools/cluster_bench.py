"""One process vs `--jobs 2` (the worker pool) vs a Dask LocalCluster of 2 worker processes, on the
bundled sample videos: throughput, wall time, start-up cost, and whether the results are the same.

    python tools/cluster_bench.py [--repeat N]

Three batches, each analysed the three ways one after the other: the nine sample clips (``--repeat``
times each), two short ones (what a batch of one or two costs), and two videos that aren't there
(the fixed cost alone: starting the workers, importing, loading the model, stopping). Wall time
is what a user waits: model loading and starting the worker processes included; for the cluster,
its start-up (``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)`` until its workers
are up) is shown apart and included in the total. "same" compares each report, timing left out,
with the one process's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.analysis.batch import BatchItem, VideoTask, analyze_videos  # noqa: E402
from formcheck.evaluation.bench import compare_verdicts  # noqa: E402
from formcheck.exercises.loader import load_by_id  # noqa: E402
from formcheck.pose.model_store import ensure_model  # noqa: E402

SAMPLES = ROOT / "sample_videos"
CLIPS = {"bird_dog_good": "bird_dog", "bird_dog_leg_high": "bird_dog", "glute_bridge_good": "glute_bridge",
         "glute_bridge_low": "glute_bridge", "plank_good": "forearm_plank", "plank_sag": "forearm_plank",
         "side_plank_good": "side_plank", "side_plank_sag": "side_plank", "squat_good": "squat"}
SHORT = ("plank_good", "plank_sag")


@contextmanager
def load_sampled() -> Iterator[list[float]]:
    """The 1-minute load average, sampled every second while the block runs."""
    samples = [os.getloadavg()[0]]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            samples.append(os.getloadavg()[0])

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def _reports(items: Iterator[BatchItem]) -> list[dict[str, Any]]:
    """Each report, timing left out (a video that isn't there: its error)."""
    reports = []
    for item in items:
        if item.result is None:
            if item.video.exists():
                raise SystemExit(f"{item.video}: {item.error}")
            reports.append({"source": str(item.video), "video": {"frames": 0}, "error": str(item.error)})
            continue
        reports.append({k: v for k, v in item.result.report.items() if k != "timing"})
    return reports


def _same(reference: list[dict[str, Any]], reports: list[dict[str, Any]]) -> str:
    differ = []
    for a, r in zip(reference, reports, strict=True):
        if a != r:
            verdicts = compare_verdicts(a, r)
            fields = ", ".join(k for k in a if a[k] != r.get(k))
            differ.append(f"{Path(r['source']).stem}: {'differ in ' + fields if verdicts == 'identical' else verdicts}")
    return "; ".join(differ) or "identical"


def run_three_ways(tasks: list[VideoTask]) -> list[dict[str, Any]]:
    """The batch with 1 process, with --jobs 2 and on a LocalCluster; a row for each."""
    from distributed import LocalCluster

    rows: list[dict[str, Any]] = []
    reference: list[dict[str, Any]] = []
    ways: list[tuple[str, Callable[[], tuple[float, Iterator[BatchItem], Callable[[], None]]]]] = [
        ("1 process", lambda: (0.0, analyze_videos(tasks, jobs=1, progress=False), lambda: None)),
        ("--jobs 2 (pool)", lambda: (0.0, analyze_videos(tasks, jobs=2, progress=False), lambda: None)),
    ]

    def on_cluster() -> tuple[float, Iterator[BatchItem], Callable[[], None]]:
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        up = time.perf_counter() - start
        return up, analyze_videos(tasks, cluster=cluster.scheduler_address, progress=False), cluster.close

    ways.append(("LocalCluster 2 workers", on_cluster))
    frames = 0
    for name, start_way in ways:
        with load_sampled() as load:
            start = time.perf_counter()
            up, items, close = start_way()
            reports = _reports(items)
            wall = time.perf_counter() - start
            close()
            closed = time.perf_counter() - start - wall
        if not reference:
            reference, frames = reports, sum(r["video"]["frames"] for r in reports)
        rows.append({"way": name, "videos": len(tasks), "frames": frames, "wall_s": wall, "startup_s": up,
                     "close_s": closed, "videos_s": len(tasks) / wall, "fps": frames / wall,
                     "load": statistics.mean(load), "same": _same(reference, reports)})
    return rows


def table(title: str, rows: list[dict[str, Any]]) -> str:
    head = (f"{'':24} {'videos':>6} {'frames':>6} {'wall s':>7} {'start-up s':>10} {'close s':>7} "
            f"{'videos/s':>8} {'frames/s':>8} {'load':>5}  reps/holds/faults vs 1 process")
    lines = [title, head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['way']:24} {r['videos']:6d} {r['frames']:6d} {r['wall_s']:7.1f} {r['startup_s']:10.1f} "
                     f"{r['close_s']:7.1f} {r['videos_s']:8.3f} {r['fps']:8.1f} {r['load']:5.1f}  {r['same']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="each of the nine clips this many times in the batch")
    args = parser.parse_args()
    ensure_model(progress=False)  # provisioned before any timing
    defs = {ex: load_by_id(ex) for ex in set(CLIPS.values())}
    batch = [VideoTask(SAMPLES / f"{clip}.mp4", None, defs[ex]) for _ in range(args.repeat) for clip, ex in CLIPS.items()]
    short = [VideoTask(SAMPLES / f"{clip}.mp4", None, defs[CLIPS[clip]]) for clip in SHORT]
    print(f"{os.cpu_count()} cores; uptime before: {_uptime()}", flush=True)
    print(table(f"{len(batch)} sample clips", run_three_ways(batch)), flush=True)
    print(table(f"\n{len(short)} short clips ({', '.join(SHORT)})", run_three_ways(short)), flush=True)
    missing = [VideoTask(SAMPLES / f"not-there-{i}.mp4", None, defs["squat"]) for i in range(2)]
    print(table("\n2 videos that aren't there: the fixed cost alone", run_three_ways(missing)), flush=True)
    print(f"uptime after: {_uptime()}")
    return 0


def _uptime() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"load average {load}"


if __name__ == "__main__":
    sys.exit(main())
