"""``formcheck app`` (also what ``formcheck`` alone does): the desktop app, or on a machine without a
screen the bundled sample analysed instead."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli import analyze
from formcheck.cli.args import DEFAULT_SAMPLE

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    ap = sub.add_parser("app", help="open the desktop app (the default with no command)")
    ap.add_argument("--video", type=Path, help="start on this video file")
    ap.add_argument("--camera", help="start on this camera (index or device path)")
    ap.add_argument("--exercise", help="start this exercise")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """``args`` has no app options when no command was given."""
    import os

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        # A machine without a screen (a server, CI): do the main job without the window.
        print("No display found; analysing the bundled sample video instead of opening the app.")
        video = getattr(args, "video", None) or DEFAULT_SAMPLE
        return analyze.run(analyze.arguments([str(video), "--exercise", "squat", "--annotated"]))
    from formcheck.ui.app import run_app

    return run_app(getattr(args, "video", None), getattr(args, "camera", None), getattr(args, "exercise", None))
