"""Command line: `formcheck [analyze|eval|models|bench|exercises|app] ...`."""

# This docstring is `formcheck --help`'s description. Each command lives in its own module with its
# add_parser(sub), which sets the handler main() runs (``run``); the imports the handlers need are
# made inside them, so `formcheck --help` starts fast (no OpenCV, MediaPipe or Qt).
# May import: every package (the top layer).

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys

from formcheck import __version__
from formcheck.cli import (
    analyze,
    app,
    bench,
    bundle,
    calibrate,
    evaluate,
    exercises,
    models,
    posture,
    programme,
    rejudge,
    sessions,
)

# In the order `formcheck --help` lists them.
COMMANDS = (analyze, evaluate, models, bench, exercises, sessions, programme, bundle, rejudge, calibrate, posture, app)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="formcheck", description=__doc__)
    p.add_argument("--version", action="version", version=f"formcheck {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="more log output")
    p.set_defaults(run=app.run)  # no command: the app
    sub = p.add_subparsers(dest="command")
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def _stop_signal(signum: int, _frame: object) -> None:
    # SIGTERM (kill, logout) and SIGHUP (terminal closed) end a run like Ctrl-C does: what was
    # recorded is kept and the session is marked 'interrupted'.
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None and args.command != "app" and args.command is not None:
            signal.signal(sig, _stop_signal)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args)
    except KeyboardInterrupt as exc:
        print(f"interrupted{f' ({exc})' if str(exc) else ''}; what was recorded is kept", file=sys.stderr)
        return 130
    except _user_errors() as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:  # met while using the database: damaged, or another program holds it
        from formcheck.paths import data_dir
        from formcheck.records.database.connection import database_problem

        print(f"formcheck: {database_problem(data_dir() / 'formcheck.db', exc)}", file=sys.stderr)
        return 2


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user: print it, no traceback."""
    from formcheck.analysis.cluster import ClusterError
    from formcheck.evaluation.evaluate import LabelError
    from formcheck.exercises.profile import ProfileError
    from formcheck.exercises.toml_reader import ExerciseFileError  # also a programme file's mistakes
    from formcheck.pose.estimator import PoseError
    from formcheck.pose.model_store import ModelError
    from formcheck.records.database.connection import StoreError
    from formcheck.untrusted import Refused
    from formcheck.video.source import FrameSourceError

    return (FrameSourceError, ModelError, PoseError, ExerciseFileError, ProfileError, StoreError, LabelError, Refused,
            ClusterError, OSError)
