"""``formcheck calibrate``: the camera's placement, a person's body measurements, a person's own targets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.cli.args import at_least_one, person

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    cal = sub.add_parser("calibrate", help="camera placement, body measurements, a person's own targets")
    cal.set_defaults(run=run)
    what = cal.add_subparsers(dest="what", required=True)
    cc = what.add_parser("camera", help="check the camera's placement for an exercise (saved per camera)")
    cc.add_argument("--exercise", required=True, help="the exercise to place the camera for")
    cb = what.add_parser("body", help="a few seconds standing → the person's segment lengths")
    cb.add_argument("name", type=person, help="whose body (the name sessions are saved under)")
    cp = what.add_parser("person", help="three reference reps → the person's own targets")
    cp.add_argument("name", type=person, help="whose targets (the name sessions are saved under)")
    cp.add_argument("--exercise", required=True, help="exercise id (see `formcheck exercises`)")
    cp.add_argument("--reason", default="", help="why (kept in the profile)")
    for parser in (cb, cp):
        parser.add_argument("--by", help="who made it (default: your login name)")
    for parser in (cc, cb, cp):
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--camera", help="camera index or device (0, /dev/video0)")
        src.add_argument("--video", type=Path, help="a video file")
        parser.add_argument("--seconds", type=at_least_one, default=60,
                            help="with --camera, give up after this long (default 60)")


def run(args: argparse.Namespace) -> int:
    import contextlib
    import itertools
    import time

    from formcheck.analysis import calibrate as cal
    from formcheck.video.frames import open_source

    source = open_source(args.camera if args.camera is not None else args.video)
    with contextlib.closing(cal.watch(source)) as watched:  # closes the camera and the model when done
        frames: Iterator[cal.Seen] = watched
        if args.camera is not None:  # a live camera runs until done or out of time
            start = time.monotonic()
            frames = itertools.takewhile(lambda _s: time.monotonic() - start < args.seconds, frames)
        return _calibrate_with(args, frames)


def _calibrate_with(args: argparse.Namespace, frames: Iterator[Any]) -> int:
    from formcheck.analysis import calibrate as cal
    from formcheck.core.body import BodyCalibrationError
    from formcheck.exercises.loader import load_by_id, load_library

    made_from = f"camera {args.camera}" if args.camera is not None else f"video {args.video}"
    if args.what == "camera":
        exercise = load_by_id(args.exercise)
        live = args.camera is not None
        if live:
            print(f"Get into the starting position: {exercise.setup.position_cue if exercise.setup else ''}")
        placement = cal.check_camera(frames, exercise, live, (lambda p: print(p.text(), "\n")) if live else None)
        if placement is None:
            print("formcheck: the recording is too short to judge the camera's placement (1.5 s at least)",
                  file=sys.stderr)
            return 1
        if live:
            print(f"saved in {cal.save_camera_check(str(args.camera), placement)}")
        else:
            print(placement.text())
        return 0 if placement.ok else 1
    library = load_library().exercises
    try:
        if args.what == "body":
            profile = cal.calibrate_body(args.name, frames, made_from, args.by, library=library)
            body = profile.body
            assert body is not None
            print(f"{args.name}: body measured on {body.frames} frames ({', '.join(body.views)} view)"
                  + (f", feet {body.stance:.1f} hip widths apart" if body.stance is not None else ""))
            for name, metres in body.world_m.items():
                units = body.body_units(name)
                print(f"  {name:16s} {metres:5.2f} m" + (f"  {units:4.2f} trunk lengths" if units else ""))
        else:
            profile, notes = cal.calibrate_person(args.name, load_by_id(args.exercise), frames, made_from,
                                                  args.reason, args.by, library=library)
            values = profile.exercises[args.exercise]
            print(f"{args.name}: {args.exercise} targets from {cal.REFERENCE_REPS} reference reps")
            for key, value in values.rep.items():
                print(f"  rep.{key} = {value:g}")
            for code, rule in values.rules.items():
                print("  " + ", ".join(f"{code}.{k} = {v:g}" for k, v in rule.items()))
            for note in notes:
                print(f"formcheck: {note}", file=sys.stderr)
    except (cal.CalibrationError, BodyCalibrationError) as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return 1
    print(f"saved as {profile.label} in {profile.path} (used from the next session)")
    return 0
