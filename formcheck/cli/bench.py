"""``formcheck bench``: the pose model alone vs the full pipeline, a batch on 1 process vs several, or the live app path."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli.args import DEFAULT_SAMPLE, at_least_one

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    b = sub.add_parser("bench", help="pose model alone vs full pipeline throughput")
    b.add_argument("videos", type=Path, nargs="*", metavar="VIDEO",
                   help="the video (default: the bundled squat sample); with --jobs, one or more")
    b.add_argument("--repeats", type=at_least_one, default=3)
    b.add_argument("--frames", type=at_least_one, default=300, help="frames per run")
    b.add_argument("--exercise", default=None, help="include this exercise's tracker")
    b.add_argument("--annotate", action="store_true", help="include drawing the overlay")
    b.add_argument("--jobs", type=at_least_one, default=None,
                   help="instead: analyse the videos whole, as a batch, with 1 process and with this many, side "
                        "by side")
    b.add_argument("--live", action="store_true",
                   help="the full app path instead: the window, the video paced like a 30 fps camera, recording and "
                        "voice on; reports glass-to-screen latency p50/p95/p99 and the drop rate")
    b.add_argument("--seconds", type=at_least_one, default=60, help="how long the --live run lasts")
    b.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    videos = args.videos or [DEFAULT_SAMPLE]
    if args.jobs is None and len(videos) > 1:
        print("formcheck: bench takes one video (or several with --jobs)", file=sys.stderr)
        return 2
    if args.live:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from formcheck.ui.live_bench import run_live

        live = run_live(videos[0], args.exercise or "squat", args.seconds, report_s=10.0,
                        on_interval=lambda i: print(i.line(), flush=True))
        print(f"{videos[0]} live: {live.summary()}")
        return 0
    from formcheck.evaluation.bench import run_bench, run_jobs_bench

    definition = None
    if args.exercise:
        from formcheck.exercises.loader import load_by_id

        definition = load_by_id(args.exercise)
    if args.jobs is not None:
        print(run_jobs_bench(videos, args.jobs, repeats=args.repeats, exercise=definition).text())
        return 0
    factory = None
    if definition is not None:
        from functools import partial

        from formcheck.core.tracker import ExerciseTracker

        factory = partial(ExerciseTracker, definition)
    result = run_bench(
        videos[0], repeats=args.repeats, limit=args.frames, draw=args.annotate,
        tracker_factory=factory,
    )
    print(f"{videos[0]}")
    print(result.text())
    return 0
